"""`civicdesk opendays`: list events, run the due reminders/feedback requests by hand (or from cron
where no bot process runs), and export registrations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import run_with_services as _run

app = typer.Typer(help="Open days (site visits): events, reminders, exports.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="opendays")


@app.command("list")
def list_events(
    status: Annotated[str | None, typer.Option(help="draft | published | finished | cancelled")] = None,
) -> None:
    """Events with their seats and registrations, newest first."""
    events = _run(lambda s: s.opendays.staff_events(status))
    if not events:
        typer.echo("no open days")
    for e in events:
        typer.echo(
            f"{e.id}\t{e.status}\t{e.starts_at:%Y-%m-%d %H:%M}\t{e.seats_taken}/{e.capacity} seats"
            f"\t{e.waitlisted} waitlisted\t{e.title}"
        )


@app.command("send-due")
def send_due() -> None:
    """Enqueue due reminders (24 h before) and feedback requests (after the end); finish ended events.
    The bot does this every minute; run it from cron where no bot process runs."""
    result = _run(lambda s: s.opendays.due_notifications())
    typer.echo(f"reminders {result.reminders}, feedback requests {result.feedback_requests}, "
               f"finished events {result.finished}")


@app.command("export")
def export(
    event_id: Annotated[int, typer.Argument(help="the event's id (see `civicdesk opendays list`)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV file to write")],
    feedback: Annotated[bool, typer.Option(help="export the feedback instead of the registrations")] = False,
    lang: Annotated[str, typer.Option(help="zh | en (column headers and labels)")] = "zh",
) -> None:
    """Write an event's registrations (phones masked) or feedback as CSV that Excel opens (UTF-8 BOM)."""
    data = _run(lambda s: s.opendays.feedback_csv(event_id, lang) if feedback
                else s.opendays.registrations_csv(event_id, lang))
    output.write_bytes(data)
    typer.echo(f"wrote {output}")
