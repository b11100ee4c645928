"""Raw SQL of the checks that guard every page and API call of staff: their permissions
and whether they have an authenticator.

These are fixed statements with one parameter, the person's id, sent on every request that
asks. Building and compiling them through the ORM took about three times as long as the
database took to answer them (the two permission reads alone cost about a millisecond of
CPU per request). The SQL is what the ORM sent for them (Django's `ModelBackend` and
`Authenticator.objects.filter(...).exists()`), written out once per process from the
models' own table and column names.
"""

from __future__ import annotations

import functools

from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from accounts.models import User


def _table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)  # type: ignore[attr-defined]


@functools.cache
def _user_permissions_sql() -> str:
    through = _table(User.user_permissions.through)
    permission, content_type = _table(Permission), _table(ContentType)
    return f"""
        SELECT {content_type}."app_label", {permission}."codename"
        FROM {permission}
        INNER JOIN {through} ON ({permission}."id" = {through}."permission_id")
        INNER JOIN {content_type} ON ({permission}."content_type_id" = {content_type}."id")
        WHERE {through}."user_id" = %s
    """  # noqa: S608 - table names from the models, values as parameters


@functools.cache
def _group_permissions_sql() -> str:
    group_permissions = _table(Group.permissions.through)
    user_groups = _table(User.groups.through)
    permission, content_type, group = _table(Permission), _table(ContentType), _table(Group)
    return f"""
        SELECT {content_type}."app_label", {permission}."codename"
        FROM {permission}
        INNER JOIN {group_permissions} ON ({permission}."id" = {group_permissions}."permission_id")
        INNER JOIN {content_type} ON ({permission}."content_type_id" = {content_type}."id")
        WHERE {group_permissions}."group_id" IN (
            SELECT U0."id" FROM {group} U0
            INNER JOIN {user_groups} U1 ON (U0."id" = U1."group_id")
            WHERE U1."user_id" = %s
        )
    """  # noqa: S608 - table names from the models, values as parameters


@functools.cache
def _has_totp_sql() -> str:
    authenticator = _table(Authenticator)
    return f"""
        SELECT 1 AS "a" FROM {authenticator}
        WHERE ({authenticator}."type" = %s AND {authenticator}."user_id" = %s) LIMIT 1
    """  # noqa: S608 - table names from the models, values as parameters


def _permission_names(sql: str, user_id: int) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        return {f"{app_label}.{codename}" for app_label, codename in cursor.fetchall()}


def user_permission_names(*, user_id: int) -> set[str]:
    """ "app_label.codename" of each permission granted to the person directly."""
    return _permission_names(_user_permissions_sql(), user_id)


def group_permission_names(*, user_id: int) -> set[str]:
    """ "app_label.codename" of each permission the person's groups (roles) grant."""
    return _permission_names(_group_permissions_sql(), user_id)


def has_totp(*, user_id: int) -> bool:
    """Whether the person has an activated TOTP authenticator."""
    with connection.cursor() as cursor:
        cursor.execute(_has_totp_sql(), [Authenticator.Type.TOTP.value, user_id])
        return cursor.fetchone() is not None
