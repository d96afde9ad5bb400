"""`civicdesk wechat menu`: install the account's custom menu (政策咨询 / 我要举报 / 我的举报 / 开放日)."""

from __future__ import annotations

import asyncio
from typing import Any

import typer

app = typer.Typer(help="The WeChat Official Account.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="wechat")


def menu_definition() -> dict[str, Any]:
    """The menu: one click button per entry, keyed as `wechat.channel.MENU_KEYS` expects."""
    from conversations.i18n import texts
    from wechat.channel import MENU_KEYS

    zh = texts("zh")
    return {"button": [{"type": "click", "name": zh.plain(label), "key": key} for key, label in MENU_KEYS.items()]}


@app.command("menu")
def install_menu() -> None:
    """Create (replace) the custom menu through the WeChat API."""
    from core.settings import Settings
    from wechat.api import WeChatApi, WeChatError

    settings = Settings()
    if not (settings.wechat_app_id and settings.wechat_app_secret):
        typer.echo("error: set CIVICDESK_WECHAT_APP_ID and CIVICDESK_WECHAT_APP_SECRET", err=True)
        raise typer.Exit(code=1)

    async def run() -> None:
        api = WeChatApi(settings)
        try:
            await api.create_menu(menu_definition())
        finally:
            await api.aclose()

    try:
        asyncio.run(run())
    except WeChatError as exc:
        typer.echo(f"error: WeChat refused the menu: {exc}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo("menu installed: " + " / ".join(b["name"] for b in menu_definition()["button"]))
