"""`civicdesk ingest`, `civicdesk ask` and `civicdesk eval`."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from core.errors import DomainError
from core.kit.channels import ChannelName
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EVALSETS = ROOT / "knowledge" / "evalsets"  # the project's question sets (train, fresh, handoff)
SHARED_DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"  # present where ../shared ships (CI, this machine)


def _service():  # type: ignore[no-untyped-def]
    from knowledge.service import build_knowledge

    return build_knowledge(Settings())


def _fail(exc: DomainError) -> None:
    typer.echo(f"error: {exc.message_zh} / {exc.message_en}", err=True)
    raise typer.Exit(code=1)


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="files (.md .txt .pdf .docx) or folders")],
) -> None:
    """Ingest regulation documents and guides into the knowledge index (incremental)."""
    service = _service()
    try:
        report = service.ingest(list(paths), progress=True)
    except DomainError as exc:
        _fail(exc)
        return
    typer.echo(
        f"added {len(report.added)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}, "
        f"removed {len(report.removed)}; {report.chunks} chunks, {report.embedded} newly embedded, "
        f"{report.seconds:.1f} s"
    )
    if report.ignored:
        typer.echo(f"ignored (not .md .txt .pdf .docx): {', '.join(report.ignored)}", err=True)
    for name, reason in report.failed.items():
        typer.echo(f"skipped {name}: {reason}", err=True)
    if report.failed:
        raise typer.Exit(code=1)


def ask(
    question: Annotated[str, typer.Argument(help='the question, or "-" to read one question per line from stdin')],
    k: Annotated[int, typer.Option(help="number of sources")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="print the answer as JSON")] = False,
    lang: Annotated[str, typer.Option(help="zh | en")] = "zh",
    mode: Annotated[str, typer.Option(help="hybrid | bm25 | vector")] = "hybrid",
    llm: Annotated[bool, typer.Option(help="use the configured LLM if any")] = True,
) -> None:
    """Answer a question from the ingested documents, with cited articles (logged with channel "cli")."""
    asyncio.run(_ask(question, k=k, as_json=as_json, lang=lang, mode=mode, llm=llm))


async def _ask(question: str, *, k: int, as_json: bool, lang: str, mode: str, llm: bool) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from core.db import Database
    from knowledge.service import build_knowledge

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    service = build_knowledge(settings, db)
    logging_works = True

    async def answer_logged(text: str):  # type: ignore[no-untyped-def]
        nonlocal logging_works
        answer = service.answer(text, k=k, lang=lang, mode=mode, use_llm=llm)
        if logging_works:
            try:
                await service.log(answer, channel=ChannelName.CLI.value, lang=lang)
            except SQLAlchemyError:
                logging_works = False
                typer.echo("note: questions are not logged until the database exists (civicdesk db upgrade)",
                           err=True)
        return answer

    try:
        service.seed_if_empty()
        if question == "-":
            for line in sys.stdin:
                line = line.strip()
                if not line:
                    continue
                try:
                    body = (await answer_logged(line)).model_dump(mode="json")
                except DomainError as exc:
                    body = {"question": line, "error": exc.as_dict(lang)}
                typer.echo(json.dumps(body, ensure_ascii=False))
            return
        try:
            answer = await answer_logged(question)
        except DomainError as exc:
            _fail(exc)
            return
        if as_json:
            typer.echo(answer.model_dump_json(indent=2))
            return
        typer.echo(answer.answer)
        if answer.sources and not answer.abstained:
            typer.echo("\n来源 / sources:")
            for source in answer.sources:
                typer.echo(f"  {source.citation}  ({source.file}, score {source.score:.3f})")
        if answer.report_suggestion:
            typer.echo(f"\n举报类别 / report category: {answer.report_suggestion.category}")
        if answer.missing:
            typer.echo(f"\n{answer.missing.staff_hint_zh}\n{answer.missing.staff_hint_en}", err=True)
    finally:
        await db.dispose()


def evaluate(
    files: Annotated[list[Path] | None, typer.Argument(
        help="question sets in the dev.jsonl format (default: the project's sets and ../shared/eval/dev.jsonl)")] = None,
    mode: Annotated[str, typer.Option(help="hybrid | bm25 | vector | all")] = "hybrid",
    k: Annotated[int, typer.Option(help="sources per question")] = 5,
    misses: Annotated[bool, typer.Option(help="list the questions each set missed")] = False,
) -> None:
    """Recall@5, MRR, answer length, citations, abstentions and report suggestions: one row per set."""
    from knowledge.evaluation import EvalSet, evaluate_items, format_table, load_items, standard_sets

    service = _service()
    modes = ["hybrid", "bm25", "vector"] if mode == "all" else [mode]
    try:
        if files:
            sets = [EvalSet(file.name, load_items(file)) for file in files]
        else:
            sets = standard_sets(EVALSETS, SHARED_DEV)
        for number, m in enumerate(modes):
            named = [(s.name + (" (tuned on)" if s.tuned else ""), evaluate_items(service, s.items, mode=m, k=k))
                     for s in sets]
            typer.echo(f"{'' if number == 0 else chr(10)}## {m}, k = {k}\n")
            typer.echo(format_table(named, misses=misses))
    except DomainError as exc:
        _fail(exc)


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("ask")(ask)
    app.command("eval")(evaluate)
