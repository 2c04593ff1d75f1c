"""Helpers for the sandbox tests: an API session as one user and the control routes."""

from __future__ import annotations

from typing import Any

import requests

KEY = "sandbox-admin-key"
BOT = "forumbot"
OWNER = "owner_li"


class Api:
    """A requests session speaking to the sandbox as one user (``Api-Username``)."""

    def __init__(self, url: str, username: str = BOT, key: str = KEY) -> None:
        self.url = url
        self.http = requests.Session()
        self.http.headers.update({"Api-Key": key, "Api-Username": username})

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(self.url + path, timeout=kwargs.pop("timeout", 5), **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.post(self.url + path, timeout=kwargs.pop("timeout", 5), **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.put(self.url + path, timeout=kwargs.pop("timeout", 5), **kwargs)

    def latest_ids(self, before: int | None = None) -> list[int]:
        params = {"before": before} if before is not None else None
        return [p["id"] for p in self.get("/posts.json", params=params).json()["latest_posts"]]

    def close(self) -> None:
        self.http.close()


class Control:
    """The ``/_sandbox/`` routes (no auth)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()

    def call(self, method: str, path: str, **body: Any) -> Any:
        response = self.http.request(
            method, f"{self.url}/_sandbox/{path}", json=body or None, timeout=10
        )
        response.raise_for_status()
        return response.json()

    def add_post(self, raw: Any, username: str = OWNER, **fields: Any) -> dict[str, Any]:
        return self.call("POST", "posts", username=username, raw=raw, **fields)

    def posts_by(self, username: str) -> list[dict[str, Any]]:
        return self.call("GET", f"posts?username={username}")["posts"]

    def close(self) -> None:
        self.http.close()
