"""Staff in the bot: linking a chat to a staff account, and the alerts staff chats receive.
Merged into the zh and en catalogs (Telegram HTML)."""

TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "link.usage": "请发送 <code>/link 绑定码</code>。绑定码在工作台“手机提醒”页生成，{minutes} 分钟内有效。",
        "link.done": "✅ 已绑定工作台账号 <b>{username}</b>。您所在部门的紧急举报、临近期限和每日超期汇总会发到这里。"
                     "发送 /unlink 解除绑定。",
        "link.refused": "{reason}",
        "link.group": "请在与机器人的私聊中绑定个人账号。若要让本群接收部门提醒，请管理员在工作台“部门”页填入本群 ID："
                      "<code>{chat_id}</code>",
        "link.unlinked": "已解除与工作台账号 <b>{username}</b> 的绑定，不会再收到工作提醒。",
        "link.not_linked": "这个聊天没有绑定工作台账号。",
        "priority.high": "高",
        "priority.urgent": "紧急",
        "priority.normal": "普通",
        "priority.low": "低",
        "deadline.acceptance_due_at": "受理期限",
        "deadline.handling_due_at": "办理期限",
        "staff.urgent": "🚨 <b>{priority}优先级举报</b> <code>{number}</code>\n类别：{category}\n部门：{department}\n"
                        "期限：{due}\n设置人：{actor}",
        "staff.deadline": "⏰ <b>{deadline}将到</b>：举报 <code>{number}</code> 的{deadline}为 {due}（{days} 天内）。\n"
                          "类别：{category}\n部门：{department}",
        "staff.digest": "📋 <b>超期举报汇总</b>（{day}）：共 {total} 件已超过期限。",
        "staff.digest_line": "• <code>{number}</code> {category}，{deadline} {due}",
        "staff.digest_more": "……另有 {count} 件，请在工作台查看。",
        "staff.button_overdue": "在工作台查看超期举报",
    },
    "en": {
        "link.usage": "Send <code>/link CODE</code>. Make the code on the console's Phone alerts page; "
                      "it works for {minutes} minutes.",
        "link.done": "✅ Linked to the staff account <b>{username}</b>. Urgent reports, deadlines drawing near and the "
                     "daily overdue digest for your departments will come here. Send /unlink to stop.",
        "link.refused": "{reason}",
        "link.group": "Link your own account in a private chat with the bot. For this group to receive a "
                      "department's alerts, an admin enters this group's id on the console's Departments page: "
                      "<code>{chat_id}</code>",
        "link.unlinked": "Unlinked from the staff account <b>{username}</b>; no more staff alerts here.",
        "link.not_linked": "This chat is not linked to a staff account.",
        "priority.high": "High",
        "priority.urgent": "Urgent",
        "priority.normal": "Normal",
        "priority.low": "Low",
        "deadline.acceptance_due_at": "acceptance deadline",
        "deadline.handling_due_at": "handling deadline",
        "staff.urgent": "🚨 <b>{priority} priority report</b> <code>{number}</code>\nCategory: {category}\n"
                        "Department: {department}\nDeadline: {due}\nSet by: {actor}",
        "staff.deadline": "⏰ <b>Deadline near</b>: the {deadline} of report <code>{number}</code> is {due} "
                          "(within {days} days).\nCategory: {category}\nDepartment: {department}",
        "staff.digest": "📋 <b>Overdue reports</b> ({day}): {total} past their deadline.",
        "staff.digest_line": "• <code>{number}</code> {category}, {deadline} {due}",
        "staff.digest_more": "… and {count} more; see the console.",
        "staff.button_overdue": "See overdue reports in the console",
    },
}
