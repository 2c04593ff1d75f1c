"""forumbot demo: the sandbox forum, the bot and the web side in one process."""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass, field

import click
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from forumbot.cli import settings_from
from forumbot.runtime import build_bot, schedule_jobs
from forumbot.storage.database import make_engine, migrate
from forumbot.storage.models import Draft, Post
from forumbot.storage.stages import DRAFTED

DEMO_KEY = "sandbox-admin-key"
DEMO_BOT = "forumbot"
DEMO_PASSWORD = "forumbot-demo-2026"
# (account, role, department, what the role does): one account per console role.
DEMO_ACCOUNTS = (
    ("kefu", "agent", None, "客服专员：审批回复 / agent: approves replies"),
    ("zhuguan", "supervisor", None, "客服主管：敏感回复的第二人批准 / supervisor: second approval"),
    ("gongcheng", "specialist", "engineering", "工程部：答复部门请求 / engineering department"),
    ("banzhu", "moderator", None, "版主：处理辱骂帖 / moderator: abuse proposals"),
    ("guanli", "admin", None, "管理员：账号、模板、模型 / admin: users, templates, models"),
)


def demo_accounts(sessions: sessionmaker[Session]) -> None:
    """The demo's accounts, one per role, created once."""
    from forumbot.storage.models import User
    from forumbot.web.users import add_user

    with sessions() as session:
        for name, role, department, _what in DEMO_ACCOUNTS:
            if session.scalar(select(User).where(User.username == name)) is None:
                add_user(session, name, DEMO_PASSWORD, role, department)
        session.commit()


def case_summary(session: Session) -> str:
    """One line: how many cases, replies waiting for an agent, incidents."""
    from sqlalchemy import func

    from forumbot.storage.models import Case, Incident

    cases = session.scalar(select(func.count(Case.id))) or 0
    waiting = (
        session.scalar(
            select(func.count(Draft.id)).where(
                Draft.state == "pending_approval", Draft.kind == "reply"
            )
        )
        or 0
    )
    incidents = session.scalar(select(func.count(Incident.id))) or 0
    return f"—— 共 {cases} 个案件，{waiting} 条回复待审批，{incidents} 个多人事件 ——"


@dataclass
class Feed:
    """What the demo has already shown: posts seen through the pipeline, drafts published."""

    shown_posts: set[int] = field(default_factory=set)
    published: set[int] = field(default_factory=set)

    def show_new(self, sessions: sessionmaker[Session]) -> None:
        from forumbot.cases.roles import ROLE_NAMES_ZH
        from forumbot.classify.labels import LABEL_NAMES_ZH
        from forumbot.labelling.labeller import latest_classification
        from forumbot.review.states import STATE_NAMES_ZH

        with sessions() as session:
            done = session.scalars(
                select(Post)
                .where(Post.stage == DRAFTED, Post.id.not_in(self.shown_posts))
                .order_by(Post.forum_post_id)
                .limit(200)
            ).all()
            for post in done:
                label = latest_classification(session, post.id)
                drafts = "，".join(f"草稿#{d.id} {STATE_NAMES_ZH[d.state]}" for d in post.drafts)
                role = ROLE_NAMES_ZH.get(post.case_role or "", "")
                where = f"案件#{post.case_id} {role}" if post.case_id else role or "不回复"
                tag = f"{LABEL_NAMES_ZH[label.label]} {label.confidence:.2f}" if label else "?"
                first = " ".join(post.raw.split())[:28]
                flags = ("【紧急】" if post.urgent else "") + ("【敏感】" if post.sensitive else "")
                who = f"{flags}{post.username}"
                click.echo(
                    f"  帖子 {post.forum_post_id:>5} [{tag}] {who}: {first} → {where}"
                    + (f"，{drafts}" if drafts else "")
                )
                if post.urgent:
                    click.echo(f"        紧急原因：{post.urgent_reason}")
                self.shown_posts.add(post.id)
            if done:
                click.echo(f"  {case_summary(session)}")
            published = session.scalars(
                select(Draft).where(Draft.state == "published", Draft.id.not_in(self.published))
            )
            for draft in published:
                if draft.kind == "flag":
                    click.echo(f"  ✔ 草稿 #{draft.id} 版主已批准：帖子已在论坛标记并隐藏")
                else:
                    click.echo(
                        f"  ✔ 草稿 #{draft.id} 已发布到论坛（论坛帖子 {draft.forum_reply_id}）"
                    )
                self.published.add(draft.id)


