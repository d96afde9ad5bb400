"""回访 and additions on Telegram, against the fake Bot API: the resolution message asks for a
rating, 不满意 offers reopening with a reason, and a button under the history adds text or a photo."""

from __future__ import annotations

from tests.imaging import jpeg

from .conftest import Chat, file_report
from .fakes import Person


async def resolve(services, number: str) -> None:  # noqa: ANN001
    for to in ("accepted", "assigned", "in_progress", "resolved"):
        await services.complaints.transition(number, "triager1", to,
                                             public_message="已覆盖防尘网" if to == "resolved" else None)


async def test_add_information_from_the_history_then_rate_and_ask_for_reopening(
        chat: Chat, fake_api, services, runtime) -> None:  # noqa: ANN001
    number = await file_report(chat)
    # The history has a button to add information while the report is open.
    await chat.say(number)
    history = fake_api.messages_to(chat.id)[-1]
    assert [b["text"] for b in history.buttons()] == ["➕ 补充情况或照片"]
    calls = await chat.tap("补充情况")
    assert "请发送要补充的文字" in chat.texts(calls)[0]
    assert "已提交" in chat.texts(await chat.say("今天傍晚又有渣土车带泥上路"))[0]
    await chat.tap("补充情况")
    photo = chat.person.photo(jpeg(640, 480))
    photo["message"]["caption"] = "现场照片"
    assert "已提交" in chat.texts(await chat.send(photo))[0]
    detail = await services.complaints.detail(number)
    assert detail.attention == "supplement" and detail.photo_count == 1
    supplements = [e for e in detail.events if e.kind == "supplement"]
    assert [(e.public_message, e.to_value) for e in supplements] == [("今天傍晚又有渣土车带泥上路", None), ("现场照片", "1")]

    # The resolution reaches the reporter with the 回访 question and its three answers.
    await resolve(services, number)
    await runtime.delivery.run_once()
    resolved = fake_api.messages_to(chat.id)[-1]
    assert "您对办理结果满意吗" in resolved.text
    assert [b["text"] for b in resolved.buttons()][1:] == ["😊 满意", "🙂 基本满意", "😞 不满意"]
    calls = await chat.tap("不满意")
    texts = chat.texts(calls)
    assert "感谢您的评价：不满意" in texts[0] and "前可以申请重新办理" in texts[1]
    assert any(c.method == "editMessageReplyMarkup" for c in calls)  # no second rating from that message
    await chat.tap("申请重新办理")
    assert "至少需要 5 个字符" in chat.texts(await chat.say("没"))[0]  # asked again
    assert "已收到您的重新办理申请" in chat.texts(await chat.say("防尘网第二天就被撤了"))[0]
    view = await services.complaints.followup_view(number, chat_user(chat))
    assert view.rating == "dissatisfied" and view.reopen_requested
    assert (await services.complaints.detail(number)).attention == "reopen_request"

    # Staff decline with a reply: the reporter is told, and the history shows it.
    await services.complaints.decline_reopen(number, "triager1", "经复查现场已整改到位")
    await runtime.delivery.run_once()
    told = fake_api.messages_to(chat.id)[-1].text
    assert "重新办理申请未通过" in told and "经复查现场已整改到位" in told
    await chat.say(number)
    history = fake_api.messages_to(chat.id)[-1]
    assert "您的评价：不满意" in history.text and "您补充了情况" in history.text
    assert history.buttons() == []  # rated, request decided, not open: nothing more to do here


async def test_a_stranger_cannot_rate_someone_elses_report(chat: Chat, fake_api, services, runtime) -> None:  # noqa: ANN001
    number = await file_report(chat)
    await resolve(services, number)
    await runtime.delivery.run_once()
    resolved = fake_api.messages_to(chat.id)[-1]
    button = next(b for b in resolved.buttons() if "满意" == b["text"].split()[-1])
    stranger = Chat(runtime, fake_api, Person(fake_api, user_id=2002, first_name="李四"))
    calls = await stranger.send(stranger.person.press(button["callback_data"]))
    assert "找不到您提交的这份举报" in stranger.texts(calls)[0]
    assert (await services.complaints.followup_view(number, chat_user(chat))).can_rate


def chat_user(chat: Chat):  # noqa: ANN201
    from complaints.service import ChannelUser

    return ChannelUser("telegram", str(chat.id))


async def test_a_one_tap_rating_offers_a_comment(chat: Chat, fake_api, services, runtime) -> None:  # noqa: ANN001
    number = await file_report(chat)
    await resolve(services, number)
    await runtime.delivery.run_once()
    calls = await chat.tap("基本满意")
    texts = chat.texts(calls)
    assert "感谢您的评价：基本满意" in texts[0] and "愿意说说原因吗" in texts[1]
    offer = fake_api.messages_to(chat.id)[-1]
    assert [b["text"] for b in offer.buttons()] == ["💬 写评价意见"]
    assert "请写下您的评价意见" in chat.texts(await chat.tap("写评价意见"))[0]
    assert "评价意见已提交" in chat.texts(await chat.say("处理及时，谢谢"))[0]
    view = await services.complaints.followup_view(number, chat_user(chat))
    assert view.rating == "basically_satisfied" and view.comment == "处理及时，谢谢"
    # The same button again: told once is enough, and no conversation is left waiting.
    await chat.send(chat.person.press(offer.buttons()[0]["callback_data"]))
    assert "已提交过评价意见" in chat.texts(await chat.say("再补一句"))[0]
    assert (await services.complaints.followup_view(number, chat_user(chat))).comment == "处理及时，谢谢"
