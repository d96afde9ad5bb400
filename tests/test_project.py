"""The project's own files: compose file, settings documentation, CLI."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from typer.testing import CliRunner

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_compose_services_have_what_they_need() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "api"} <= services.keys()
    declared_volumes = set(compose.get("volumes", {}))
    for name, service in services.items():
        assert "image" in service or "build" in service, f"{name} has neither image nor build"
        if "build" in service:
            context = ROOT / (service["build"] if isinstance(service["build"], str) else service["build"]["context"])
            assert (context / "Dockerfile").exists(), f"{name}: no Dockerfile in {context}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source in declared_volumes or source.startswith((".", "/")), f"{name}: undeclared volume {source}"
        for dep in service.get("depends_on", {}):
            assert dep in services, f"{name} depends on unknown service {dep}"
    api = services["api"]
    assert any(p.endswith(":8000") for p in api["ports"])
    assert api["environment"]["CIVICDESK_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert "@postgres:5432/" in api["environment"]["CIVICDESK_DATABASE_URL"]
    assert services["postgres"]["environment"]["POSTGRES_DB"] == "civicdesk"
    assert "ports" in services["postgres"]
    # Every CIVICDESK_ variable the compose file sets is a real setting.
    names = {f"CIVICDESK_{n.upper()}" for n in Settings.model_fields}
    for service in services.values():
        for key in service.get("environment", {}):
            if key.startswith("CIVICDESK_"):
                assert key in names, key


def test_dockerfile_copies_every_package() -> None:
    import tomllib

    dockerfile = (ROOT / "Dockerfile").read_text()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = [p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]]
    for package in packages:
        assert f"COPY {package} " in dockerfile, f"Dockerfile does not copy {package}/"


def test_env_example_documents_every_setting() -> None:
    documented = set(re.findall(r"^#? ?(CIVICDESK_[A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    expected = {f"CIVICDESK_{name.upper()}" for name in Settings.model_fields}
    assert expected == documented


def test_settings_read_environment(monkeypatch, tmp_path) -> None:  # noqa: ANN001
    monkeypatch.setenv("CIVICDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CIVICDESK_CATEGORY_DEPARTMENTS", '{"施工扬尘": "县生态环境分局"}')
    monkeypatch.setenv("CIVICDESK_MAX_PHOTOS_PER_REPORT", "3")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path.resolve()}/civicdesk.db"
    assert settings.resolved_photos_dir == tmp_path / "photos"
    assert settings.department_for("施工扬尘") == "县生态环境分局"
    assert settings.max_photos_per_report == 3
    key = settings.resolved_secret_key()
    assert key == settings.resolved_secret_key() and len(key) >= 32


def test_cli_help_lists_commands() -> None:
    from civicdesk.cli import app

    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "db", "staff"):
        assert command in result.output


def test_leaflet_is_vendored_from_npm_with_its_licence() -> None:
    """The map library is served from this origin (the CSP allows no other script), as the npm
    package built it (`make vendor` fetches it again and checks the pinned integrity)."""
    vendor = ROOT / "public_api" / "static" / "vendor" / "leaflet"
    version = re.search(r"^LEAFLET_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert version and f"Leaflet {version.group(1)}" in (vendor / "leaflet.js").read_text()[:200]
    assert "BSD 2-Clause" in (vendor / "LICENSE").read_text()
    for image in ("marker-icon.png", "marker-icon-2x.png", "marker-shadow.png"):
        assert (vendor / "images" / image).stat().st_size > 0
    templates = (ROOT / "public_api" / "templates").rglob("*.html")
    assert not [p for p in templates if re.search(r"<(script|link)[^>]+(src|href)=\"https?://", p.read_text())]


def test_swagger_ui_is_vendored_from_npm_with_its_licence() -> None:
    """/docs's Swagger UI is version 5 (it renders the OpenAPI 3.1 FastAPI writes), as npm built it."""
    vendor = ROOT / "public_api" / "static" / "vendor" / "swagger-ui"
    version = re.search(r"^SWAGGER_UI_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert version and version.group(1).startswith("5.")
    assert f"Swagger UI {version.group(1)}" in (vendor / "README.md").read_text()
    assert "Apache License" in (vendor / "LICENSE").read_text()
    assert (vendor / "swagger-ui-bundle.js").read_text()[:200].startswith("/*! For license information")
    for name in ("swagger-ui.css", "favicon-32x32.png"):
        assert (vendor / name).stat().st_size > 0


def test_compose_runs_each_process_kind_once_migrated() -> None:
    """migrate runs once; api (N uvicorn workers), worker and bot (webhook) start after it, share the
    data volume and leave migrations alone; only the bot receives Telegram's updates."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert {"postgres", "redis", "chroma", "migrate", "api", "worker", "bot"} <= services.keys()
    assert services["migrate"]["command"] == ["civicdesk", "db", "upgrade"]
    commands = {name: " ".join(services[name]["command"]) for name in ("api", "worker", "bot")}
    assert "civicdesk serve --no-migrate" in commands["api"] and "--workers ${API_WORKERS:-2}" in commands["api"]
    assert commands["worker"] == "civicdesk worker --no-migrate"
    assert commands["bot"].startswith("civicdesk bot --webhook --no-migrate")
    for name in ("api", "worker", "bot"):
        service = services[name]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
        assert "app-data:/data" in service["volumes"], name
        assert service["environment"]["CIVICDESK_BACKGROUND"] == "worker", name
        assert service["environment"]["CIVICDESK_CHROMA_URL"] == "http://chroma:8000", name
    assert services["api"]["environment"]["CIVICDESK_TELEGRAM_WEBHOOK_URL"] == ""
    assert "healthcheck" in services["api"] and "healthcheck" in services["bot"]
    for name in ("postgres", "redis"):
        assert "healthcheck" in services[name], name
