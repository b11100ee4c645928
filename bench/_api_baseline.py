"""The baseline of `api_load_bench.py`: minimal Django views that send the same SQL as the
feed, next-item and answer endpoints and return the same JSON, served under /bench/v1/ by
the same server (same settings, middleware, connection pool), beside the project's URLs.

No DRF, no ORM, no services: each view reads the session token with the same four
statements the project's authentication sends (session exists, session row, user row,
verified e-mail), then the endpoint's own statements in the project's order (permissions,
level, the feed query; the project, permissions and pause check, then the claim; the
assignment, then the answer), and writes the response with `json.dumps`. The claim and
answer statements are the project's (`tasks.statements`), bound on the server as the
service binds them, so both sides get them prepared. What the baseline leaves out is what
the comparison measures: DRF, the ORM's query building and model instances, throttling,
serializers and the services' Python.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from psycopg.types.json import Jsonb

from pioneer_platform.urls import urlpatterns as project_urlpatterns
from tasks.statements import answer_sql, claim_sql

SESSION_EXISTS = """SELECT 1 AS "a" FROM "django_session"
WHERE "django_session"."session_key" = %s LIMIT 1"""
SESSION = """SELECT "django_session"."session_key", "django_session"."session_data",
"django_session"."expire_date" FROM "django_session"
WHERE ("django_session"."expire_date" > %s AND "django_session"."session_key" = %s) LIMIT 21"""
USER = """SELECT "accounts_user"."id", "accounts_user"."password", "accounts_user"."last_login",
"accounts_user"."is_superuser", "accounts_user"."public_id", "accounts_user"."email",
"accounts_user"."is_active", "accounts_user"."is_staff", "accounts_user"."date_joined",
"accounts_user"."verified_at" FROM "accounts_user" WHERE "accounts_user"."id" = %s LIMIT 21"""
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
LEVEL = """SELECT "reputation_reputationscore"."level" FROM "reputation_reputationscore"
WHERE "reputation_reputationscore"."user_id" = %s
ORDER BY "reputation_reputationscore"."id" ASC LIMIT 1"""
FEED = """SELECT "tasks_project"."public_id", "tasks_project"."title", "tasks_project"."kind",
"tasks_project"."instructions_html", "tasks_project"."labels", "tasks_project"."scale_min",
"tasks_project"."scale_max", "tasks_project"."text_max_length", "tasks_project"."reward",
"tasks_project"."reservation_timeout", "tasks_project"."min_level", "tasks_project"."state",
"tasks_project"."published_at",
COALESCE((SELECT SUM(U0."open_slots") AS "total" FROM "tasks_item" U0
          WHERE (NOT U0."is_gold" AND U0."open_slots" > 0
                 AND U0."project_id" = ("tasks_project"."id"))
          GROUP BY U0."project_id" LIMIT 1), 0) AS "remaining_answers",
COALESCE((SELECT COUNT(U0."id") AS "total" FROM "tasks_item" U0
          WHERE (NOT U0."is_gold" AND U0."open_slots" > 0
                 AND U0."project_id" = ("tasks_project"."id"))
          GROUP BY U0."project_id" LIMIT 1), 0) AS "remaining_items"
FROM "tasks_project"
WHERE ("tasks_project"."min_level" <= %s AND "tasks_project"."state" = 'published'
       AND NOT (EXISTS(SELECT 1 AS "a" FROM "tasks_goldscore" U1
                       WHERE (U1."paused_at" IS NOT NULL
                              AND U1."project_id" = ("tasks_project"."id")) LIMIT 1)
                AND EXISTS(SELECT 1 AS "a" FROM "tasks_goldscore" U1
                           WHERE (U1."pioneer_id" = %s
                                  AND U1."project_id" = ("tasks_project"."id")) LIMIT 1)))
ORDER BY "tasks_project"."id" DESC LIMIT 51"""
PROJECT = """SELECT "tasks_project"."id", "tasks_project"."public_id", "tasks_project"."state",
"tasks_project"."min_level", "tasks_project"."reservation_timeout", "tasks_project"."kind",
"tasks_project"."labels", "tasks_project"."reward", "tasks_project"."gold_rate"
FROM "tasks_project" WHERE "tasks_project"."public_id" = %s
ORDER BY "tasks_project"."id" ASC LIMIT 1"""
PAUSED = """SELECT 1 AS "a" FROM "tasks_goldscore"
WHERE ("tasks_goldscore"."paused_at" IS NOT NULL AND "tasks_goldscore"."pioneer_id" = %s
       AND "tasks_goldscore"."project_id" = %s) LIMIT 1"""
ASSIGNMENT = """SELECT "tasks_assignment"."id", "tasks_assignment"."public_id",
"tasks_assignment"."item_id", "tasks_assignment"."status", "tasks_project"."id",
"tasks_project"."kind", "tasks_project"."labels", "tasks_project"."reward",
"tasks_item"."is_gold"
FROM "tasks_assignment"
INNER JOIN "tasks_project" ON ("tasks_assignment"."project_id" = "tasks_project"."id")
INNER JOIN "tasks_item" ON ("tasks_assignment"."item_id" = "tasks_item"."id")
WHERE ("tasks_assignment"."pioneer_id" = %s AND "tasks_assignment"."public_id" = %s)
ORDER BY "tasks_assignment"."id" ASC LIMIT 1"""


def _json(data: Any, status: int = 200) -> HttpResponse:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return HttpResponse(body.encode(), status=status, content_type="application/json")


def _when(value: datetime) -> str:
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _loaded(value: Any) -> Any:
    # Django's connections read jsonb as text, for JSONField to decode.
    return json.loads(value) if isinstance(value, str) else value


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _pioneer(request: HttpRequest, cursor: Any) -> int | None:
    """The signed-in pioneer's id from the session token, or None."""
    token = request.headers.get("X-Session-Token", "")
    cursor.execute(SESSION_EXISTS, [token])
    if cursor.fetchone() is None:
        return None
    cursor.execute(SESSION, [timezone.now(), token])
    row = cursor.fetchone()
    if row is None:
        return None
    user_id = int(SessionStore().decode(row[1])[SESSION_KEY])
    cursor.execute(USER, [user_id])
    user = cursor.fetchone()
    if user is None or not user[6]:
        return None
    cursor.execute(EMAIL_VERIFIED, [user_id])
    return user_id if cursor.fetchone() is not None and user[9] is not None else None


