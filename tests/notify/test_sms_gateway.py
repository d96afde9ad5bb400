"""The SMS adapter's pure parts: Aliyun's RPC signature v1.0 against the documentation's own
example, the percent-encoding rules, and what each gateway answer means for the outbox."""

from __future__ import annotations

import pytest

from core.delivery import Permanent, RetryLater
from notify import aliyun
from notify.sms import outcome


def test_the_signature_is_the_documented_one() -> None:
    # The worked SendSms example of Aliyun's SMS API documentation (key testId / testSecret).
    params = {
        "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
        "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25",
    }
    assert aliyun.signature("testSecret", "GET", params) == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    assert aliyun.signature("testSecret", "GET", {**params, "Signature": "ignored"}) == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    assert aliyun.string_to_sign("GET", {"b": "2", "a": "1"}) == "GET&%2F&a%3D1%26b%3D2"


def test_percent_encoding_follows_aliyun_not_forms() -> None:
    assert aliyun.percent_encode("a b*c~d-e_f.g") == "a%20b%2Ac~d-e_f.g"
    assert aliyun.percent_encode("住建/+=&") == "%E4%BD%8F%E5%BB%BA%2F%2B%3D%26"


def test_signed_requests_carry_the_common_parameters() -> None:
    from datetime import UTC, datetime

    request = aliyun.signed("SendSms", "2017-05-25", "id", "secret", {"PhoneNumbers": "13800138000"},
                            now=datetime(2026, 3, 10, 2, 0, tzinfo=UTC), nonce="n1", region="cn-hangzhou")
    assert request["Timestamp"] == "2026-03-10T02:00:00Z" and request["Format"] == "JSON"
    assert request["Signature"] == aliyun.signature("secret", "POST", request)
    assert aliyun.signed("SendSms", "2017-05-25", "id", "secret", {})["SignatureNonce"] != \
        aliyun.signed("SendSms", "2017-05-25", "id", "secret", {})["SignatureNonce"]


@pytest.mark.parametrize(("status", "code", "raised", "retry_after"), [
    (200, "isv.BUSINESS_LIMIT_CONTROL", RetryLater, 60.0),
    (200, "Throttling.User", RetryLater, None),
    (429, "", RetryLater, None),
    (500, "", RetryLater, None),
    (503, "ServiceUnavailable", RetryLater, None),
    (200, "isp.SYSTEM_ERROR", RetryLater, None),
    (200, "isv.AMOUNT_NOT_ENOUGH", RetryLater, None),  # the account's trouble: kept for after the fix
    (400, "SignatureDoesNotMatch", RetryLater, None),
    (200, "isv.MOBILE_NUMBER_ILLEGAL", Permanent, None),
    (200, "isv.SMS_TEMPLATE_ILLEGAL", Permanent, None),
    (200, "isv.TEMPLATE_MISSING_PARAMETERS", Permanent, None),
    (200, "isv.PARAM_LENGTH_LIMIT", Permanent, None),
    (400, "SomethingNew", Permanent, None),
    (200, "SomethingNew", RetryLater, None),
])
def test_what_each_answer_means(status: int, code: str, raised: type[Exception], retry_after: float | None) -> None:
    with pytest.raises(raised) as error:
        outcome(status, {"Code": code} if code else None)
    if isinstance(error.value, RetryLater):
        assert error.value.retry_after == retry_after


def test_ok_is_delivered_and_a_named_wait_is_kept() -> None:
    assert outcome(200, {"Code": "OK", "BizId": "900619746936498440^0"}) is None
    with pytest.raises(RetryLater) as error:
        outcome(429, None, retry_after=30.0)
    assert error.value.retry_after == 30.0
