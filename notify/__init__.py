"""E-mail and SMS: the outbox channels for people without a chat channel (web and API reporters,
web registrants). An adapter like `bot/` and `wechat/`, importing none of them: the domains decide
who is told what (`core/contacts.py` holds where), this package renders each message kind for its
channel (`render.py`) and sends it (`email.py` over SMTP, `sms.py` through an SMS gateway)."""
