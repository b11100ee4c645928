"""The second baseline of `kyc_queue_bench.py`: a minimal Django view that sends the same
SQL as the queue API and returns the same JSON, served by the same Django (settings,
middleware, session, database connection) under /bench/kyc/queue/ beside the project's URLs.

No DRF, no ORM query building, no serializers: the session and user come from Django's
middleware as for the API; then the view sends the API's own checks in its order (verified
e-mail, the user's and their groups' permissions, an activated authenticator) and reads
the second factor off the session as `accounts.mfa` does; then the page of cases with the
moderator's conflict exclusions (`QUEUE_PAGE`, the statement the API sends for a first page),
and writes the response with `json.dumps`. What it leaves out is what the comparison
measures: DRF (its request, permissions, throttling, pagination and renderer), the ORM
and the selector's Python.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone

from pioneer_platform.urls import urlpatterns as project_urlpatterns

EMAIL_VERIFIED = """SELECT 1 AS "a" FROM "account_emailaddress"
WHERE ("account_emailaddress"."user_id" = %s AND "account_emailaddress"."verified") LIMIT 1"""
USER_PERMISSIONS = """SELECT "django_content_type"."app_label", "auth_permission"."codename"
FROM "auth_permission"
INNER JOIN "accounts_user_user_permissions"
    ON ("auth_permission"."id" = "accounts_user_user_permissions"."permission_id")
INNER JOIN "django_content_type"
    ON ("auth_permission"."content_type_id" = "django_content_type"."id")
WHERE "accounts_user_user_permissions"."user_id" = %s"""
GROUP_PERMISSIONS = """SELECT "django_content_type"."app_label", "auth_permission"."codename"
FROM "auth_permission"
INNER JOIN "auth_group_permissions"
    ON ("auth_permission"."id" = "auth_group_permissions"."permission_id")
INNER JOIN "django_content_type"
    ON ("auth_permission"."content_type_id" = "django_content_type"."id")
WHERE "auth_group_permissions"."group_id" IN (
    SELECT U0."id" FROM "auth_group" U0
    INNER JOIN "accounts_user_groups" U1 ON (U0."id" = U1."group_id") WHERE U1."user_id" = %s)"""
HAS_TOTP = """SELECT 1 AS "a" FROM "mfa_authenticator"
WHERE ("mfa_authenticator"."type" = 'totp' AND "mfa_authenticator"."user_id" = %s) LIMIT 1"""
# Only the shown columns; every conflict rule of `kyc.selectors.conflicts.conflicts_of`.
QUEUE_PAGE = """SELECT "kyc_case"."public_id", "kyc_case"."state", "kyc_case"."document_type",
"kyc_case"."issuing_state", "kyc_case"."risk_flags", "kyc_case"."submitted_at",
"kyc_case"."claimed_by_id", "kyc_case"."claim_expires_at"
FROM "kyc_case"
WHERE ("kyc_case"."state" IN ('in_review', 'escalated', 'appealed') AND NOT (
    ("kyc_case"."user_id" = %(user)s
     OR "kyc_case"."identity_hash" IN (
        SELECT U0."identity_hash" FROM "kyc_case" U0
        WHERE (U0."user_id" = %(user)s AND NOT (U0."identity_hash" = '')))
     OR "kyc_case"."user_id" IN (
        SELECT U0."subject_id" FROM "kyc_reviewconflict" U0 WHERE U0."reviewer_id" = %(user)s)
     OR "kyc_case"."user_id" IN (
        SELECT U1."user_id" FROM "kyc_validatorvote" U0
        INNER JOIN "kyc_case" U1 ON (U0."case_id" = U1."id")
        INNER JOIN "kyc_caseevent" U2 ON (U1."id" = U2."case_id")
        WHERE (U2."to_state" = 'escalated' AND U0."validator_id" = %(user)s))
     OR ("kyc_case"."decided_by_id" = %(user)s AND "kyc_case"."decided_by_id" IS NOT NULL
         AND "kyc_case"."state" = 'appealed'))))
ORDER BY "kyc_case"."submitted_at" ASC, "kyc_case"."id" ASC LIMIT %(limit)s"""


def _when(value: datetime) -> str:
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _json(data: Any, status: int = 200) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body.encode(), status=status, content_type="application/json")


def _second_factor_used(request: HttpRequest) -> bool:
    records = request.session.get("account_authentication_methods", [])
    return any(
        record.get("method") == "mfa" and record.get("type") in ("totp", "recovery_codes")
        for record in records
    )


def queue(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return _json({"detail": "Authentication credentials were not provided."}, 403)
    page_size = min(int(request.GET.get("page_size", 50)), 200)
    with connection.cursor() as cursor:
        cursor.execute(EMAIL_VERIFIED, [user.pk])
        verified = cursor.fetchone() is not None
        cursor.execute(USER_PERMISSIONS, [user.pk])
        granted = {f"{app}.{codename}" for app, codename in cursor.fetchall()}
        cursor.execute(GROUP_PERMISSIONS, [user.pk])
        granted |= {f"{app}.{codename}" for app, codename in cursor.fetchall()}
        cursor.execute(HAS_TOTP, [user.pk])
        has_totp = cursor.fetchone() is not None
        if not (verified and has_totp and _second_factor_used(request)):
            return _json({"detail": "You do not have permission to perform this action."}, 403)
        if "accounts.review_kyc_cases" not in granted:
            return _json({"detail": "Only moderators may do this."}, 403)
        cursor.execute(QUEUE_PAGE, {"user": user.pk, "limit": page_size + 1})
        rows = cursor.fetchall()
    now = timezone.now()
    results = [
        {
            "id": str(public_id),
            "state": state,
            "document_type": document_type,
            "issuing_state": issuing_state,
            "risk_flags": json.loads(flags) if isinstance(flags, str) else flags,
            "submitted_at": _when(submitted_at) if submitted_at else None,
            "claimed": bool(claimed_by and expires and expires > now),
        }
        for public_id, state, document_type, issuing_state, flags, submitted_at, claimed_by, expires in rows[
            :page_size
        ]
    ]
    following = None
    if len(rows) > page_size:
        # DRF's cursor for the next page: the last row's position (no ties in the bench).
        cursor_token = base64.b64encode(urlencode({"p": str(rows[page_size - 1][5])}).encode())
        query = urlencode({"cursor": cursor_token.decode(), "page_size": page_size})
        following = request.build_absolute_uri(f"/api/v1/kyc/queue/?{query}")
    return _json({"next": following, "previous": None, "results": results})


urlpatterns = [path("bench/kyc/queue/", queue), *project_urlpatterns]
