"""The open days' words for the bot, merged into the zh and en catalogs (Telegram HTML;
`{name}` parameters are escaped when filled in)."""

TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "cmd.opendays": "工地开放日：活动与报名",
        "od.list_header": (
            "📅 <b>近期工地开放日</b>\n欢迎人大代表、政协委员和居民代表到工地现场参观、提意见。点击活动查看详情并报名。"
        ),
        "od.none": "近期暂无开放日活动。订阅后，新活动发布时会第一时间通知您。",
        "od.item": "<b>{n}. {title}</b>\n🕘 {when}\n📍 {site}\n{seats}",
        "od.seats_left": "👥 剩余名额 {left}/{capacity}",
        "od.seats_full": "👥 名额已满，可报名候补",
        "od.reg_not_open": "⏳ 报名将于 {at} 开放",
        "od.reg_closed": "⛔ 报名已截止",
        "od.button_event": "{n}. {title}",
        "od.button_mine": "📋 我的报名",
        "od.button_subscribe": "🔔 订阅新活动通知",
        "od.button_unsubscribe": "🔕 取消订阅通知",
        "od.detail": "<b>{title}</b>\n🕘 {when}\n📍 {site}（{address}）\n{seats}",
        "od.requirements": "<b>参观须知：</b>",
        "od.requirement_line": "• {text}",
        "od.party_limit": "• 每份报名最多 {max} 人（含本人）",
        "od.button_register": "📝 报名",
        "od.button_ics": "📅 加入日历",
        "od.button_back": "↩️ 返回列表",
        "od.ask_name": "请输入参观人姓名（现场核验时使用）：",
        "od.name_invalid": "姓名需为 1–{max} 个字，请重新输入。",
        "od.ask_party": "共几人参观（含本人）？最多 {max} 人，请点击下方数字或直接输入。",
        "od.party_invalid": "请输入 1 到 {max} 之间的数字。",
        "od.ask_phone": "是否留下手机号，方便活动有变时联系您？（选填；完整号码仅工作人员可见）",
        "od.button_share_phone": "📱 分享手机号",
        "od.button_skip": "跳过",
        "od.phone_not_own": "请点击“📱 分享手机号”分享您本人的号码，或点击“跳过”。",
        "od.phone_expected": "请点击下方按钮分享手机号，或点击“跳过”。",
        "od.confirmed": (
            "✅ 报名成功！\n\n<b>{title}</b>\n🕘 {when}\n📍 {site}（{address}）\n👥 {party} 人\n"
            "签到码：<code>{code}</code>\n\n请在活动当天向工作人员出示签到码。活动开始前 24 小时会再提醒您；"
            "如需取消，请点击“我的报名”。"
        ),
        "od.waitlisted": (
            "🕒 名额已满，已为您登记候补（第 {position} 位）。\n\n<b>{title}</b>\n🕘 {when}\n👥 {party} 人\n"
            "签到码：<code>{code}</code>\n\n有名额空出时会按顺序递补，并立即通知您。"
        ),
        "od.ics_caption": "📅 活动日历文件：打开即可添加到手机日历。",
        "od.refused": "报名未成功：{reason}",
        "od.busy_elsewhere": "您还有一份未提交的举报。请先提交，或发送 /cancel 放弃后再报名。",
        "od.not_found": "该活动不存在或尚未发布。",
        "od.mine_none": "您目前没有开放日报名。",
        "od.mine_header": "<b>我的开放日报名：</b>",
        "od.mine_item": "<b>{title}</b>\n🕘 {when}\n状态：{status}｜{party} 人｜签到码 <code>{code}</code>",
        "od.mine_waitlist": "（候补第 {position} 位）",
        "od.mine_feedback": "您的评价：{stars}",
        "od.button_cancel_reg": "取消报名：{title}",
        "od.button_feedback": "评价：{title}",
        "od.cancel_confirm": "确定要取消“{title}”的报名吗？取消后名额将让给候补的人。",
        "od.button_cancel_yes": "确定取消",
        "od.button_keep": "保留报名",
        "od.cancelled": "已取消您在“{title}”的报名。",
        "od.kept": "好的，报名已保留。",
        "od.cannot_cancel": "“{title}”的报名当前为“{status}”，不能再取消。",
        "od.cannot_rate": "活动“{title}”结束后，已确认报名的参观人才能评价。",
        "od.rating_invalid": "请回复 1 到 5 之间的数字打分（5 分最好）。",
        "od.ics_link": "📅 加入日历：{url}",
        "od.cancel_confirm_again": "请确认：取消这份报名，还是保留？",
        "od.mine_none_cancel": "您没有可以取消的开放日报名。",
        "od.mine_none_rate": "您没有可以评价的开放日活动（活动结束后才能评价）。",
        "od.subscribed": "🔔 已订阅。新的开放日活动发布时会通知您。",
        "od.unsubscribed": "🔕 已取消订阅。",
        "od.ask_rating": "感谢您参加“{title}”！请为本次活动打分：",
        "od.ask_comment": "已记录 {stars}。还有什么意见建议吗？可以直接输入（选填），或点击“跳过”。",
        "od.feedback_thanks": "谢谢您的反馈！我们会认真研究。",
        "od.comment_too_long": "意见请控制在 {max} 字以内。",
        "od.stars": "{n} 星",
        "od.notify_promoted": (
            "🎉 有名额空出，您的候补报名已确认！\n\n<b>{title}</b>\n🕘 {when}\n📍 {site}（{address}）\n"
            "👥 {party} 人\n签到码：<code>{code}</code>"
        ),
        "od.notify_cancelled": (
            "❗ 很抱歉，开放日活动“{title}”（{when}）已取消。\n原因：{reason}\n您的报名已随之取消。"
        ),
        "od.notify_updated": (
            "📣 您报名的开放日活动“{title}”有变更，请留意最新安排：\n🕘 {when}\n📍 {site}（{address}）\n"
            "签到码：<code>{code}</code>"
        ),
        "od.notify_reminder": (
            "⏰ 提醒：您报名的开放日活动即将开始。\n\n<b>{title}</b>\n🕘 {when}\n📍 {site}（{address}）\n"
            "👥 {party} 人\n签到码：<code>{code}</code>\n\n请按时到场并留意参观须知。如不能参加，"
            "请在“我的报名”中取消，把名额让给候补的人。"
        ),
        "od.notify_published": (
            "📢 新的工地开放日活动发布了：\n\n<b>{title}</b>\n🕘 {when}\n📍 {site}（{address}）\n👥 剩余名额 {left}"
        ),
        "od.button_view": "查看详情并报名",
    },
    "en": {
        "cmd.opendays": "Construction site open days",
        "od.list_header": (
            "📅 <b>Upcoming site open days</b>\nDeputies, CPPCC members and residents' representatives are "
            "welcome to visit the sites and give their views. Tap an event for details and to register."
        ),
        "od.none": "No open days are scheduled. Subscribe to hear as soon as one is published.",
        "od.item": "<b>{n}. {title}</b>\n🕘 {when}\n📍 {site}\n{seats}",
        "od.seats_left": "👥 {left} of {capacity} seats left",
        "od.seats_full": "👥 Fully booked; you can join the waitlist",
        "od.reg_not_open": "⏳ Registration opens {at}",
        "od.reg_closed": "⛔ Registration is closed",
        "od.button_event": "{n}. {title}",
        "od.button_mine": "📋 My registrations",
        "od.button_subscribe": "🔔 Notify me of new open days",
        "od.button_unsubscribe": "🔕 Stop notifications",
        "od.detail": "<b>{title}</b>\n🕘 {when}\n📍 {site} ({address})\n{seats}",
        "od.requirements": "<b>Before you come:</b>",
        "od.requirement_line": "• {text}",
        "od.party_limit": "• At most {max} people per registration (you included)",
        "od.button_register": "📝 Register",
        "od.button_ics": "📅 Add to calendar",
        "od.button_back": "↩️ Back to the list",
        "od.ask_name": "The visitor's name (checked on site):",
        "od.name_invalid": "The name must be 1–{max} characters; please send it again.",
        "od.ask_party": "How many people in your party (you included)? At most {max}: tap a number or type it.",
        "od.party_invalid": "Please send a number from 1 to {max}.",
        "od.ask_phone": (
            "Leave a phone number so staff can reach you if plans change? (Optional; only staff see the full number.)"
        ),
        "od.button_share_phone": "📱 Share my phone number",
        "od.button_skip": "Skip",
        "od.phone_not_own": "Please tap “📱 Share my phone number” to share your own number, or “Skip”.",
        "od.phone_expected": "Please tap a button below: share your phone number, or skip.",
        "od.confirmed": (
            "✅ You are registered!\n\n<b>{title}</b>\n🕘 {when}\n📍 {site} ({address})\n👥 {party} people\n"
            "Check-in code: <code>{code}</code>\n\nShow the code to staff on the day. We will remind you 24 hours "
            "before the start; to cancel, open “My registrations”."
        ),
        "od.waitlisted": (
            "🕒 The event is fully booked, so you are on the waitlist (number {position}).\n\n<b>{title}</b>\n"
            "🕘 {when}\n👥 {party} people\nCheck-in code: <code>{code}</code>\n\n"
            "When seats free up they go to the waitlist in order, and we will tell you at once."
        ),
        "od.ics_caption": "📅 The event as a calendar file: open it to add it to your calendar.",
        "od.refused": "Registration failed: {reason}",
        "od.busy_elsewhere": "You have an unfinished report. Submit it, or send /cancel to drop it, then register.",
        "od.not_found": "This event does not exist or is not published.",
        "od.mine_none": "You have no open day registrations.",
        "od.mine_header": "<b>My open day registrations:</b>",
        "od.mine_item": "<b>{title}</b>\n🕘 {when}\nStatus: {status} | {party} people | check-in code <code>{code}</code>",
        "od.mine_waitlist": " (waitlist number {position})",
        "od.mine_feedback": "Your rating: {stars}",
        "od.button_cancel_reg": "Cancel: {title}",
        "od.button_feedback": "Rate: {title}",
        "od.cancel_confirm": "Cancel your registration for “{title}”? Your seats go to the waitlist.",
        "od.button_cancel_yes": "Yes, cancel",
        "od.button_keep": "Keep it",
        "od.cancelled": "Your registration for “{title}” is cancelled.",
        "od.kept": "OK, your registration stays.",
        "od.cannot_cancel": "Your registration for “{title}” is {status} and can no longer be cancelled.",
        "od.cannot_rate": "“{title}” can be rated by its confirmed visitors once it is over.",
        "od.rating_invalid": "Please reply with a number from 1 to 5 (5 is best).",
        "od.ics_link": "📅 Add to your calendar: {url}",
        "od.cancel_confirm_again": "Please confirm: cancel this registration, or keep it?",
        "od.mine_none_cancel": "You have no open day registration that can be cancelled.",
        "od.mine_none_rate": "You have no open day to rate (an event can be rated once it is over).",
        "od.subscribed": "🔔 Subscribed. We will tell you when a new open day is published.",
        "od.unsubscribed": "🔕 Unsubscribed.",
        "od.ask_rating": "Thank you for visiting “{title}”! How was it?",
        "od.ask_comment": "Recorded: {stars}. Anything else to tell us? Type it (optional), or tap “Skip”.",
        "od.feedback_thanks": "Thank you for your feedback!",
        "od.comment_too_long": "Please keep the comment under {max} characters.",
        "od.stars": "{n} stars",
        "od.notify_promoted": (
            "🎉 Seats freed up and your waitlisted registration is confirmed!\n\n<b>{title}</b>\n🕘 {when}\n"
            "📍 {site} ({address})\n👥 {party} people\nCheck-in code: <code>{code}</code>"
        ),
        "od.notify_cancelled": (
            "❗ We are sorry: the open day “{title}” ({when}) is cancelled.\nReason: {reason}\n"
            "Your registration is cancelled with it."
        ),
        "od.notify_updated": (
            "📣 The open day “{title}” you registered for has changed:\n🕘 {when}\n📍 {site} ({address})\n"
            "Check-in code: <code>{code}</code>"
        ),
        "od.notify_reminder": (
            "⏰ Reminder: your open day is coming up.\n\n<b>{title}</b>\n🕘 {when}\n📍 {site} ({address})\n"
            "👥 {party} people\nCheck-in code: <code>{code}</code>\n\nPlease be on time and read the visitor "
            "notes. If you cannot come, cancel under “My registrations” so someone on the waitlist can go."
        ),
        "od.notify_published": (
            "📢 A new site open day is published:\n\n<b>{title}</b>\n🕘 {when}\n📍 {site} ({address})\n"
            "👥 {left} seats left"
        ),
        "od.button_view": "Details and registration",
    },
}