@click.command("demo")
@click.option("--port", default=8081, show_default=True, help="Port of the sandbox forum.")
@click.option("--web-port", default=8080, show_default=True, help="Port of the web side.")
@click.option("--generate", default=6.0, show_default=True, help="New owner posts a minute.")
@click.option("--duration", default=0.0, help="Stop after this many seconds (0 = until Ctrl-C).")
@click.pass_context
def demo_cmd(
    ctx: click.Context, port: int, web_port: int, generate: float, duration: float
) -> None:
    """Run the sandbox forum, the bot and the web side together, and show posts arriving."""
    from forumbot.sandbox.server import SandboxServer, build_forum
    from forumbot.sandbox.settings import SandboxSettings
    from forumbot.web import create_app
    from forumbot.web.server import ConsoleServer

    os.environ.setdefault("FORUMBOT_SECRET_KEY", secrets.token_hex(32))
    os.environ.setdefault("DISCOURSE_API_KEY", DEMO_KEY)
    os.environ.setdefault("DISCOURSE_API_USERNAME", DEMO_BOT)
    os.environ.setdefault("FORUMBOT_FORUM_BASE_URL", f"http://127.0.0.1:{port}")
    os.environ.setdefault("FORUMBOT_INTAKE_POLL_SECONDS", "5")
    os.environ.setdefault("FORUMBOT_PUBLISHER_INTERVAL_SECONDS", "3")
    settings = settings_from(ctx)

    sandbox_settings = SandboxSettings(
        api_key=DEMO_KEY, bot_username=DEMO_BOT, generate_posts_per_minute=generate
    )
    sandbox = SandboxServer(build_forum(sandbox_settings), sandbox_settings, port=port)
    sandbox.start()
    engine = make_engine(settings["database.url"])
    migrate(engine)
    engine.dispose()
    bot = build_bot(settings)
    demo_accounts(bot.sessions)
    scheduler = BackgroundScheduler(timezone="UTC")
    schedule_jobs(scheduler, bot, settings)
    scheduler.start()
    app = create_app(settings, bot.sessions, host="127.0.0.1")  # plain HTTP: no Secure cookie
    web = ConsoleServer(app, "127.0.0.1", web_port).start()

    db = settings["database.url"]
    accounts = "\n".join(
        f"    账号 {name:<10} 密码 {DEMO_PASSWORD}   {what}" for name, _r, _d, what in DEMO_ACCOUNTS
    )
    click.echo(
        f"""
forumbot 演示已启动 / demo running
  沙盒论坛 sandbox forum:  {sandbox.url}/posts.json   (API key {DEMO_KEY})
  审核台 console:          http://127.0.0.1:{web_port}/
{accounts}
  健康检查 health:         http://127.0.0.1:{web_port}/healthz
  数据库 database:         {db}

另开一个终端试试审批流程 (in another terminal, from this folder):
  .venv/bin/forumbot cases list                               案件（一位业主在一个帖子里的诉求）
  .venv/bin/forumbot incidents list                           多位业主反映的同一事件
  .venv/bin/forumbot queue list --state pending_approval     待审批的草稿
  .venv/bin/forumbot queue show <草稿号>                      原帖、标签、草稿和记录
  .venv/bin/forumbot queue approve <草稿号> --as 王小明        批准 → 几秒后发布到沙盒论坛
  .venv/bin/forumbot dept pending                             专业部门待答复的请求
  .venv/bin/forumbot dept answer <请求号> --as 工程部刘工 --text "经现场查看……"

按 Ctrl-C 停止 (Ctrl-C to stop). 新帖子 / new posts:"""
    )
    feed = Feed()
    started = time.monotonic()
    try:
        while not duration or time.monotonic() - started < duration:
            feed.show_new(bot.sessions)
            time.sleep(1)
    except KeyboardInterrupt:
        click.echo("stopping…")
    finally:
        scheduler.shutdown(wait=True)
        web.close()
        sandbox.stop()
        bot.close()
