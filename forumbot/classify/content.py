"""Posts with no content at all: punctuation, emoji and forum fillers ("顶", "+1", "mark").

A rule, not the model: such a post is ``empty`` whatever its length, with no runners-up to
weigh. It lives apart from the model so that labelling never imports the training code.
"""

from __future__ import annotations

import re

# Words that carry nothing on their own on a forum: "顶", "沙发", "+1", "mark"…
_FILLERS = re.compile(
    r"(顶|顶起|帮顶|自己顶|沙发|板凳|地板|前排|占楼|占座|路过|围观|打卡|mark|mk|up|dd|ding|cy|"
    r"楼上|同上|附议|同问|同求|\+?1|加一|来了|呵呵|哈哈|嗯|哦|啊|额|呃)",
    re.IGNORECASE,
)
_NOT_WORDLIKE = re.compile(r"[\W_]+")


def content_free(text: str) -> bool:
    """True for normalised text with no content: punctuation, emoji, fillers, nothing else."""
    rest = _NOT_WORDLIKE.sub("", text)
    return not _FILLERS.sub("", rest)
