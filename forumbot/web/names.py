"""Names people read for the codes the audit log and the cases store: actions, states, roles
and who did it. Chinese here, English through the catalogue (templates call ``_()``)."""

from __future__ import annotations

from forumbot.cases.roles import ROLE_NAMES_ZH
from forumbot.cases.states import CASE_STATE_NAMES_ZH
from forumbot.review.states import STATE_NAMES_ZH
from forumbot.storage.audit import SYSTEM_PREFIX

ACTION_NAMES_ZH = {
    # drafts
    "create": "写成草稿",
    "edit": "修改文本",
    "approve": "批准",
    "approve_override": "放行批准",
    "approve_first": "初审批准（待主管复核）",
    "reject": "驳回",
    "reopen": "重新打开",
    "restyle": "改用其他回复方式",
    "send_to_department": "转交专业部门",
    "department_answer": "部门已答复",
    "holding_retired": "告知回复作废",
    "redraft": "重新起草",
    "post_edited": "原帖被编辑",
    "post_deleted": "原帖被删除",
    "publish_attempt": "开始发布",
    "publish_result": "发布结果",
    "publish_attempt_failed": "发布未成功",
    "case_migration": "升级时归入案件",
    # cases
    "case_opened": "立案",
    "case_answered": "已答复",
    "case_reopened": "案件重新打开",
    "case_resolved": "业主表示已解决",
    "case_unresolved": "业主表示仍未解决",
    "case_closed": "案件关闭",
    "case_dissolved": "案件撤销",
    "case_split": "拆分案件",
    "case_split_from": "由其他案件拆出",
    "case_merged": "合并案件",
    "case_merged_into": "并入其他案件",
    "owner_update": "楼主补充",
    "post_moved": "帖子改归其他案件",
    "post_supporter": "邻居附议",
    "post_chatter": "旁人讨论",
    "post_abuse": "辱骂内容",
    "post_update": "楼主补充",
    "post_opener": "提出诉求",
    # danger and sensitive matters
    "case_urgent": "标为紧急（危及人身安全）",
    "case_sensitive": "标为敏感（需两人批准）",
    "case_urgent_cleared": "解除紧急标记",
    "case_sensitive_cleared": "解除敏感标记",
    "alert_sent": "已发出紧急提醒",
    "alert_failed": "紧急提醒发送失败",
}
# An action this table does not know yet is shown under this name (with its code as a tip).
OTHER_ACTION_ZH = "其他操作"
SYSTEM_ACTOR_ZH = "系统"

# Draft states and case states never share a code: one table reads both.
ANY_STATE_NAMES_ZH = {**STATE_NAMES_ZH, **CASE_STATE_NAMES_ZH}


def action_name(action: str) -> str:
    """The Chinese name of an audit action (translate it with ``_()`` in the template)."""
    return ACTION_NAMES_ZH.get(action, OTHER_ACTION_ZH)


def is_system(actor: str) -> bool:
    return actor.startswith(SYSTEM_PREFIX)


def shown_names() -> set[str]:
    """Every name here, for the catalogue (they reach the page through ``_(name)``)."""
    return {
        *ACTION_NAMES_ZH.values(),
        OTHER_ACTION_ZH,
        SYSTEM_ACTOR_ZH,
        *CASE_STATE_NAMES_ZH.values(),
        *ROLE_NAMES_ZH.values(),
    }
