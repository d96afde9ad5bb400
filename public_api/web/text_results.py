"""The words of the public results page (行政执法公示) and of the console's public-outcome fields;
merged into `text.TEXT`."""

from __future__ import annotations

RESULTS_TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "results_nav": "办理结果公示",
        "results_title": "举报办理结果公示",
        "results_intro": "本局已办结的举报：类别、承办部门、所在街道或道路、受理与办结日期和公开的办理结果。"
                         "举报人信息、举报内容和内部意见均不公开。",
        "results_month": "月份",
        "results_figures": "{month} 月度数据",
        "results_received": "收到举报",
        "results_accepted": "受理",
        "results_resolved": "办结",
        "results_in_time": "按期办结",
        "results_satisfaction": "满意率（{rated} 人评价）",
        "results_satisfaction_col": "满意率（评价数）",
        "results_figures_note": "按本局所在时区的自然月统计；办结指当前为已办结或已结案的举报；满意率为“满意”与“基本满意”占全部回访评价的比例。",
        "results_cases": "已办结案件（{total} 件）",
        "results_number": "编号",
        "results_area": "地点",
        "results_area_none": "未公开",
        "results_dates": "收到 → 办结",
        "results_on_time": "按期办结",
        "results_late": "超期办结",
        "results_no_outcome": "办理结果未单独公示。",
        "results_none": "暂无符合条件的已办结案件。",
        "results_privacy": "地点只公开到街道或道路，坐标约 1 公里精度。数据接口：",
        "public_outcome": "公示的办理结果",
        "public_outcome_hint": "办结时填写：将显示在公开的“办理结果公示”页（不要写入举报人姓名、电话或门牌号）。其他状态请留空。",
        "save_public_outcome": "保存公示内容",
        "public_outcome_none": "尚未公示办理结果。",
        "ev_public_outcome": "公示办理结果",
    },
    "en": {
        "results_nav": "Results",
        "results_title": "Results of reports handled",
        "results_intro": "Reports the bureau has resolved: category, department, the street or road, dates, and the outcome "
                         "published. Nothing of the reporter, the report's text or internal notes is shown.",
        "results_month": "Month",
        "results_figures": "Figures for {month}",
        "results_received": "Received",
        "results_accepted": "Accepted",
        "results_resolved": "Resolved",
        "results_in_time": "Resolved in time",
        "results_satisfaction": "Satisfied ({rated} ratings)",
        "results_satisfaction_col": "Satisfied (ratings)",
        "results_figures_note": "Calendar months in the bureau's time zone; resolved counts reports now resolved or closed; "
                                "satisfied is the share of 'satisfied' and 'basically satisfied' among all follow-up ratings.",
        "results_cases": "Resolved cases ({total})",
        "results_number": "Number",
        "results_area": "Where",
        "results_area_none": "not published",
        "results_dates": "Received → resolved",
        "results_on_time": "On time",
        "results_late": "Late",
        "results_no_outcome": "No outcome was published for this case.",
        "results_none": "No resolved cases match.",
        "results_privacy": "Places are shown to the street or road, points to about 1 km. Data:",
        "public_outcome": "Outcome to publish",
        "public_outcome_hint": "When resolving: shown on the public results page (no names, phone numbers or house "
                               "numbers). Leave empty for other steps.",
        "save_public_outcome": "Save the published outcome",
        "public_outcome_none": "No outcome published yet.",
        "ev_public_outcome": "Published outcome",
    },
}
