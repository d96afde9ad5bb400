"""简体中文（默认）。Values are Telegram HTML; `{name}` parameters are escaped when filled in."""

TEXTS: dict[str, str] = {
    # --- menu and commands -------------------------------------------------------------------
    "menu.ask": "政策咨询",
    "menu.report": "我要举报",
    "menu.status": "我的举报",
    "menu.opendays": "开放日",
    "menu.language": "Language 语言",
    "menu.more": "更多",
    "menu.reports": "举报",
    "menu.placeholder": "直接输入问题，或选择下方菜单",
    "cmd.start": "主菜单与使用说明",
    "cmd.report": "我要举报",
    "cmd.status": "我的举报及办理进度",
    "cmd.language": "切换语言 / Language",
    "cmd.cancel": "取消当前操作",
    "cmd.help": "使用帮助",
    "start.greeting": (
        "您好，{name}！这里是县住房和城乡建设局“民生服务台”。\n\n"
        "我可以帮您：\n"
        "• <b>政策咨询</b>：直接发送您的问题，我会依据法律法规作答并注明条文出处；\n"
        "• <b>我要举报</b>：反映施工扬尘、夜间施工噪声、拖欠农民工工资、违法建设等问题，可附现场照片；\n"
        "• <b>我的举报</b>：查看办理进度，有新进展时我会主动通知您；\n"
        "• <b>开放日</b>：查看工地开放日活动并报名参观。\n\n"
        "发送 /language 切换语言（Switch to English），随时发送 /cancel 取消当前操作。"
    ),
    "start.resume": "您还有一份尚未提交的举报，可以接着填写，或发送 /cancel 放弃。",
    "ask.prompt": "请直接输入您的问题，例如：“晚上十点以后还能施工吗？”",
    # --- language ------------------------------------------------------------------------------
    "language.choose": "请选择语言 / Choose a language:",
    "language.set": "已切换为简体中文。",
    # --- cancel / generic ----------------------------------------------------------------------
    "cancel.done": "已取消，本次填写的内容均未保存。",
    "cancel.nothing": "当前没有进行中的操作。",
    "error.generic": "抱歉，处理您的消息时出错了，请稍后再试。",
    "unsupported": "我只能理解文字消息。咨询政策请直接输入问题；举报问题请点击“我要举报”。",
    "unknown_command": "没有这个命令。发送 /start 查看我能做什么。",
    "photo_outside_flow": "如需举报问题并上传照片，请先点击“我要举报”。",
    "button.expired": "这个按钮已失效。",
    # --- throttling ----------------------------------------------------------------------------
    "throttle.messages": "您发送消息太频繁了，请稍等片刻再试。",
    "throttle.reports": (
        "您在一小时内已经提交了 {limit} 份举报，暂时不能再提交。请稍后再点“提交”，您填写的内容已保留。"
    ),
    # --- policy questions ----------------------------------------------------------------------
    "ask.answer": "{text}",
    "ask.refused": "{reason}",
    "ask.abstained_note": "如需进一步帮助，可点击“我要举报”反映具体问题，或拨打 12345 政务服务便民热线。",
    "ask.show_sources": "📖 查看条文",
    "ask.report_button": "📝 我要举报",
    "ask.handoff_note": "您描述的情况可以直接举报：点击“我要举报”，问题类别已为您选好。",
    "ask.source_title": "<b>{citation}</b>",
    "ask.source_text": "{text}",
    "ask.vote_up": "👍 有帮助",
    "ask.vote_down": "👎 没帮助",
    "ask.vote_thanks": "感谢您的反馈！",
    "ask.unavailable": "政策咨询暂时无法使用，请稍后再试。",
    "ask.too_long": "问题太长了，请控制在 {max} 字以内。",
    # --- report flow ---------------------------------------------------------------------------
    "report.choose_category": "请选择要反映的问题类别：",
    "report.category_chosen": "问题类别：<b>{category}</b>",
    "report.use_buttons": "请点击上方按钮选择问题类别，或发送 /cancel 取消。",
    "report.ask_location": (
        "问题发生在哪里？请点击下方“📍 发送当前位置”，或直接输入详细地址（如：城关镇人民路 88 号工地）。"
    ),
    "report.button_location": "📍 发送当前位置",
    "report.address_too_short": "地址太短了，请写清楚到街道、门牌号或工地名称，或点击“📍 发送当前位置”。",
    "report.address_too_long": "地址太长了（最多 {max} 个字），请精简后重新发送。",
    "report.location_expected": "请发送位置或输入文字地址。",
    "report.ask_description": "请描述您看到的问题：时间、现场情况、涉及的单位等（至少 {min} 个字）。",
    "report.description_too_short": "描述太短了（至少 {min} 个字），请再多写一些，方便工作人员核实。",
    "report.description_too_long": "描述太长了（最多 {max} 个字），请精简后重新发送。",
    "report.description_expected": "请用文字描述问题（至少 {min} 个字）。照片在下一步上传。",
    "report.ask_photos": (
        "请发送现场照片（最多 {max} 张）：可以逐张发送，也可以一次选多张，或“以文件形式”发送原图。"
        "发完后点击“完成”；没有照片请点击“不上传照片”。"
    ),
    "report.ask_more_photos": "已有 {count} 张照片。可以继续发送（最多 {max} 张），点击“清空照片”重新上传，或点击“完成”。",
    "report.button_done": "✅ 完成",
    "report.button_no_photo": "不上传照片",
    "report.button_clear_photos": "🗑 清空照片",
    "report.button_cancel": "❌ 取消",
    "report.photos_received": "已收到 {added} 张照片，目前共 {count}/{max} 张。可以继续发送，或点击“完成”。",
    "report.photo_refused": "{reason}\n这张未收录，请换一张，或点击“完成”继续。",
    "report.photo_duplicate": "这张照片已经收到过了。",
    "report.photo_limit": "每份举报最多 {max} 张照片，多出的 {extra} 张未收录。",
    "report.photo_download_failed": "照片下载失败，请重新发送这张照片。",
    "report.photos_cleared": "已清空照片，请重新发送。",
    "report.photos_expected": "请发送照片，或点击“完成”/“不上传照片”。",
    "report.ask_contact": (
        "需要工作人员联系您核实情况吗？可以分享手机号码（仅办理人员可见）；也可以匿名举报，或直接跳过。"
    ),
    "report.button_share_phone": "📱 分享手机号",
    "report.button_anonymous": "🙈 匿名举报",
    "report.button_skip": "跳过",
    "report.contact_not_own": "请点击“📱 分享手机号”分享您本人的号码。",
    "report.contact_expected": "请点击下方按钮：分享手机号、匿名举报或跳过。",
    "report.review": "好的，请核对以下信息：",
    "report.summary": (
        "<b>问题类别：</b>{category}\n<b>位置：</b>{location}\n<b>问题描述：</b>{description}\n"
        "<b>照片：</b>{photos} 张\n<b>联系方式：</b>{contact}"
    ),
    "report.location_coords": "已发送定位（{lat}, {lon}）",
    "report.contact_anonymous": "匿名举报",
    "report.contact_none": "未留联系方式",
    "report.button_submit": "✅ 提交",
    "report.button_edit": "✏️ 修改",
    "report.edit_which": "要修改哪一项？",
    "report.field_category": "问题类别",
    "report.field_location": "位置",
    "report.field_description": "问题描述",
    "report.field_photos": "照片",
    "report.field_contact": "联系方式",
    "report.button_back": "↩️ 返回",
    "report.submitting": "正在提交…",
    "report.submitted": (
        "✅ 举报已提交！\n\n编号：<code>{number}</code>\n受理期限：{due} 前\n\n"
        "我们会在期限内告知是否受理，办理有新进展时也会在这里通知您。"
        "点击“我的举报”或发送 /status 可随时查看进度。"
    ),
    "report.submit_failed": "提交没有成功：{reason}\n您填写的内容已保留，修改后可以再次提交。",
    "report.submit_error": "系统暂时无法提交，请稍后再点击“提交”。您填写的内容已保留。",
    "report.expired": "您之前未完成的举报已超过 {hours} 小时未填写，已自动清除。如需举报，请点击“我要举报”重新开始。",
    # --- status --------------------------------------------------------------------------------
    "status.none": "您还没有通过本机器人提交过举报。点击“我要举报”即可开始。",
    "status.list_header": "您的举报（点击编号查看办理记录）：",
    "status.item": "<code>{number}</code> {category} — {status}",
    "status.button": "{number} · {status}",
    "status.detail": (
        "<b>举报编号：</b><code>{number}</code>\n<b>问题类别：</b>{category}\n<b>位置：</b>{location}\n"
        "<b>提交时间：</b>{created}\n<b>当前状态：</b>{status}"
    ),
    "status.not_found": "<code>{number}</code>：{reason}",
    "status.due": "<b>办理期限：</b>{date} 前",
    "status.merged": "该举报与 <code>{primary}</code> 反映同一问题，已合并办理。",
    "status.history": "<b>办理记录：</b>",
    "status.history_line": "{date} {what}",
    "status.history_message": "　“{message}”",
    "status.event_created": "提交举报",
    "status.event_status": "状态变更为“{status}”",
    "status.event_reply": "工作人员回复",
    "status.event_merge": "与同一问题的举报合并办理",
    "status.event_extension": "依法延长办理期限",
    # --- follow-up notifications ---------------------------------------------------------------
    "notify.status": "📣 您的举报 <code>{number}</code> 有新进展：\n当前状态：<b>{status}</b>",
    "notify.reply": "💬 工作人员回复了您的举报 <code>{number}</code>：",
    "notify.extension": "⏳ 您的举报 <code>{number}</code> 的办理期限已依法延长。",
    "notify.merge": (
        "🔗 您的举报 <code>{number}</code> 与 <code>{primary}</code> 反映的是同一问题，已合并办理。"
        "后续进展会继续通知您。"
    ),
    "notify.via_primary": "（已并入 <code>{primary}</code> 一并办理）",
    "notify.message": "<blockquote>{message}</blockquote>",
    "notify.button_view": "查看办理记录",
    # --- staff alerts (to staff chats) -----------------------------------------------------------
    "staff.transfer": (
        "🔀 <b>转办</b>：举报 <code>{number}</code> 已由{source}转给{department}。\n"
        "经办人：{actor}\n理由：{reason}"
    ),
    "staff.button_open": "在工作台打开",
}
