"""The words e-mail and SMS add around a message (subject, links, why it was sent), zh and en."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "report_subject": "【{bureau}】举报 {number}：{status}",
        "reply_subject": "【{bureau}】举报 {number} 有新回复",
        "openday_subject": "【{bureau}】开放日：{title}",
        "view_report": "查看办理记录：{url}",
        "rate_report": "评价办理结果（满意 / 基本满意 / 不满意）：{url}",
        "no_link": "请使用提交时获得的查询码，在 {url} 查询办理进展。",
        "view_registration": "查看或取消报名：{url}",
        "why_report": "您在提交举报时选择接收这类通知。",
        "why_registration": "您在报名时选择接收这类通知。",
        "unsubscribe": "不再接收：{url}",
        "unsubscribe_short": "退订 {url}",
        "sms_code_on_receipt": "见提交回执",
        "sms_openday_promoted": "候补已转为正式报名",
        "sms_openday_cancelled": "活动已取消",
        "sms_openday_updated": "活动信息有变更",
        "sms_openday_reminder": "活动即将开始",
        "sms_openday_feedback_request": "欢迎评价本次活动",
    },
    "en": {
        "report_subject": "[{bureau}] Report {number}: {status}",
        "reply_subject": "[{bureau}] New reply on report {number}",
        "openday_subject": "[{bureau}] Open day: {title}",
        "view_report": "See the report's history: {url}",
        "rate_report": "Rate the result (satisfied / basically satisfied / dissatisfied): {url}",
        "no_link": "Use the token from your receipt at {url} to see the progress.",
        "view_registration": "See or cancel your registration: {url}",
        "why_report": "You asked for these updates when you submitted the report.",
        "why_registration": "You asked for these updates when you registered.",
        "unsubscribe": "Stop these messages: {url}",
        "unsubscribe_short": "Stop: {url}",
        "sms_code_on_receipt": "on your receipt",
        "sms_openday_promoted": "you have a seat now",
        "sms_openday_cancelled": "event cancelled",
        "sms_openday_updated": "event details changed",
        "sms_openday_reminder": "starting soon",
        "sms_openday_feedback_request": "tell us how it went",
    },
}


def t(lang: str, key: str, **params: object) -> str:
    return TEXTS["en" if lang.startswith("en") else "zh"][key].format(**params)
