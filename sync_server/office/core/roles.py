"""Who may do what in the office console (pure): roles and actions.

科室管理员 `admin` runs the year; 录入员 `clerk` enters what arrives on paper (registries, penalty
decisions, transfers, lab results, plan drafts); 审核员 `auditor` (纪检/法制审核) sees everything and
changes nothing. Every console handler names its action (sync_server/office/console.guarded); a
test walks every route for every role (tests/integration/test_console_roles.py).
"""
from __future__ import annotations

ROLES = ("admin", "clerk", "auditor")
ALL, WRITERS, ADMIN = frozenset(ROLES), frozenset({"admin", "clerk"}), frozenset({"admin"})

ACTIONS: dict[str, frozenset[str]] = {
    # seeing: every role
    "dashboard.view": ALL, "registry.view": ALL, "plans.view": ALL, "tasks.view": ALL, "draws.view": ALL,
    "publication.view": ALL, "followups.view": ALL, "devices.view": ALL, "calendar.view": ALL,
    "reports.view": ALL, "accounts.view": ALL, "account.own_password": ALL, "audit.view": ALL,
    # 一单两库
    "registry.import": WRITERS, "registry.edit": WRITERS,
    # the annual plan: clerks draft, the admin publishes and revises
    "plans.edit": WRITERS, "plans.publish": ADMIN,
    # tasks and the draw
    "tasks.edit": ADMIN, "draws.conduct": ADMIN, "assignments.reassign": ADMIN,
    # a task handed down by a higher level arrives on paper with its list: clerks enter it
    "tasks.hand_down": WRITERS,
    # publication and follow-up
    "publication.publish": ADMIN, "followups.enter": WRITERS, "followups.remind": ADMIN,
    "lab.enter": WRITERS,
    # devices, calendar, accounts
    "devices.enroll": ADMIN, "devices.revoke": ADMIN, "calendar.load": ADMIN, "accounts.manage": ADMIN,
    "settings.edit": ADMIN,
    # the platform: the offices below this one and their progress; recording a new office
    "offices.view": ALL, "offices.add": ADMIN,
}


def may(role: str, action: str) -> bool:
    """Whether a role may take an action; an action nobody named is refused to everyone."""
    return role in ACTIONS.get(action, frozenset())


def changes(action: str) -> bool:
    """Whether an action changes something (the auditor may take none of these)."""
    return ACTIONS.get(action, frozenset()) != ALL
