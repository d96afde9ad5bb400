"""`civicdesk ingest`, `civicdesk ask` (text, --json, stdin) and `civicdesk eval`."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicdesk.cli import app
from civicdesk.commands.knowledge import EVALSETS
from tests.knowledge.conftest import DATA, EMBEDDINGS_CACHE, TEST_LAW

runner = CliRunner()
NIGHT_QUESTION = "工地半夜还在施工，吵得睡不着，这样允许吗？"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "var"
    (directory / "knowledge").mkdir(parents=True)
    if EMBEDDINGS_CACHE.exists():  # reuse vectors other tests computed (same back end, same texts)
        # SQLite's backup API: a consistent copy even while a parallel test worker writes to the cache
        with closing(sqlite3.connect(EMBEDDINGS_CACHE, timeout=30)) as source, \
                closing(sqlite3.connect(directory / "knowledge" / "embeddings.sqlite")) as copy:
            source.backup(copy)
    monkeypatch.setenv("CIVICDESK_DATA_DIR", str(directory))
    monkeypatch.chdir(tmp_path)  # no stray .env
    return directory


def test_ingest_then_ask(data_dir: Path) -> None:
    result = runner.invoke(app, ["ingest", str(DATA)])
    assert result.exit_code == 0, result.output
    assert "added 1, updated 0, unchanged 0" in result.output
    again = runner.invoke(app, ["ingest", str(DATA)])
    assert "added 0, updated 0, unchanged 1" in again.output and "0 newly embedded" in again.output

    text = runner.invoke(app, ["ask", NIGHT_QUESTION])
    assert text.exit_code == 0, text.output
    assert "《示范县建筑工地文明施工管理办法》第七条" in text.output and "来源 / sources" in text.output

    as_json = runner.invoke(app, ["ask", NIGHT_QUESTION, "--k", "2", "--json"])
    body = json.loads(as_json.stdout)
    assert set(body) >= {"question", "answer", "abstained", "sources", "mode", "llm"}
    assert len(body["sources"]) == 2 and body["sources"][0]["article"] == "第七条"
    assert body["abstained"] is False and body["llm"] is False


def test_ask_reads_questions_from_stdin(data_dir: Path) -> None:
    runner.invoke(app, ["ingest", str(TEST_LAW)])
    result = runner.invoke(app, ["ask", "-"], input=f"{NIGHT_QUESTION}\n\n红烧肉怎么做才不腻？\n")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["question"] for line in lines] == [NIGHT_QUESTION, "红烧肉怎么做才不腻？"]
    assert lines[0]["abstained"] is False and lines[1]["abstained"] is True
    assert lines[0]["mode"] == "extractive" and lines[1]["mode"] == "abstain"


def test_cli_questions_are_logged_once_the_database_exists(data_dir: Path) -> None:
    runner.invoke(app, ["ingest", str(TEST_LAW)])
    unlogged = runner.invoke(app, ["ask", NIGHT_QUESTION])
    assert unlogged.exit_code == 0 and "not logged" in unlogged.output  # said on stderr, answer still given
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    logged = runner.invoke(app, ["ask", NIGHT_QUESTION, "--json"])
    assert json.loads(logged.stdout)["question_id"] == 1
    rows = sqlite3.connect(data_dir / "civicdesk.db").execute(
        "SELECT question, channel, abstained FROM knowledge_questions").fetchall()
    assert rows == [(NIGHT_QUESTION, "cli", 0)]


def test_eval_prints_one_row_per_set_and_mode(data_dir: Path, tmp_path: Path) -> None:
    runner.invoke(app, ["ingest", str(TEST_LAW)])
    items = [
        {"id": "t1", "question": NIGHT_QUESTION, "law": "示范县建筑工地文明施工管理办法", "articles": ["第七条"],
         "report_category": "night_noise"},
        {"id": "t2", "question": "工人的安全帽要自己花钱买吗？", "law": "示范县建筑工地文明施工管理办法",
         "articles": ["第八条"], "report_category": None},
        {"id": "t3", "question": "红烧肉怎么做才不腻？", "expect": "abstain"},
    ]
    file = tmp_path / "eval.jsonl"
    file.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in items), encoding="utf-8")
    result = runner.invoke(app, ["eval", str(file), str(file), "--mode", "all", "--misses"])
    assert result.exit_code == 0, result.output
    assert [line for line in result.output.splitlines() if line.startswith("## ")] == [
        "## hybrid, k = 5", "## bm25, k = 5", "## vector, k = 5"]
    rows = [line.split("|")[1:-1] for line in result.output.splitlines() if line.startswith("| eval.jsonl")]
    assert len(rows) == 6  # two sets (the same file twice) in three modes
    hybrid = [cell.strip() for cell in rows[0]]
    # set, answerable / out of scope, recall@5, MRR, median, max, cited, refused, out of scope refused, P, R, ms
    assert hybrid[1] == "2 / 1" and hybrid[2] == "1.000"
    assert 0 < int(hybrid[5]) <= 700 and hybrid[6] == "1.00"
    assert hybrid[7] == "0" and hybrid[8] == "1 / 1"
    assert hybrid[9] == "1.00" and hybrid[10] == "1.00"

    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    failed = runner.invoke(app, ["eval", str(bad), "--mode", "bm25"])
    assert failed.exit_code == 1 and "not valid JSON" in failed.output


def test_eval_without_files_measures_the_standard_sets(tmp_path: Path) -> None:
    from knowledge.evaluation import standard_sets

    sets = {s.name: s for s in standard_sets(EVALSETS, tmp_path / "absent-dev.jsonl")}
    assert list(sets) == ["tune", "check", "English", "fresh", "handoff"]  # dev only where ../shared is
    assert sets["tune"].tuned and sets["English"].tuned and not sets["check"].tuned and not sets["fresh"].tuned
    assert all(i["split"] == "tune" and i["lang"] == "zh" for i in sets["tune"].items)
    assert all(i["lang"] == "en" for i in sets["English"].items)
    assert len(sets["fresh"].items) >= 66


def test_ingest_reports_missing_and_unsupported_files(data_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "坏文件.pdf"
    broken.write_bytes(b"%PDF-1.4 broken")
    result = runner.invoke(app, ["ingest", str(tmp_path / "missing.md"), str(broken)])
    assert result.exit_code == 1
    assert "missing.md" in result.output and "坏文件.pdf" in result.output
    assert "无法读取" in result.output
