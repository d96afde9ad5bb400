"""`civicdesk ingest`, `civicdesk ask` (text, --json, stdin) and `civicdesk eval`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicdesk.cli import app
from tests.knowledge.conftest import DATA, EMBEDDINGS_CACHE, TEST_LAW

runner = CliRunner()
NIGHT_QUESTION = "工地半夜还在施工，吵得睡不着，这样允许吗？"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "var"
    (directory / "knowledge").mkdir(parents=True)
    if EMBEDDINGS_CACHE.exists():  # reuse vectors other tests computed (same back end, same texts)
        shutil.copy(EMBEDDINGS_CACHE, directory / "knowledge" / "embeddings.sqlite")
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
    import sqlite3

    runner.invoke(app, ["ingest", str(TEST_LAW)])
    unlogged = runner.invoke(app, ["ask", NIGHT_QUESTION])
    assert unlogged.exit_code == 0 and "not logged" in unlogged.output  # said on stderr, answer still given
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    logged = runner.invoke(app, ["ask", NIGHT_QUESTION, "--json"])
    assert json.loads(logged.stdout)["question_id"] == 1
    rows = sqlite3.connect(data_dir / "civicdesk.db").execute(
        "SELECT question, channel, abstained FROM knowledge_questions").fetchall()
    assert rows == [(NIGHT_QUESTION, "cli", 0)]


def test_eval_prints_metrics_for_three_modes(data_dir: Path, tmp_path: Path) -> None:
    runner.invoke(app, ["ingest", str(TEST_LAW)])
    items = [
        {"id": "t1", "question": NIGHT_QUESTION, "law": "示范县建筑工地文明施工管理办法", "articles": ["第七条"]},
        {"id": "t2", "question": "工人的安全帽要自己花钱买吗？", "law": "示范县建筑工地文明施工管理办法",
         "articles": ["第八条"]},
        {"id": "t3", "question": "红烧肉怎么做才不腻？", "expect": "abstain"},
    ]
    file = tmp_path / "eval.jsonl"
    file.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in items), encoding="utf-8")
    result = runner.invoke(app, ["eval", str(file)])
    assert result.exit_code == 0, result.output
    rows = {line.split("|")[1].strip(): line for line in result.output.splitlines() if line.startswith("| ")}
    assert set(rows) >= {"hybrid", "bm25", "vector"}
    assert rows["hybrid"].split("|")[3].strip() == "1.000"  # recall@5
    assert "answerable: 2, abstain items: 1" in result.output
    # answer figures: answered, median and max length, share of sentences cited
    figures = rows["hybrid answers"].split("|")
    assert figures[2].strip() == "2" and 0 < int(figures[4]) <= 700 and figures[5].strip() == "1.00"

    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    failed = runner.invoke(app, ["eval", str(bad), "--mode", "bm25"])
    assert failed.exit_code == 1 and "not valid JSON" in failed.output


def test_ingest_reports_missing_and_unsupported_files(data_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "坏文件.pdf"
    broken.write_bytes(b"%PDF-1.4 broken")
    result = runner.invoke(app, ["ingest", str(tmp_path / "missing.md"), str(broken)])
    assert result.exit_code == 1
    assert "missing.md" in result.output and "坏文件.pdf" in result.output
    assert "无法读取" in result.output
