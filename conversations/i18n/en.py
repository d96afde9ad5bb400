"""English. Values are Telegram HTML; `{name}` parameters are escaped when filled in."""

TEXTS: dict[str, str] = {
    # --- menu and commands -------------------------------------------------------------------
    "menu.ask": "Ask a policy question",
    "menu.report": "Report a problem",
    "menu.status": "My reports",
    "menu.opendays": "Open days",
    "menu.language": "Language 语言",
    "menu.more": "More",
    "menu.reports": "Reports",
    "menu.placeholder": "Type a question, or choose from the menu",
    "cmd.start": "Main menu and help",
    "cmd.report": "Report a problem",
    "cmd.status": "My reports and their progress",
    "cmd.language": "Language / 切换语言",
    "cmd.cancel": "Cancel what you are doing",
    "cmd.help": "How to use this bot",
    "start.greeting": (
        "Hello, {name}! This is the Civic Desk of the county Housing and Construction Bureau.\n\n"
        "I can help you:\n"
        "• <b>Ask a policy question</b>: just send your question; I answer from the laws and regulations "
        "and cite the articles;\n"
        "• <b>Report a problem</b>: construction dust, night-time noise, unpaid migrant workers' wages, "
        "illegal building and more, with photos of the site;\n"
        "• <b>My reports</b>: follow your reports; I will message you when there is news;\n"
        "• <b>Open days</b>: see the construction site open days and register for a visit.\n\n"
        "Send /language to switch language (切换中文); send /cancel at any time to stop what you are doing."
    ),
    "start.resume": (
        "You have a report you have not submitted yet: carry on where you left off, or send /cancel."
    ),
    "ask.prompt": 'Just type your question, for example: "Can construction go on after 10 pm?"',
    # --- language ------------------------------------------------------------------------------
    "language.choose": "请选择语言 / Choose a language:",
    "language.set": "Language set to English.",
    # --- cancel / generic ----------------------------------------------------------------------
    "cancel.done": "Cancelled. Nothing you entered was kept.",
    "cancel.nothing": "There is nothing to cancel.",
    "error.generic": "Sorry, something went wrong with your message. Please try again later.",
    "unsupported": (
        'I only understand text. Type a question to ask about a policy, or tap "Report a problem".'
    ),
    "unknown_command": "I do not know that command. Send /start to see what I can do.",
    "photo_outside_flow": 'To report a problem with photos, tap "Report a problem" first.',
    "button.expired": "This button has expired.",
    # --- throttling ----------------------------------------------------------------------------
    "throttle.messages": "You are sending messages too quickly. Please wait a moment and try again.",
    "throttle.reports": (
        'You have submitted {limit} reports in the last hour, the most allowed. Please tap "Submit" again '
        "later; what you entered has been kept."
    ),
    # --- policy questions ----------------------------------------------------------------------
    "ask.answer": "{text}",
    "ask.refused": "{reason}",
    "ask.abstained_note": (
        'For more help, tap "Report a problem" to tell us about a specific case, or call the 12345 '
        "government service hotline."
    ),
    "ask.show_sources": "📖 Show the articles",
    "ask.report_button": "📝 Report this",
    "ask.handoff_note": 'What you describe can be reported: tap "Report this", the category is already chosen.',
    "ask.source_title": "<b>{citation}</b>",
    "ask.source_text": "{text}",
    "ask.vote_up": "👍 Helpful",
    "ask.vote_down": "👎 Not helpful",
    "ask.vote_thanks": "Thank you for your feedback!",
    "ask.unavailable": "Policy questions are unavailable right now. Please try again later.",
    "ask.too_long": "Your question is too long; please keep it under {max} characters.",
    # --- report flow ---------------------------------------------------------------------------
    "report.choose_category": "What kind of problem do you want to report?",
    "report.category_chosen": "Category: <b>{category}</b>",
    "report.use_buttons": "Please choose a category with the buttons above, or send /cancel.",
    "report.ask_location": (
        'Where is it? Tap "📍 Send my location" below, or type the full address '
        "(e.g. building site at 88 Renmin Road, Chengguan)."
    ),
    "report.button_location": "📍 Send my location",
    "report.address_too_short": (
        'That address is too short. Give the street, number or site name, or tap "📍 Send my location".'
    ),
    "report.address_too_long": "That address is too long (at most {max} characters); please shorten it.",
    "report.location_expected": "Please send a location or type the address.",
    "report.ask_description": (
        "Describe what you saw: when, what is happening, which company is involved "
        "(at least {min} characters)."
    ),
    "report.description_too_short": (
        "That is too short (at least {min} characters). Please add a little more so staff can check it."
    ),
    "report.description_too_long": "That is too long (at most {max} characters); please shorten it.",
    "report.description_expected": (
        "Please describe the problem in words (at least {min} characters). Photos come next."
    ),
    "report.ask_photos": (
        "Send photos of the site (up to {max}): one by one, several at once, or as files for the originals. "
        'Tap "Done" when finished, or "No photo" if you have none.'
    ),
    "report.ask_more_photos": (
        'You have sent {count} photo(s). Send more (up to {max}), tap "Clear photos" to start over, '
        'or tap "Done".'
    ),
    "report.button_done": "✅ Done",
    "report.button_no_photo": "No photo",
    "report.button_clear_photos": "🗑 Clear photos",
    "report.button_cancel": "❌ Cancel",
    "report.photos_received": 'Got {added} photo(s); {count}/{max} so far. Send more, or tap "Done".',
    "report.photo_refused": '{reason}\nThis one was not added; send another, or tap "Done" to go on.',
    "report.photo_duplicate": "You already sent this photo.",
    "report.photo_limit": "At most {max} photos per report; {extra} more were not added.",
    "report.photo_download_failed": "The photo could not be downloaded; please send it again.",
    "report.photos_cleared": "Photos cleared; send them again.",
    "report.photos_expected": 'Send photos, or tap "Done" / "No photo".',
    "report.ask_contact": (
        "May staff contact you to check the facts? You can share your phone number (only staff handling "
        "the report see it), report anonymously, or skip."
    ),
    "report.button_share_phone": "📱 Share my phone number",
    "report.button_anonymous": "🙈 Report anonymously",
    "report.button_skip": "Skip",
    "report.contact_not_own": 'Please tap "📱 Share my phone number" to share your own number.',
    "report.contact_expected": (
        "Please use the buttons below: share your number, report anonymously, or skip."
    ),
    "report.review": "Please check your report:",
    "report.summary": (
        "<b>Category:</b> {category}\n<b>Location:</b> {location}\n<b>Description:</b> {description}\n"
        "<b>Photos:</b> {photos}\n<b>Contact:</b> {contact}"
    ),
    "report.location_coords": "Shared location ({lat}, {lon})",
    "report.contact_anonymous": "Anonymous",
    "report.contact_none": "No contact details",
    "report.button_submit": "✅ Submit",
    "report.button_edit": "✏️ Edit",
    "report.edit_which": "What do you want to change?",
    "report.field_category": "Category",
    "report.field_location": "Location",
    "report.field_description": "Description",
    "report.field_photos": "Photos",
    "report.field_contact": "Contact",
    "report.button_back": "↩️ Back",
    "report.submitting": "Submitting…",
    "report.submitted": (
        "✅ Your report has been submitted!\n\nTracking number: <code>{number}</code>\n"
        "Decision on acceptance by: {due}\n\n"
        "We will tell you here whether it is accepted, and whenever there is news. "
        'Tap "My reports" or send /status to follow it.'
    ),
    "report.submit_failed": (
        "The report was not submitted: {reason}\nWhat you entered is kept; fix it and submit again."
    ),
    "report.submit_error": 'The report could not be submitted right now. Please tap "Submit" again later; '
    "what you entered is kept.",
    "report.expired": (
        "Your unfinished report was left for more than {hours} hours and has been cleared. "
        'Tap "Report a problem" to start again.'
    ),
    # --- status --------------------------------------------------------------------------------
    "status.none": 'You have not submitted any reports through this bot. Tap "Report a problem" to start.',
    "status.list_header": "Your reports (tap one to see its history):",
    "status.item": "<code>{number}</code> {category} — {status}",
    "status.button": "{number} · {status}",
    "status.detail": (
        "<b>Tracking number:</b> <code>{number}</code>\n<b>Category:</b> {category}\n"
        "<b>Location:</b> {location}\n"
        "<b>Submitted:</b> {created}\n<b>Status:</b> {status}"
    ),
    "status.not_found": "<code>{number}</code>: {reason}",
    "status.due": "<b>Due by:</b> {date}",
    "status.merged": (
        "This report describes the same problem as <code>{primary}</code> and is handled with it."
    ),
    "status.history": "<b>History:</b>",
    "status.history_line": "{date} {what}",
    "status.history_message": "  “{message}”",
    "status.event_created": "Report submitted",
    "status.event_status": 'Status changed to "{status}"',
    "status.event_reply": "Reply from staff",
    "status.event_merge": "Merged with a report of the same problem",
    "status.event_extension": "Deadline extended as the law allows",
    # --- follow-up notifications ---------------------------------------------------------------
    "notify.status": "📣 News about your report <code>{number}</code>:\nStatus: <b>{status}</b>",
    "notify.reply": "💬 Staff replied to your report <code>{number}</code>:",
    "notify.extension": (
        "⏳ The deadline for your report <code>{number}</code> has been extended as the law allows."
    ),
    "notify.merge": (
        "🔗 Your report <code>{number}</code> describes the same problem as <code>{primary}</code>; they are "
        "now handled together. You will keep getting news here."
    ),
    "notify.via_primary": "(handled together with <code>{primary}</code>)",
    "notify.message": "<blockquote>{message}</blockquote>",
    "notify.button_view": "See the history",
    # --- staff alerts (to staff chats) -----------------------------------------------------------
    "staff.transfer": (
        "🔀 <b>Transfer</b>: report <code>{number}</code> was handed from {source} to {department}.\n"
        "By: {actor}\nReason: {reason}"
    ),
    "staff.button_open": "Open in the console",
}
