"""Permission checks answered with fixed statements, ahead of Django's model backend.

Every staff request asks for a person's permissions (the second factor rule, the role
checks, the menu), and `ModelBackend` builds its two querysets anew each time;
`accounts.statements` sends the same SQL without building it. What is granted, and to
whom, is exactly `ModelBackend`'s: nothing for inactive people or object permissions,
everything for superusers, and the sets are cached on the user object for the rest of the
request under `ModelBackend`'s names, so the backends after this one (`ModelBackend`
itself, allauth's) answer from them without a query.

This backend signs nobody in: passwords are checked once, by the backends after it, and
people stay signed in through the backend that signed them in (ModelBackend stays listed).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from accounts import statements


class PermissionReadingBackend(ModelBackend):
    def authenticate(
        self,
        request: Any,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        return None

    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not self._reads_own_statements(user_obj, obj):
            return super().get_user_permissions(user_obj, obj)
        if not hasattr(user_obj, "_user_perm_cache"):
            user_obj._user_perm_cache = statements.user_permission_names(user_id=user_obj.pk)
        return user_obj._user_perm_cache  # type: ignore[no-any-return]

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not self._reads_own_statements(user_obj, obj):
            return super().get_group_permissions(user_obj, obj)
        if not hasattr(user_obj, "_group_perm_cache"):
            user_obj._group_perm_cache = statements.group_permission_names(user_id=user_obj.pk)
        return user_obj._group_perm_cache  # type: ignore[no-any-return]

    @staticmethod
    def _reads_own_statements(user_obj: Any, obj: Any) -> bool:
        # The rest (no permissions at all, or every permission) is ModelBackend's own.
        return bool(
            obj is None
            and user_obj.is_active
            and not user_obj.is_anonymous
            and not user_obj.is_superuser
        )
