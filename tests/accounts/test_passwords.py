"""The password policy (pure rules) and the account service's password life cycle."""

from __future__ import annotations

import pytest

from accounts.passwords import COMMON_FILE, check_password, common_passwords, is_common, temporary_password
from civicdesk.container import Services
from core.errors import ValidationFailed


def test_the_common_list_is_the_top_thousand() -> None:
    lines = [line for line in COMMON_FILE.read_text(encoding="utf-8").splitlines() if line]
    assert len(lines) == 1000 and lines[:3] == ["123456", "password", "12345678"]
    assert len(common_passwords()) == 1000


@pytest.mark.parametrize("password", ["short", "1234567890", "qwertyuiop", "Password2024!", "DRAGON123456",
                                      "aaaaaaaaaaaa", "abababababab"])
def test_weak_passwords_are_refused_with_a_reason(password: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        check_password(password)
    assert err.value.code == "weak_password" and err.value.message_zh and err.value.message_en


def test_username_as_password_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        check_password("zhangsan2024", "zhangsan")
    check_password("zhangsan walks the dog", "zhangsan")  # containing it is fine: only "the name" is not


def test_good_and_temporary_passwords_pass() -> None:
    check_password("correct horse battery")
    assert not is_common("correct horse battery") and is_common("letmein!!")
    temporary = {temporary_password() for _ in range(50)}
    assert len(temporary) == 50
    for value in temporary:
        check_password(value)
        assert not set(value) & set("0O1lI")


async def test_new_account_without_password_gets_a_temporary_one(services: Services) -> None:
    account = await services.accounts.create("zhangsan", "triager")
    assert account.temporary_password and account.identity.must_change_password
    identity = await services.accounts.by_password("zhangsan", account.temporary_password)
    assert identity is not None and identity.must_change_password
    session = await services.accounts.open_session(identity)
    other = await services.accounts.open_session(identity)
    with pytest.raises(ValidationFailed) as err:
        await services.accounts.change_password(identity.id, "wrong one here", "a brand new secret")
    assert err.value.code == "wrong_password"
    with pytest.raises(ValidationFailed):
        await services.accounts.change_password(identity.id, account.temporary_password, "password1234")
    await services.accounts.change_password(identity.id, account.temporary_password, "a brand new secret",
                                            keep_session=session)
    assert await services.accounts.by_password("zhangsan", account.temporary_password) is None
    changed = await services.accounts.by_password("zhangsan", "a brand new secret")
    assert changed is not None and not changed.must_change_password
    # The session that changed it stays; the account's other sessions end.
    assert (await services.accounts.by_session(session)) is not None
    assert await services.accounts.by_session(other) is None


async def test_reset_and_set_password_sign_out_everywhere(services: Services) -> None:
    account = await services.accounts.create("lisi", "viewer", password="correct horse battery")
    assert account.temporary_password is None and not account.identity.must_change_password
    session = await services.accounts.open_session(account.identity)
    temporary = await services.accounts.reset_password("lisi")
    assert await services.accounts.by_session(session) is None
    assert await services.accounts.by_password("lisi", "correct horse battery") is None
    assert (await services.accounts.by_password("lisi", temporary)).must_change_password
    with pytest.raises(ValidationFailed):
        await services.accounts.set_password("lisi", "iloveyou12")
    await services.accounts.set_password("lisi", "another good secret")
    assert not (await services.accounts.by_password("lisi", "another good secret")).must_change_password
    with pytest.raises(ValidationFailed):
        await services.accounts.create("wangwu", "viewer", password="qwerty123456")
