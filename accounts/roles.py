"""Roles are Django groups carrying real permissions; code checks permissions, not names.

`ROLE_PERMISSIONS` is the single source of truth: `sync_role_groups` runs after every
migrate and makes each group hold exactly these permissions.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.contrib.auth.models import Group, Permission


class Role(StrEnum):
    PIONEER = "pioneer"
    VALIDATOR = "validator"
    MODERATOR = "moderator"
    REQUESTER = "requester"


# "app_label.codename" of each permission a role grants.
ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.PIONEER: ("accounts.work_tasks",),
    Role.VALIDATOR: ("accounts.vote_kyc_checks",),
    Role.MODERATOR: ("accounts.review_kyc_cases", "accounts.moderate_community"),
    Role.REQUESTER: ("accounts.publish_projects",),
}


def sync_role_groups(**kwargs: Any) -> None:
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)
