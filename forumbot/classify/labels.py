"""The nine labels and four reply styles (labeling-guide.md), as plain data."""

from __future__ import annotations

VALID_LABELS = ("engineering", "planning", "sales", "property_management", "service", "inquiry")
INVALID_LABELS = ("abuse", "empty", "unrelated")
LABELS = VALID_LABELS + INVALID_LABELS

STYLES = ("direct_answer", "specialist", "interactive", "redirect_private")

LABEL_NAMES_ZH = {
    "engineering": "工程",
    "planning": "规划",
    "sales": "销售",
    "property_management": "物业管理",
    "service": "客户服务及其他",
    "inquiry": "咨询建议",
    "abuse": "恶意漫骂",
    "empty": "无内容",
    "unrelated": "与公司无关",
}

STYLE_NAMES_ZH = {
    "direct_answer": "直接回答",
    "specialist": "专业类回复",
    "interactive": "互动式回复",
    "redirect_private": "转一对一沟通",
    "holding": "告知回复",
    "followup": "跟进回复",
    "satisfaction": "满意度回访",
}

# The style a label gets until the drafting policy (config/) decides otherwise.
DEFAULT_STYLE: dict[str, str | None] = {
    "engineering": "specialist",
    "planning": "specialist",
    "sales": "specialist",
    "property_management": "specialist",
    "service": "interactive",
    "inquiry": "direct_answer",
    "abuse": None,
    "empty": None,
    "unrelated": None,
}


def is_valid(label: str) -> bool:
    return label in VALID_LABELS
