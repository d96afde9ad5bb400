"""Validation errors are worded once (core.kit.validation) with each domain's own field labels."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from complaints.schemas import FIELD_LABELS as COMPLAINT_LABELS
from complaints.schemas import ReportInput, TriageUpdate
from core.kit.validation import describe_errors, error_lines
from opendays.schemas import FIELD_LABELS as OPENDAY_LABELS
from opendays.schemas import EventFields, RegistrationInput


def errors_of(model: type, **values: object) -> list[dict]:
    with pytest.raises(ValidationError) as err:
        model(**values)
    return list(err.value.errors())


def test_each_domain_labels_its_own_fields() -> None:
    described = describe_errors(errors_of(RegistrationInput, name=""), OPENDAY_LABELS)
    assert described == [{"field": "name", "message_zh": "姓名至少需要 1 个字符",
                          "message_en": "name needs at least 1 characters"}]
    # The same field name means different things in different domains.
    assert OPENDAY_LABELS["description"] != COMPLAINT_LABELS["description"]
    report = errors_of(ReportInput, category="dust", description="短", address="x")
    assert error_lines(report, COMPLAINT_LABELS, "zh") == ["问题描述至少需要 5 个字符"]


def test_validators_give_their_message_in_both_languages() -> None:
    described = describe_errors(errors_of(ReportInput, category="dust", description="工地扬尘严重", lat=30.0),
                                COMPLAINT_LABELS)
    assert [(d["message_zh"], d["message_en"]) for d in described] == [
        ("纬度和经度须同时填写或同时不填", "give both lat and lon, or neither")
    ]
    phone = describe_errors(errors_of(ReportInput, category="dust", description="工地扬尘严重", address="x",
                                      contact_phone="call me"), COMPLAINT_LABELS)
    assert phone[0]["message_zh"] == ("联系电话号码格式不正确：可填写手机号、带区号的座机号（如 0571-87654321）"
                                      "或 12345 这类服务号码")
    assert phone[0]["message_en"] == ("contact phone: Invalid phone number: give a mobile number, a landline with "
                                      "its area code (e.g. 0571-87654321) or a service number such as 12345")
    priority = error_lines(errors_of(TriageUpdate, priority="asap"), COMPLAINT_LABELS, "zh")
    assert priority == ["优先级须为以下之一：low, normal, high, urgent"]
    event = error_lines(errors_of(EventFields, lat=30.0), OPENDAY_LABELS, "zh")
    assert event == ["纬度和经度须同时填写或同时不填"]


def test_unknown_fields_fall_back_to_their_name() -> None:
    assert error_lines([{"loc": ("body", "colour"), "type": "missing"}], COMPLAINT_LABELS, "en") == [
        "colour is required"
    ]
    assert error_lines([{"loc": ("query", "page"), "type": "int_parsing"}], {}, "zh") == ["页码必须是数字"]


def test_knowledge_labels_its_own_fields() -> None:
    from knowledge.schemas import FIELD_LABELS as KNOWLEDGE_LABELS
    from knowledge.schemas import AskIn

    assert error_lines(errors_of(AskIn, question=""), KNOWLEDGE_LABELS, "zh") == ["问题至少需要 1 个字符"]
    assert error_lines(errors_of(AskIn, question="施工许可证", k=0), KNOWLEDGE_LABELS, "en")[0].startswith(
        "number of sources:"
    )
