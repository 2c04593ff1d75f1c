"""Admin pages: users and roles, departments and response times, reply templates and the
knowledge base (each edit previewed against a real post before it is saved).

One module per page group; each registers its routes on ``bp`` when imported, which is why
the imports come after ``bp`` is defined.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from forumbot.web.admin import accounts, departments, knowledge, overview, reply_templates  # noqa: E402, F401
from forumbot.web.admin.previews import sign_preview  # noqa: E402

__all__ = ["bp", "sign_preview"]
