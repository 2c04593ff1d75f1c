"""A text's fingerprint (SHA-256 of its UTF-8 bytes).

The audit log records it for an approved reply, so the publisher can check that a person
approved exactly the text it posts; the admin pages compare it to refuse a save when a file
changed since the admin opened it. Pure, so drafting can use it without touching storage.
"""

from __future__ import annotations

import hashlib


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
