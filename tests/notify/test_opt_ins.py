"""One rule for the e-mail and SMS opt-ins (core/contacts.py), used by a report's and a
registration's input alike: an opt-in needs its address, SMS a mainland mobile, an address is
normalised or refused in both languages."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from complaints.schemas import ReportInput
from opendays.schemas import RegistrationInput


def report(**fields: object) -> ReportInput:
    return ReportInput(category="dust", description="工地裸土没有覆盖，扬尘很大", address="人民路 18 号",
                       contact_email=fields.pop("email", None), contact_phone=fields.pop("phone", None), **fields)


def registration(**fields: object) -> RegistrationInput:
    return RegistrationInput(name="李四", **fields)


@pytest.mark.parametrize("make", [report, registration])
@pytest.mark.parametrize(("fields", "message"), [
    ({"notify_email": True}, "邮件通知需要填写电子邮箱"),
    ({"notify_sms": True}, "短信通知需要填写手机号码"),
    ({"notify_sms": True, "phone": "0571-87654321"}, "短信通知需要填写手机号码"),
    ({"email": "not-an-address"}, "电子邮箱格式不正确"),
])
def test_opt_ins_need_their_address(make, fields: dict[str, object], message: str) -> None:  # noqa: ANN001
    with pytest.raises(ValidationError) as error:
        make(**fields)
    cause = error.value.errors()[0]["ctx"]["error"]
    assert message in cause.zh and cause.en


@pytest.mark.parametrize("make", [report, registration])
def test_good_opt_ins_are_kept_normalised(make) -> None:  # noqa: ANN001
    data = make(email="Li.Ming@Example.COM", notify_email=True, phone="+86 138-0013-8000", notify_sms=True)
    assert (data.contact_email if isinstance(data, ReportInput) else data.email) == "Li.Ming@example.com"