def _may_work(cursor: Any, user_id: int) -> bool:
    cursor.execute(USER_PERMISSIONS, [user_id])
    granted = {f"{app}.{codename}" for app, codename in cursor.fetchall()}
    cursor.execute(GROUP_PERMISSIONS, [user_id])
    granted |= {f"{app}.{codename}" for app, codename in cursor.fetchall()}
    return "accounts.work_tasks" in granted


def feed(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        user_id = _pioneer(request, cursor)
        if user_id is None:
            return _json({"detail": "Sign in."}, 401)
        if not _may_work(cursor, user_id):
            return _json({"detail": "Verify your identity to work on tasks."}, 403)
        cursor.execute(LEVEL, [user_id])
        level = cursor.fetchone()
        cursor.execute(FEED, [level[0] if level else 1, user_id])
        rows = cursor.fetchmany(50)
    results = [
        {
            "id": str(row[0]),
            "title": row[1],
            "kind": row[2],
            "instructions_html": row[3],
            "labels": [str(label) for label in _loaded(row[4])],
            "scale_min": row[5],
            "scale_max": row[6],
            "text_max_length": row[7],
            "reward": row[8],
            "reservation_timeout": row[9],
            "min_level": row[10],
            "state": row[11],
            "remaining_items": row[14],
            "remaining_answers": row[13],
            "published_at": _when(row[12]) if row[12] else None,
        }
        for row in rows
    ]
    return _json({"next": None, "previous": None, "results": results})


@csrf_exempt
def next_item(request: HttpRequest, public_id: str) -> HttpResponse:
    key = _uuid(public_id)
    with connection.cursor() as cursor:
        user_id = _pioneer(request, cursor)
        if user_id is None:
            return _json({"detail": "Sign in."}, 401)
        cursor.execute(PROJECT, [key])
        project = cursor.fetchone()
        if project is None or project[2] != "published":
            return _json({"detail": "No such project."}, 404)
        if not _may_work(cursor, user_id):
            return _json({"detail": "Verify your identity to work on tasks."}, 403)
        cursor.execute(PAUSED, [user_id, project[0]])
        if cursor.fetchone() is not None:
            return _json({"detail": "You are paused on this project."}, 403)
    now = timezone.now()
    assignment_id = uuid.uuid4()
    expires_at = now + timedelta(seconds=project[4])
    with psycopg.Cursor(connection.connection) as server_bound:
        server_bound.execute(
            claim_sql(),
            {
                "project": project[0],
                "pioneer": user_id,
                "state": "published",
                "public_id": assignment_id,
                "now": now,
                "expires_at": expires_at,
            },
        )
        row = server_bound.fetchone()
    if row is None:
        return HttpResponse(status=204)
    return _json(
        {
            "id": str(assignment_id),
            "project": str(project[1]),
            "item": {"id": str(row[2]), "payload": _loaded(row[5])},
            "status": "reserved",
            "created_at": _when(now),
            "expires_at": _when(expires_at),
        },
        201,
    )


@csrf_exempt
def answer(request: HttpRequest, public_id: str) -> HttpResponse:
    try:
        value = json.loads(request.body)["value"]
    except (ValueError, KeyError, TypeError):
        return _json({"errors": {"value": ["This field is required."]}}, 400)
    key = _uuid(public_id)
    with connection.cursor() as cursor:
        user_id = _pioneer(request, cursor)
        if user_id is None:
            return _json({"detail": "Sign in."}, 401)
        cursor.execute(ASSIGNMENT, [user_id, key])
        assignment = cursor.fetchone()
    if assignment is None:
        return _json({"detail": "No such assignment."}, 404)
    if value not in _loaded(assignment[6]):
        return _json({"errors": {"value": ["Choose one of the labels."]}}, 400)
    now = timezone.now()
    with psycopg.Cursor(connection.connection) as server_bound:
        server_bound.execute(
            answer_sql(),
            {
                "assignment": assignment[0],
                "pioneer": user_id,
                "project": assignment[4],
                "item": assignment[2],
                "value": Jsonb(value),
                "now": now,
                "points": assignment[7],
            },
        )
        row = server_bound.fetchone()
    if row is None:
        return _json({"detail": "This reservation cannot take an answer."}, 409)
    return _json({"assignment": str(assignment[1]), "value": value, "created_at": _when(now)}, 201)


urlpatterns = [
    path("bench/v1/projects/", feed),
    path("bench/v1/projects/<str:public_id>/next/", next_item),
    path("bench/v1/assignments/<str:public_id>/answer/", answer),
    *project_urlpatterns,
]
