"""Open days that require a verified phone (issue 9 item 14): a per-event flag staff set; web and
API registrations need the SMS code sent to the phone, Telegram's own-contact share counts as
verified, a typed number (WeChat, or Telegram without sharing) does not. SQLite and PostgreSQL."""

from __future__ import annotations

import httpx

from civicdesk.container import Services
from opendays.schemas import RegistrationInput
from opendays.rules import RegChannel
from tests.accounts.codes import sms_code
from tests.accounts.conftest import settings, sms_gateway  # noqa: F401 - codes go through the fake SMS gateway
from tests.accounts.test_my_reports_portal import csrf_of
from tests.support import bearer
from tests.web.test_console import sign_in

from .support import published_event
from .test_api import PUBLIC, STAFF, create_published

MOBILE = "13600136000"


async def registration_token(client: httpx.AsyncClient, services: Services, phone: str) -> str:
    assert (await client.post("/api/v1/phone-codes", json={"phone": phone, "purpose": "registration"})).status_code == 202
    code = await sms_code(services, phone)
    checked = await client.post("/api/v1/phone-codes/verify",
                                json={"phone": phone, "code": code, "purpose": "registration"})
    assert checked.status_code == 200, checked.text
    return checked.json()["token"]


async def test_staff_set_the_flag_and_the_api_needs_the_code(client: httpx.AsyncClient, services: Services,
                                                             staff_tokens: dict[str, str]) -> None:
    event = await create_published(client, staff_tokens["triager"], requires_verified_phone=True)
    assert event["requirements"]["requires_verified_phone"] is True
    url = f"{PUBLIC}/{event['id']}/registrations"
    body = {"name": "王五", "phone": MOBILE}
    refused = await client.post(url, json=body)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "phone_verification_required"
    assert "验证手机号" in refused.json()["error"]["messages"]["zh"]

    token = await registration_token(client, services, MOBILE)
    other = await client.post(url, json={"name": "赵六", "phone": "13600136001"}, headers={"X-Phone-Token": token})
    assert other.status_code == 422  # the token proves another number
    genuine = await registration_token(client, services, "13600136002")
    middle = len(genuine) // 2  # one character changed in the sealed part: the seal no longer opens
    tampered = genuine[:middle] + ("A" if genuine[middle] != "A" else "B") + genuine[middle + 1:]
    refused_tampered = await client.post(url, json={"name": "孙七", "phone": "13600136002"},
                                         headers={"X-Phone-Token": tampered})
    assert refused_tampered.status_code == 422
    accepted = await client.post(url, json={**body, "phone": "+86 136-0013-6000"}, headers={"X-Phone-Token": token})
    assert accepted.status_code == 201, accepted.text

    # a my-reports proof does not count for a registration
    await client.post("/api/v1/phone-codes", json={"phone": "13600136003"})
    mine = await client.post("/api/v1/phone-codes/verify",
                             json={"phone": "13600136003", "code": await sms_code(services, "13600136003")})
    not_for_this = await client.post(url, json={"name": "周八", "phone": "13600136003"},
                                     headers={"X-Phone-Token": mine.json()["token"]})
    assert not_for_this.status_code == 422

    # turned off, registrations need no code again
    patched = await client.patch(f"{STAFF}/{event['id']}", json={"requires_verified_phone": False},
                                 headers=bearer(staff_tokens["triager"]))
    assert patched.status_code == 200 and patched.json()["requirements"]["requires_verified_phone"] is False
    assert (await client.post(url, json={"name": "吴九"})).status_code == 201


async def test_portal_registration_asks_for_the_code(client: httpx.AsyncClient, services: Services) -> None:
    event = await published_event(services, requires_verified_phone=True)
    page = await client.get(f"/open-days/{event.id}")
    assert 'id="verified-phone-needed"' in page.text and 'name="code"' in page.text
    form = {"name": "李四", "phone": MOBILE, "party_size": "2", "csrf_token": csrf_of(page.text)}
    no_code = await client.post(f"/open-days/{event.id}/register", data=form)
    assert no_code.status_code == 422 and "验证手机号" in no_code.text and 'value="李四"' in no_code.text

    sent = await client.post(f"/open-days/{event.id}/phone-code", data=form)
    assert sent.status_code == 200 and 'id="code-sent"' in sent.text and 'value="李四"' in sent.text
    code = await sms_code(services, MOBILE)
    wrong = await client.post(f"/open-days/{event.id}/register",
                              data={**form, "code": f"{(int(code) + 1) % 1_000_000:06d}"})
    assert wrong.status_code == 422 and "验证码不正确" in wrong.text and 'value="李四"' in wrong.text
    done = await client.post(f"/open-days/{event.id}/register", data={**form, "code": code})
    assert done.status_code == 303 and "/open-days/registrations/" in done.headers["location"]

    plain = await published_event(services, title="城北安置房项目工地开放日")
    assert 'name="code"' not in (await client.get(f"/open-days/{plain.id}")).text


async def test_the_console_form_sets_the_flag(client: httpx.AsyncClient, services: Services,
                                              staff_tokens: dict[str, str]) -> None:
    event = await published_event(services)
    await sign_in(client, "triager1")
    staff = client
    form_page = await staff.get(f"/staff/open-days/{event.id}?edit=1")
    assert 'name="requires_verified_phone"' in form_page.text
    data = {"title": event.title, "site_name": event.site_name, "address": event.address,
            "starts_at": "2026-03-20T09:00", "ends_at": "2026-03-20T11:30", "capacity": "20",
            "requires_verified_phone": "true", "csrf_token": csrf_of(form_page.text)}
    saved = await staff.post(f"/staff/open-days/{event.id}/edit", data=data)
    assert saved.status_code == 303, saved.text
    assert (await services.opendays.public_event(event.id)).requirements.requires_verified_phone


async def test_channels_that_vouch_for_the_number(services: Services) -> None:
    event = await published_event(services, requires_verified_phone=True)

    def chat(user: int, channel: RegChannel, verified: bool, phone: str | None = "8613600136000") -> RegistrationInput:
        return RegistrationInput(name="张三", phone=phone, channel=channel, channel_user_id=str(user),
                                 chat_id=str(user), phone_verified=verified)

    done = await services.opendays.register(event.id, chat(1, RegChannel.TELEGRAM, True))
    assert done.status == "confirmed"
    for data in (chat(2, RegChannel.TELEGRAM, False), chat(3, RegChannel.TELEGRAM, True, phone=None),
                 chat(4, RegChannel.WECHAT, False)):
        try:
            await services.opendays.register(event.id, data)
        except Exception as exc:  # noqa: BLE001
            assert getattr(exc, "code", "") == "phone_verification_required"
        else:
            raise AssertionError(f"{data.channel} registration without a verified phone was accepted")
