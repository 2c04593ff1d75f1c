"""How long each thing a person types may be: one table for the console's ``maxlength``
attributes and the server's checks (review layer, admin editors), so a 1 MB reason or a
one-character department answer is refused in the same words everywhere."""

from __future__ import annotations

from dataclasses import dataclass

from forumbot.review.errors import ReviewError


@dataclass(frozen=True)
class Limit:
    """A field's name as people see it, and how many characters it takes after trimming."""

    name: str
    max: int
    min: int = 0


LIMITS: dict[str, Limit] = {
    "reject_reason": Limit("驳回原因", 500, 1),
    "override_reason": Limit("放行理由", 500),
    "approve_reason": Limit("批准备注", 500),
    "reopen_reason": Limit("重新打开的原因", 500),
    "relabel_reason": Limit("重新分类的原因", 500),
    "reply_text": Limit("回复内容", 5000, 1),
    "department_note": Limit("给部门的说明", 500),
    # An answer must say something: "周四上门修复" (six characters) is the shortest useful one.
    "department_answer": Limit("部门答复", 2000, 6),
    "kb_title": Limit("知识库标题", 100),
    "kb_questions": Limit("业主的问法", 2000),
    "kb_keywords": Limit("关键词", 500),
    "kb_answer": Limit("知识库答复", 2000),
    "template_text": Limit("模板文本", 30000),
    "preview_post": Limit("用于预览的帖子编号", 12),
    "queue_department": Limit("部门筛选", 32),
}


def measured(value: str) -> int:
    """Characters as a person counts them: trimmed, a line break is one character."""
    return len(value.replace("\r\n", "\n").strip())


def problem(field: str, value: str) -> str | None:
    """Why ``value`` does not fit ``field`` (one line in Chinese that says the limit), or None."""
    limit = LIMITS[field]
    length = measured(value)
    if length > limit.max:
        return f"{limit.name}最多 {limit.max} 个字，现在有 {length} 个字，请精简后再提交"
    if length < limit.min:
        if limit.min == 1:
            return f"{limit.name}不能为空，请填写后再提交"
        return f"{limit.name}至少需要 {limit.min} 个字（现在有 {length} 个字），请写清楚后再提交"
    return None


def check(field: str, value: str | None) -> None:
    """Refuse a value that does not fit its field; None (not given) passes."""
    if value is None:
        return
    found = problem(field, value)
    if found:
        raise ReviewError(found)
