"""What the e-mail and SMS tests do to a report alike."""

from __future__ import annotations

from civicdesk.container import Services


async def reply_then_resolve(services: Services, number: str, resolution: str | None = None) -> None:
    """A public reply, then accepted -> assigned -> in_progress -> resolved: five messages, the last
    asking for the 回访 rating."""
    await services.complaints.add_note(number, "triager1", "我们已联系施工单位", public=True)
    for to in ("accepted", "assigned", "in_progress", "resolved"):
        await services.complaints.transition(number, "triager1", to,
                                             public_message=resolution if to == "resolved" else None)
