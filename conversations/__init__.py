"""Channel-neutral conversations: the report flow, open-day registration and the menus, over the
domain services, written once for every chat channel (Telegram in `bot/`, WeChat in `wechat/`).

A flow reads and writes its state through `core.conversation.StateAccess` and answers with
`core.conversation.Say` items (catalog text plus a named widget); each channel renders those with
its own keyboards, buttons or numbered choices. Nothing here knows aiogram, wechatpy or HTTP.
"""
