"""Imports every module that defines tables, so `Base.metadata` is complete for Alembic."""

import accounts.models  # noqa: F401
import accounts.phone_codes  # noqa: F401
import bot.models  # noqa: F401
import civicdesk.jobs  # noqa: F401
import complaints.models  # noqa: F401
import core.contacts  # noqa: F401
import core.conversation.store  # noqa: F401
import core.outbox  # noqa: F401
import knowledge.models  # noqa: F401
import opendays.models  # noqa: F401
import projects.models  # noqa: F401
import wechat.models  # noqa: F401
