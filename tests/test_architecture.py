"""Imports point one way (README, "Architecture"). Parses every module's imports (ast, so nothing
is executed) and fails, naming the file and line, when:

- a domain package (complaints, knowledge, opendays, accounts, projects) imports a transport or an adapter
  (fastapi, starlette, aiogram, wechatpy, jinja2, public_api, bot, wechat, civicdesk), or the
  channel-neutral conversations;
- core imports a domain package, the conversations, an adapter or the composition root;
- conversations (the flows every chat channel shares) imports a transport or an adapter;
- any two of the adapters bot, public_api, wechat and notify import each other (civicdesk composes them).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOMAINS = ("complaints", "knowledge", "opendays", "accounts", "projects")
TRANSPORTS = (
    "fastapi", "starlette", "aiogram", "wechatpy", "jinja2", "public_api", "bot", "wechat", "notify", "civicdesk",
    "aiosmtplib",
)
ADAPTERS = ("bot", "public_api", "wechat", "notify")

RULES: dict[str, tuple[str, ...]] = {
    **{domain: (*TRANSPORTS, "conversations") for domain in DOMAINS},
    "core": (*DOMAINS, *TRANSPORTS, "conversations"),
    "conversations": TRANSPORTS,
    "bot": ("public_api", "wechat", "wechatpy", "notify"),
    "public_api": ("bot", "wechat", "wechatpy", "aiogram", "notify"),
    "wechat": ("bot", "public_api", "aiogram", "notify"),
    "notify": ("bot", "public_api", "wechat", "aiogram", "wechatpy", "fastapi", "starlette", "jinja2"),
}


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in the file, relative ones resolved."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((node.lineno, module))
    return sorted(found)


def violations(package: str, forbidden: tuple[str, ...]) -> list[str]:
    out = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, module in imports_of(path):
            top = module.split(".")[0]
            if top in forbidden:
                out.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return out


@pytest.mark.parametrize("package", sorted(RULES))
def test_imports_point_one_way(package: str) -> None:
    assert (ROOT / package).is_dir()
    assert violations(package, RULES[package]) == []


def test_the_checker_sees_relative_and_nested_imports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule is only as good as its parser: relative imports, imports inside functions and
    `import a.b` forms are all seen."""
    fake = tmp_path / "complaints" / "service"
    fake.mkdir(parents=True)
    (fake / "x.py").write_text(
        "from ..schemas import A\n"
        "def f():\n    from bot.webhook import webhook_router\n"
        "import fastapi.responses\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert imports_of(fake / "x.py") == [(1, "complaints.schemas"), (3, "bot.webhook"), (4, "fastapi.responses")]
    assert violations("complaints", TRANSPORTS) == [
        "complaints/service/x.py:3 imports bot.webhook",
        "complaints/service/x.py:4 imports fastapi.responses",
    ]
