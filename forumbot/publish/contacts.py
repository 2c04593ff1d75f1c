"""Never publish placeholder contact data: the shipped [contact] values are examples.

While config/departments.toml says ``example = true``, a reply that quotes one of its
numbers or addresses is refused by the publisher, and so is any address at a domain
reserved for examples (example.com, *.test, …), whatever the config says. The demo and the
tests talk to the sandbox forum on this machine, where the examples are allowed
(publisher.example_contacts = "auto").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from forumbot.drafting.resources import Contact

RESERVED_ADDRESS = re.compile(
    r"[\w.+-]+@(?:[\w-]+\.)*(?:example\.(?:com|org|net)|[\w-]+\.(?:test|example|invalid))\b",
    re.IGNORECASE,
)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def example_contact_in(text: str, contact: Contact) -> str | None:
    """The first example number or address ``text`` quotes, or None."""
    found = RESERVED_ADDRESS.search(text)
    if found:
        return found.group(0)
    if not contact.example:
        return None
    plain = _digits(text)
    for value in contact.values():
        digits = _digits(value)
        if value in text or (len(digits) >= 7 and digits in plain):
            return value
    return None


def contact_guard(
    contact: Callable[[], Contact], allowed: bool
) -> Callable[[str], str | None] | None:
    """What the publisher asks before posting: None when examples may be published."""
    if allowed:
        return None

    def problem(text: str) -> str | None:
        value = example_contact_in(text, contact())
        if value is None:
            return None
        return (
            f"回复中含有示例联系方式“{value}”，不能发布到论坛。请在 config/departments.toml 的 "
            "[contact] 填写中心真实的电话和邮箱并设 example = false，然后修改回复后重新批准"
        )

    return problem
