"""Where alerts go: mail through an SMTP server, and a chat-robot webhook (企业微信 or 钉钉).

Each channel sends one message and raises ``AlertError`` with a sentence a person can act
on when it could not; the job records that and tries again later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import smtplib
import time
import urllib.parse
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol

import requests

TIMEOUT_SECONDS = 10.0


class AlertError(Exception):
    """An alert could not be delivered; the message says why and what to check."""


@dataclass(frozen=True)
class AlertMessage:
    subject: str
    text: str


class Channel(Protocol):
    name: str  # stable: one alert per case and channel name
    label: str  # Chinese, for people

    def wants(self, security: bool) -> bool: ...

    def send(self, message: AlertMessage) -> None: ...


@dataclass(frozen=True)
class MailChannel:
    name: str
    label: str
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    starttls: bool = False
    user: str = ""
    password: str = ""
    only_security: bool = False

    def wants(self, security: bool) -> bool:
        return security or not self.only_security

    def send(self, message: AlertMessage) -> None:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.recipients)
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = make_msgid(domain="forumbot")
        mail.set_content(message.text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password)
                refused = smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise AlertError(
                f"邮件服务器 {self.host}:{self.port} 未能发送：{exc}（请检查 alerts.smtp_* 设置）"
            ) from exc
        if refused:
            raise AlertError(f"邮件服务器拒收了这些收件人：{', '.join(refused)}")


@dataclass(frozen=True)
class RobotChannel:
    """A group robot: 企业微信 (wecom) and 钉钉 (dingtalk) both take a text message as JSON
    and answer ``{"errcode": 0, ...}``; 钉钉 robots with 加签 also need a signed URL."""

    url: str
    kind: str = "wecom"
    secret: str = ""
    name: str = "robot"
    label: str = "群机器人"

    def wants(self, security: bool) -> bool:
        return True

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        content = f"{message.subject}\n{message.text}"
        if self.kind == "dingtalk":
            return {"msgtype": "text", "text": {"content": content}, "at": {"isAtAll": False}}
        return {"msgtype": "text", "text": {"content": content}}

    def signed_url(self, now_ms: int | None = None) -> str:
        if self.kind != "dingtalk" or not self.secret:
            return self.url
        timestamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
        digest = hmac.new(
            self.secret.encode(), f"{timestamp}\n{self.secret}".encode(), hashlib.sha256
        ).digest()
        sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
        joiner = "&" if "?" in self.url else "?"
        return f"{self.url}{joiner}timestamp={timestamp}&sign={sign}"

    def send(self, message: AlertMessage) -> None:
        try:
            response = requests.post(
                self.signed_url(), json=self.payload(message), timeout=TIMEOUT_SECONDS
            )
        except requests.RequestException as exc:
            raise AlertError(
                f"群机器人地址无法连接：{exc}（请检查 FORUMBOT_ROBOT_WEBHOOK_URL）"
            ) from exc
        if response.status_code != 200:
            raise AlertError(f"群机器人返回 HTTP {response.status_code}：{response.text[:200]}")
        try:
            body = response.json()
        except ValueError:
            raise AlertError(f"群机器人的回答不是 JSON：{response.text[:200]}") from None
        if not isinstance(body, dict) or body.get("errcode", 0) != 0:
            raise AlertError(f"群机器人拒绝了消息：{body}")
