"""What a post is to the cases of its topic: a pure decision, no storage.

A topic holds one owner's matter (the case) and, sometimes, a second owner's different
matter. Every later post is one of:

- ``update``: the case owner again (补充, 又漏了, 什么时候来修): the case's reply is redone,
  or the case reopens if our reply was already published;
- ``supporter``: a neighbour's "+1", "同问", "顶", "我家也是": counted and acknowledged in the
  case's reply, with no draft of its own;
- ``opener``: another owner's own complaint (first person, a valid label): a second case;
- ``chatter``: bystanders' advice or talk ("楼主可以直接打12345"): recorded, no draft;
- ``abuse``: still a proposal to the moderators.

The rules are deliberately simple and tested; a reviewer corrects a wrong call in the
console, and the correction is kept as training data.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from forumbot.cases import incident_match
from forumbot.classify.labels import VALID_LABELS as LABELS_VALID
from forumbot.classify.normalize import to_simplified

OPENER = "opener"
UPDATE = "update"
SUPPORTER = "supporter"
CHATTER = "chatter"
ABUSE = "abuse"
ROLES = (OPENER, UPDATE, SUPPORTER, CHATTER, ABUSE)
ROLE_NAMES_ZH = {
    OPENER: "提出诉求",
    UPDATE: "楼主补充",
    SUPPORTER: "附议",
    CHATTER: "旁人讨论",
    ABUSE: "辱骂",
}

VALID_LABELS = frozenset(LABELS_VALID)

# "Me too" in its forum forms. A post that is mostly this (short once it is removed) supports
# the case it answers.
ME_TOO = re.compile(
    r"\+\s*1|＋\s*1|同问|同求|同上|同感|(?<![屋楼吊封房山头置])顶+(?![楼层棚部上端])|\bdd+\b|\bup+\b|附议|蹲+|mark|"
    r"坐等|关注|我家也(?:是|一样|有|这样|遇到|出现)|我们?家?也(?:是|一样|遇到|出现了?)(?:这|同样|一样)?|"
    r"俺家也|(?:一样|同样)的?(?:问题|情况)|我也(?:是|一样|遇到|想问|想知道)|求(?:解决|回复|答复)|"
    r"支持楼主|(?:楼主)?加油|(?:都|也)?支持(?:你|您)|(?:楼上|楼主)?说[的得]对|都(?:是这样|这样|一样)|顶上去|(?<!不)(?:赞同|同意)(?:楼主|楼上|\+1)?|一样|\bme\s*too\b|"
    # Cantonese, after the text is made simplified: 我哋都係咁 -> 我哋都系咁
    r"(?:我|我哋|我家|我哋屋企|屋企)(?:都|也)系(?:咁|一样)?",
    re.IGNORECASE,
)
# Advice to the owner rather than a complaint of one's own.
ADVICE = re.compile(
    r"楼主(?:可以|应该|不如|最好|赶紧|直接|去|找|打)|建议(?:楼主|你|您|直接|去|找|打)|"
    r"你(?:可以|应该|不如|最好|去|找)|可以直接|直接打|打\s*12345|找(?:住建|街道|媒体|律师)|"
    r"拨打?\s*12345|投诉到|去(?:住建|街道|消协)"
)
# Agreement anywhere in the post: "我家2栋2503也是一样", "水压同样好细", "10栋好几家都这样".
# With the case's own fault or wording in the post, the neighbour reports the same matter.
AGREEMENT = re.compile(
    r"也(?:是|一样|这样|有|遇到|出现|漏|渗|坏|停|没|淹|臭|吵|裂|受)|同样|一样|类似|相同|"
    r"同一个?(?:问题|情况|毛病)|确实|的确|"
    r"都(?:这样|是这样|有这个|一样|系|这个|出现|有)"
)
# Agreement with no fault of its own and at most this much else: "我们8幢也是这样".
SHORT_AGREEMENT = 12
# How alike a "me too with details" must be to the case's opening post, without a shared fault.
SAME_MATTER_SIMILARITY = 0.3
# Discourse's quote reply: [quote="sun_lei, post:6, topic:9"] names the post it answers.
QUOTED_POST = re.compile(r"\[quote=[^\]]*?\bpost:\s*(\d{1,9})", re.IGNORECASE)
FIRST_PERSON = re.compile(r"我|俺|本人|咱家|我们")
UNIT = re.compile(r"\d{1,2}\s*单元")
OWN_ADDRESS = re.compile(r"\d{1,3}\s*(?:栋|号楼|幢|座)|\d{3,4}\s*(?:室|房|户)?(?=\D|$)")
# A valid post this long is an account of one's own, even without "我".
LONG_ACCOUNT = 40
# What is left of a me-too post after the pattern and filler: at most this many characters.
SUPPORT_REMAINDER = 12
# Agreement this close to the start makes the whole post a "me too", however long.
LEADING_AGREEMENT = 4
# A different matter needs at least this much text of its own.
MATTER_MIN_CHARS = 10


@dataclass(frozen=True)
class TopicCase:
    """A case already open in the topic, as the decision needs it."""

    id: int
    owner: str
    opening_post_number: int
    text: str = ""  # the opening post's title and text, to tell "the same, at my place" apart


@dataclass(frozen=True)
class PostFacts:
    username: str
    raw: str
    post_number: int
    reply_to_post_number: int | None = None


@dataclass(frozen=True)
class Filing:
    """The decision: a role, and the case it concerns (None: a new case, or no case)."""

    role: str
    case_id: int | None
    reason: str


def _plain(raw: str) -> str:
    """The writer's own words, simplified: traditional posts (同問, 我家都係咁) read alike."""
    text = to_simplified(unicodedata.normalize("NFKC", raw))
    text = re.sub(r"\[quote[^\]]*\].*?\[/quote\]", "", text, flags=re.S | re.I)
    text = re.sub(r"https?://\S+|@\w+", "", text)
    return text.strip()


