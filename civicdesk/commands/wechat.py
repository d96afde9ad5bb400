"""`civicdesk wechat menu`: install the account's custom menu (政策咨询 / 我要举报 / 我的举报 / 开放日)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import typer

app = typer.Typer(help="The WeChat Official Account.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="wechat")


# WeChat allows at most three top-level buttons, each with up to five sub-buttons: the four entries
# fit as 政策咨询 | 举报 (我要举报, 我的举报) | 更多 (开放日, 我的报名, the language switch).
# (catalog key of a group's name, its click keys: one key is a button of its own)
MENU_LAYOUT: list[tuple[str, list[str]]] = [
    ("menu.ask", ["ASK"]), ("menu.reports", ["REPORT", "STATUS"]),
    ("menu.more", ["OPENDAYS", "MY_OPENDAYS", "LANGUAGE"]),
]


def menu_definition() -> dict[str, Any]:
    """The menu, its click keys as `wechat.channel.MENU_KEYS` expects (names in Chinese, the default)."""
    from conversations.i18n import texts
    from wechat.channel import MENU_KEYS

    zh = texts("zh")

    def click(key: str) -> dict[str, str]:
        name = re.sub(r"^[^\w]+", "", zh.plain(MENU_KEYS[key]))  # the catalog's emoji off
        return {"type": "click", "name": name, "key": key}

    buttons: list[dict[str, Any]] = []
    for group, keys in MENU_LAYOUT:
        if len(keys) == 1:
            buttons.append(click(keys[0]))
        else:
            buttons.append({"name": zh.plain(group), "sub_button": [click(key) for key in keys]})
    return {"button": buttons}


def _names(menu: dict[str, Any]) -> str:
    return " / ".join(b["name"] + (f" ({', '.join(s['name'] for s in b['sub_button'])})" if "sub_button" in b else "")
                      for b in menu["button"])


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
    typer.echo("menu installed: " + _names(menu_definition()))
