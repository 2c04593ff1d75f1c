"""Settings of the sandbox forum.

Defaults mirror a stock Discourse install (admin API limit 60/min, create memoization
120 s), so code tested against the sandbox meets the same limits as in production.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Every fault the sandbox can inject (see ``faults.py``).
FAULT_KINDS: tuple[str, ...] = (
    "500",
    "502",
    "503",
    "timeout",
    "429",
    "429_text",
    "malformed",
    "after_commit",
)


@dataclass
class SandboxSettings:
    """How the sandbox behaves; every field can be changed per test."""

    api_key: str = "sandbox-admin-key"
    bot_username: str = "forumbot"
    #: Discourse's ``max_admin_api_reqs_per_minute``, shared by the whole site; 0 = no limit.
    rate_limit_per_minute: int = 60
    #: Discourse memoizes API create results for 120 s; 0 = off.
    memoize_seconds: float = 120.0
    #: Load ``seed_posts.json`` at start and on reset.
    seed: bool = True
    #: Probability that a Discourse request gets a fault.
    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = field(default_factory=lambda: FAULT_KINDS)
    #: How long a "timeout" fault sleeps before answering.
    timeout_seconds: float = 5.0
    #: Background owners posting for the demo; 0 = off.
    generate_posts_per_minute: float = 0.0
    #: Deliver post_created/post_edited webhooks here when set.
    webhook_url: str | None = None
    webhook_secret: str | None = None
    random_seed: int = 20240601

    def __post_init__(self) -> None:
        self.fault_kinds = tuple(self.fault_kinds)
        unknown = set(self.fault_kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError("fault_rate must be between 0 and 1")
