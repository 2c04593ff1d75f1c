"""Layered settings: defaults in code, then config/forumbot.toml, then FORUMBOT_* variables.

Every key is declared once in ``SCHEMA`` with its type, default and a one-line description;
the shipped TOML file, the README's reference table and the validation all follow from it,
so a typo in the file or the environment is caught at start with the key and file named.
Secrets never live in files: they come only from the environment (``SECRET_NAMES``).
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

DEFAULT_CONFIG_PATH = Path("config") / "forumbot.toml"

# FORUMBOT_* variables that are not settings: the config file path, the reviewer's name for
# the queue commands, and the test suite's database.
NON_SETTING_VARS = frozenset(
    {
        "FORUMBOT_CONFIG",
        "FORUMBOT_REVIEWER",
        "FORUMBOT_TEST_DATABASE_URL",
        "FORUMBOT_TRAIN_DATABASE_URL",
    }
)

SECRET_NAMES = (
    "DISCOURSE_API_KEY",
    "DISCOURSE_API_USERNAME",
    "FORUMBOT_SECRET_KEY",
    "FORUMBOT_WEBHOOK_SECRET",
    "FORUMBOT_SMTP_PASSWORD",
    "FORUMBOT_ROBOT_WEBHOOK_URL",
    "FORUMBOT_ROBOT_SECRET",
)


@dataclass(frozen=True)
class Key:
    type: type
    default: Any
    help: str
    minimum: float | None = None
    choices: tuple[str, ...] | None = None
    item: type = str  # what a list holds: str, or date (written "YYYY-MM-DD")
    empty_ok: bool = False  # a string that may be "" (the feature is then off)


SCHEMA: dict[str, dict[str, Key]] = {
    "forum": {
        "base_url": Key(str, "http://127.0.0.1:8081", "Base URL of the Discourse forum."),
        "timeout_seconds": Key(
            float, 10.0, "Connect and read timeout of every API call.", minimum=0.1
        ),
        "retries": Key(int, 4, "Retries of a failed read (connection error, 5xx, 429).", 0),
        "max_wait_seconds": Key(
            float, 60.0, "Longest wait for one 429 before the job gives up its turn.", 0
        ),
        "requests_per_minute": Key(
            float,
            50.0,
            "Client-side API budget; Discourse allows 60 admin requests a minute per site.",
            0,
        ),
    },
    "database": {
        "url": Key(
            str,
            "sqlite:///var/forumbot.sqlite3",
            "SQLAlchemy URL; postgresql+psycopg://… for several workers.",
        ),
    },
    "intake": {
        "poll_seconds": Key(float, 30.0, "How often /posts.json is polled.", minimum=1),
        "overlap_ids": Key(
            int, 25, "Ids below the high-water mark re-read each poll (late commits).", 0
        ),
        "max_pages_per_run": Key(
            int, 40, "Pages of 50 posts one poll may read; a longer backlog resumes.", 1
        ),
        "skip_usernames": Key(list, ["system"], "Authors whose posts are never taken in."),
    },
    "publisher": {
        "interval_seconds": Key(float, 15.0, "How often approved drafts are published.", 1),
        "batch_size": Key(int, 10, "Drafts published per run at most.", 1),
        "lease_seconds": Key(
            float,
            20.0,
            "Lease of a publishing attempt, renewed while it runs; a crash is recovered after it.",
            1,
        ),
        "max_attempts": Key(int, 5, "Attempts before a draft is marked failed.", 1),
        "retry_delay_seconds": Key(
            float, 10.0, "Wait after a failed attempt, times the attempt number.", 0
        ),
        "reread_before_publish": Key(
            bool, True, "Re-read the post first: deleted or edited posts are not answered.", None
        ),
        "example_contacts": Key(
            str,
            "auto",
            "Publish replies quoting the example contacts: auto (only to a loopback forum, "
            "the sandbox), allow, refuse.",
            choices=("auto", "allow", "refuse"),
        ),
    },
    "classifier": {
        "review_threshold": Key(
            float, 0.7, "Below this confidence a label is marked needs_review.", 0
        ),
        "models_dir": Key(
            str,
            "models",
            "Folder of model versions and current.json; relative to the working directory.",
        ),
    },
    "drafting": {
        "kb_threshold": Key(
            float,
            0.4,
            "Likelihood (0..1) that the closest knowledge-base entry answers an inquiry, "
            "needed to answer it directly.",
            0,
        ),
    },
    "cases": {
        "incident_window_hours": Key(
            float, 72.0, "Cases this close in time may form one incident.", 1
        ),
        "spike_count": Key(int, 3, "This many cases of one incident raise a spike alert...", 2),
        "spike_hours": Key(float, 6.0, "...when they opened within this many hours.", 0.1),
        "satisfaction_after_days": Key(
            int, 3, "Working days after our answer before asking whether it is solved.", 0
        ),
        "silence_days": Key(int, 7, "Days without the owner's answer before a case is closed.", 1),
        "urgent_reply_hours": Key(
            float, 2.0, "An urgent case's first reply is due within this many hours.", 0.1
        ),
        "urgent_department_hours": Key(
            float, 8.0, "An urgent case's department answer is due within this many hours.", 0.1
        ),
    },
    "alerts": {
        "interval_seconds": Key(float, 30.0, "How often urgent cases are checked for alerts.", 1),
        "smtp_host": Key(str, "", "Mail server for alerts; empty: no mail alerts.", empty_ok=True),
        "smtp_port": Key(int, 25, "Mail server port.", 1),
        "smtp_starttls": Key(bool, False, "Use STARTTLS with the mail server."),
        "smtp_user": Key(
            str, "", "Mail server login (password: FORUMBOT_SMTP_PASSWORD).", empty_ok=True
        ),
        "mail_from": Key(str, "forumbot@localhost", "Sender address of alert mail."),
        "duty_manager": Key(list, [], "Addresses of the duty manager (every urgent case)."),
        "security": Key(list, [], "Addresses of security (threats, violence, self-harm)."),
        "robot_kind": Key(
            str,
            "wecom",
            "Chat robot webhook shape: wecom (企业微信) or dingtalk (钉钉); URL in "
            "FORUMBOT_ROBOT_WEBHOOK_URL.",
            choices=("wecom", "dingtalk"),
        ),
        "console_url": Key(
            str, "", "Console address linked from alerts (e.g. https://host).", empty_ok=True
        ),
    },
    "console": {
        "host": Key(str, "127.0.0.1", "Address the console and webhook listen on."),
        "port": Key(int, 8080, "Port the console and webhook listen on.", 1),
        "redirect_private_warn_share": Key(
            float, 0.15, "Dashboard warns when more replies than this share go private.", 0
        ),
        "claim_minutes": Key(
            float, 10.0, "How long an opened draft shows as 'someone is on it'.", 0
        ),
        "secure_cookies": Key(
            str,
            "auto",
            "Session cookie only over HTTPS: on, off, or auto (on unless host is loopback).",
            choices=("auto", "on", "off"),
        ),
    },
    "webhook": {
        "enabled": Key(bool, False, "Accept Discourse post webhooks (needs the secret)."),
    },
    "calendar": {
        "extra_holidays": Key(
            list, [], "Extra days off (YYYY-MM-DD) on top of China's official calendar.", item=date
        ),
        "extra_workdays": Key(
            list,
            [],
            "Extra working days (YYYY-MM-DD), e.g. make-up days of a year not yet published.",
            item=date,
        ),
    },
}


class ConfigError(Exception):
    """A setting is missing or wrong; the message names the key and where it came from."""


@dataclass
class Settings:
    """Validated settings plus the secrets found in the environment."""

    values: dict[str, dict[str, Any]]
    source: str
    secrets: dict[str, str] = field(default_factory=dict, repr=False)

    def __getitem__(self, dotted: str) -> Any:
        section, key = dotted.split(".", 1)
        return self.values[section][key]

    def secret(self, name: str) -> str:
        """Return a secret from the environment or stop with a line that says how to set it."""
        value = self.secrets.get(name)
        if not value:
            raise ConfigError(f"{name} is not set: export {name}=… in the environment")
        return value

    @property
    def models_dir(self) -> Path:
        """classifier.models_dir as an absolute path; a relative one is taken from the working
        directory, like the SQLite file of database.url."""
        return (Path.cwd() / Path(self["classifier.models_dir"]).expanduser()).resolve()

    def check_publish_lease(self) -> None:
        """The lease is renewed every third of its length while an attempt runs; it must still
        outlast one reply POST in flight (connect and read timeouts) should renewals fail."""
        worst_post = 2 * self["forum.timeout_seconds"]
        if self["publisher.lease_seconds"] < worst_post:
            raise ConfigError(
                f"{self.source}: publisher.lease_seconds = {self['publisher.lease_seconds']} "
                f"must be at least {worst_post:g} (twice forum.timeout_seconds: the longest "
                "a reply POST can be in flight)"
            )


def _coerce(section: str, name: str, spec: Key, value: Any, origin: str) -> Any:
    where = f"{origin}: {section}.{name}"
    if spec.type is bool:
        if isinstance(value, str):
            low = value.strip().lower()
            if low in {"1", "true", "yes", "on"}:
                return True
            if low in {"0", "false", "no", "off"}:
                return False
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where} must be true or false, not {value!r}")
    if spec.type is list and spec.item is date:
        return _dates(where, value)
    if spec.type is list:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        raise ConfigError(f"{where} must be a list of strings, not {value!r}")
    if spec.type in (int, float):
        if isinstance(value, bool):
            raise ConfigError(f"{where} must be a number, not {value!r}")
        try:
            number = spec.type(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where} must be a number, not {value!r}") from None
        if spec.type is int and isinstance(value, float) and not value.is_integer():
            raise ConfigError(f"{where} must be a whole number, not {value!r}")
        if spec.minimum is not None and number < spec.minimum:
            raise ConfigError(f"{where} must be at least {spec.minimum:g}, not {value!r}")
        return number
    if spec.choices is not None and isinstance(value, bool):
        value = "on" if value else "off"  # `secure_cookies = true` in the file reads naturally
    if not isinstance(value, str) or not (value.strip() or spec.empty_ok):
        raise ConfigError(f"{where} must be a non-empty string, not {value!r}")
    if spec.choices is not None and value.strip() not in spec.choices:
        raise ConfigError(f"{where} must be one of {', '.join(spec.choices)}, not {value!r}")
    return value.strip()


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(item: Any) -> date | None:
    """A TOML date (2027-10-08) or a string "2027-10-08"; None for anything else."""
    if isinstance(item, date) and not isinstance(item, datetime):
        return item
    if isinstance(item, str) and _ISO_DATE.fullmatch(item.strip()):
        try:
            return date.fromisoformat(item.strip())
        except ValueError:  # 2027-02-30
            return None
    return None


def _dates(where: str, value: Any) -> list[date]:
    """The dates of a TOML list or of a comma-separated variable; one line names a bad one."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ConfigError(f"{where} 应为日期列表 / must be a list of dates, not {value!r}")
    days = []
    for item in items:
        if isinstance(item, str) and not item.strip():
            continue
        day = _iso_date(item)
        if day is None:
            raise ConfigError(
                f"{where}: '{item}' 不是有效日期，请写成 \"2027-10-08\" 这样的格式 / "
                'is not a date: write it as "YYYY-MM-DD", e.g. "2027-10-08"'
            )
        days.append(day)
    return days


