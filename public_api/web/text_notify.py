"""The portal's words for e-mail/SMS updates, unsubscribing and "my reports". Merged into
`text.TEXT`; Chinese is the default."""

from __future__ import annotations

NOTIFY_TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "updates_title": "办理进展通知（选填）",
        "updates_hint": "工作人员处理、回复或办结时通知您。邮箱和手机号只用于发送通知，不会公开。",
        "registration_updates_hint": "候补转为报名成功、活动时间地点变更或取消时通知您。邮箱和手机号只用于发送通知，不会公开。",
        "contact_email": "电子邮箱",
        "notify_email_label": "通过邮件通知我",
        "notify_sms_label": "通过短信通知我（需填写手机号）",
        "unsubscribe_title": "退订通知",
        "unsubscribe_lead": "确认后，将不再向 {address} 发送这份{subject}的通知。",
        "subject_report": "举报",
        "subject_registration": "开放日报名",
        "unsubscribe_button": "确认退订",
        "unsubscribed": "已退订：不再向 {address} 发送这类通知。您仍可凭查询码查看办理进展。",
        "unsubscribe_invalid": "退订链接无效或已过期。",
    },
    "en": {
        "updates_title": "Updates (optional)",
        "updates_hint": "We tell you when staff act on, answer or resolve your report. The address and number "
                        "are used for these messages only and never shown.",
        "registration_updates_hint": "We tell you when a seat frees up for you, or the event changes or is "
                                     "cancelled. The address and number are used for these messages only.",
        "contact_email": "E-mail",
        "notify_email_label": "Tell me by e-mail",
        "notify_sms_label": "Tell me by SMS (needs a mobile number)",
        "unsubscribe_title": "Stop updates",
        "unsubscribe_lead": "After you confirm, no more updates on this {subject} go to {address}.",
        "subject_report": "report",
        "subject_registration": "open-day registration",
        "unsubscribe_button": "Stop updates",
        "unsubscribed": "Done: no more of these updates go to {address}. Your token still shows the progress.",
        "unsubscribe_invalid": "This unsubscribe link is not valid.",
    },
}
