"""``python -m forumbot.sandbox --port 8081``: run the sandbox forum in the foreground.

The webhook secret comes from ``FORUMBOT_SANDBOX_WEBHOOK_SECRET`` (secrets never go on
the command line).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from forumbot.sandbox.server import run_forever
from forumbot.sandbox.settings import FAULT_KINDS, SandboxSettings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m forumbot.sandbox", description="Run a local Discourse-compatible forum."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--no-seed", action="store_true", help="start with an empty forum")
    parser.add_argument("--api-key", default=SandboxSettings.api_key)
    parser.add_argument("--bot-username", default=SandboxSettings.bot_username)
    parser.add_argument("--rate-limit", type=int, default=60, help="admin API requests/minute")
    parser.add_argument("--memoize-seconds", type=float, default=120.0)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--fault-kinds", default=",".join(FAULT_KINDS))
    parser.add_argument("--timeout-seconds", type=float, default=5.0)
    parser.add_argument("--generate-posts-per-minute", type=float, default=0.0)
    parser.add_argument("--webhook-url", default=None)
    parser.add_argument("--random-seed", type=int, default=SandboxSettings.random_seed)
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> SandboxSettings:
    return SandboxSettings(
        api_key=args.api_key,
        bot_username=args.bot_username,
        rate_limit_per_minute=args.rate_limit,
        memoize_seconds=args.memoize_seconds,
        seed=not args.no_seed,
        fault_rate=args.fault_rate,
        fault_kinds=tuple(k for k in args.fault_kinds.split(",") if k),
        timeout_seconds=args.timeout_seconds,
        generate_posts_per_minute=args.generate_posts_per_minute,
        webhook_url=args.webhook_url,
        webhook_secret=os.environ.get("FORUMBOT_SANDBOX_WEBHOOK_SECRET"),
        random_seed=args.random_seed,
    )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    run_forever(settings_from(args), args.host, args.port)


if __name__ == "__main__":
    main()