def _check_calendar(values: dict[str, dict[str, Any]], source: str) -> None:
    both = set(values["calendar"]["extra_holidays"]) & set(values["calendar"]["extra_workdays"])
    if both:
        listed = ", ".join(str(d) for d in sorted(both))
        raise ConfigError(
            f"{source}: {listed} 同时出现在 calendar.extra_holidays 和 calendar.extra_workdays 中 "
            f"/ is in both calendar.extra_holidays and calendar.extra_workdays"
        )


def _unknown(kind: str, name: str, known: list[str], origin: str) -> ConfigError:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(sorted(known))})"
    return ConfigError(f"{origin}: unknown {kind} '{name}'{hint}")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None


def load_settings(
    path: Path | str | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build settings from defaults, the TOML file, FORUMBOT_* variables and test overrides.

    ``path`` None means ``$FORUMBOT_CONFIG`` or ``config/forumbot.toml`` if it exists.
    """
    env = dict(os.environ if environ is None else environ)
    if path is None:
        path = env.get("FORUMBOT_CONFIG") or (
            DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.exists() else None
        )
    values = {s: {k: spec.default for k, spec in keys.items()} for s, keys in SCHEMA.items()}
    source = "built-in defaults"
    if path is not None:
        source = str(path)
        data = _read_toml(Path(path))
        for section, table in data.items():
            if section not in SCHEMA:
                raise _unknown("section", section, list(SCHEMA), source)
            if not isinstance(table, dict):
                raise ConfigError(f"{source}: [{section}] must be a table")
            for name, value in table.items():
                if name not in SCHEMA[section]:
                    raise _unknown("key", f"{section}.{name}", _dotted(section), source)
                values[section][name] = _coerce(section, name, SCHEMA[section][name], value, source)
    for var, value in env.items():
        if not var.startswith("FORUMBOT_") or var in SECRET_NAMES or var in NON_SETTING_VARS:
            continue
        section, name = _env_target(var)
        if section is None:
            raise _unknown("variable", var, _env_names(), "environment")
        values[section][name] = _coerce(
            section, name, SCHEMA[section][name], value, f"environment {var}"
        )
    for dotted, value in (overrides or {}).items():
        section, _, name = dotted.partition(".")
        if section not in SCHEMA or name not in SCHEMA[section]:
            raise _unknown("key", dotted, [f"{s}.{k}" for s in SCHEMA for k in SCHEMA[s]], "test")
        values[section][name] = _coerce(section, name, SCHEMA[section][name], value, "override")
    _check_calendar(values, source)
    secrets = {name: env[name] for name in SECRET_NAMES if env.get(name)}
    return Settings(values=values, source=source, secrets=secrets)


def _dotted(section: str) -> list[str]:
    return [f"{section}.{k}" for k in SCHEMA[section]]


def env_name(section: str, key: str) -> str:
    """The environment variable that overrides ``section.key``."""
    return f"FORUMBOT_{section.upper()}_{key.upper()}"


def _env_names() -> list[str]:
    return [env_name(s, k) for s in SCHEMA for k in SCHEMA[s]]


def _env_target(var: str) -> tuple[str | None, str]:
    for section, keys in SCHEMA.items():
        for key in keys:
            if env_name(section, key) == var:
                return section, key
    return None, ""