def _remainder(text: str) -> str:
    left = ME_TOO.sub("", text)
    return re.sub(r"[\s\W_]+", "", left)


def is_me_too(raw: str, case_text: str = "") -> bool:
    """A post that only agrees, asks the same, or bumps (its own words add almost nothing);
    or opens with agreement and then tells the case's matter again."""
    text = _plain(raw)
    if not text:
        return False
    stripped = re.sub(r"[\s\W_]+", "", text)
    if not stripped:  # emoji or punctuation only: a bump
        return True
    if is_advice(text):
        return False  # "楼主可以打12345，一样能解决": advice to the owner, not support
    # "我家2栋2503也是一样…" reads as "我家也是一样…": the flat's number is not a matter
    text = UNIT.sub("", OWN_ADDRESS.sub("", text))
    found = ME_TOO.search(text)
    if found is None:
        return False
    if _other_fault(text, case_text):
        return False  # "我家也有问题，厨房墙裂了" under a leak: a fault of its own
    # "我家也是，天花板一直滴水" opens with agreement: the same matter, told again.
    return len(_remainder(text)) <= SUPPORT_REMAINDER or found.start() <= LEADING_AGREEMENT


def _other_fault(text: str, case_text: str) -> bool:
    """The post names a fault, and not one the case's opening post names."""
    own = incident_match.faults_of(text)
    return bool(case_text and own and not own & incident_match.faults_of(case_text))


def tells_the_same_matter(raw: str, case_text: str) -> bool:
    """A neighbour agrees ("也是", "同样", "都这样") and names the case's own fault, or writes
    much as its owner did: the same matter told from their flat, not a new one."""
    text = _plain(raw)
    if not case_text or AGREEMENT.search(text) is None or is_advice(text):
        return False
    own = incident_match.faults_of(text)
    if not own and len(_remainder(text)) <= SHORT_AGREEMENT:
        return True  # "我们8幢也是这样", "同一个问题，物业一直拖": agreement, nothing new
    shared = own & incident_match.faults_of(case_text)
    return bool(shared) or incident_match.similarity(text, case_text) >= SAME_MATTER_SIMILARITY


def is_advice(raw: str) -> bool:
    return ADVICE.search(_plain(raw)) is not None


def is_own_matter(raw: str, label: str) -> bool:
    """A complaint of the poster's own: a valid label, some substance, and either the first
    person, their own address (12栋1502), or a long account; never advice to the owner."""
    text = _plain(raw)
    length = len(re.sub(r"\s+", "", text))
    if label not in VALID_LABELS or length < MATTER_MIN_CHARS or is_advice(text):
        return False
    return (
        FIRST_PERSON.search(text) is not None
        or OWN_ADDRESS.search(text) is not None
        or length >= LONG_ACCOUNT
    )


def _answered_case(post: PostFacts, cases: list[TopicCase], numbers: dict[int, int]) -> TopicCase:
    """The case the post answers: the one its reply-to (or quoted) post belongs to, else the
    first."""
    answered = [post.reply_to_post_number, *(int(n) for n in QUOTED_POST.findall(post.raw))]
    for number in answered:
        target = numbers.get(number) if number is not None else None
        for case in cases:
            if case.id == target:
                return case
    return cases[0]


def decide(
    post: PostFacts,
    label: str,
    cases: list[TopicCase],
    case_of_post_number: dict[int, int] | None = None,
) -> Filing:
    """File ``post`` (labelled ``label``) among the topic's open ``cases`` (oldest first).

    ``case_of_post_number`` maps the topic's earlier post numbers to their case ids, so a
    reply to a second owner's post supports that owner's case, not the first one."""
    numbers = case_of_post_number or {}
    if label == "abuse":
        target = _answered_case(post, cases, numbers).id if cases else None
        return Filing(ABUSE, target, "辱骂内容：转版主处理")
    if not cases:
        if label in VALID_LABELS:
            return Filing(OPENER, None, "本帖第一条有效诉求")
        return Filing(CHATTER, None, "无效内容，且本帖还没有诉求")
    owned = [c for c in cases if c.owner.casefold() == post.username.casefold()]
    if owned:
        return Filing(UPDATE, owned[-1].id, "楼主的补充或追问")
    answered = _answered_case(post, cases, numbers)
    if is_me_too(post.raw, answered.text):
        return Filing(SUPPORTER, answered.id, "邻居附议：同样的问题")
    if tells_the_same_matter(post.raw, answered.text):
        return Filing(SUPPORTER, answered.id, "邻居附议：自家也有同样的问题")
    if is_own_matter(post.raw, label):
        return Filing(OPENER, None, "另一位业主提出了自己的诉求")
    return Filing(CHATTER, _answered_case(post, cases, numbers).id, "旁人的建议或讨论")
