"""The Telegram bot: a thin aiogram adapter over `complaints/` and `knowledge/`.

Handlers translate Telegram updates into service calls and service results into messages; every
rule about reports and answers lives in those packages.
"""
