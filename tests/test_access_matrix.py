"""Who may call what: every API endpoint x every role x own / foreign object, in one table.

The endpoints are read off the URL resolver: an endpoint (path and method) under
`/api/v1/` without a row fails `test_every_api_endpoint_has_rows`, so nothing ships
without saying who may call it. An endpoint that takes an object id needs an `own` and a
`foreign` row.

Columns, in `ROLES` order: anonymous; pioneer (identity not verified); verified pioneer;
validator (verified + validator); requester; moderator whose session used their
authenticator; moderator without a second factor. A cell is the expected status; `NA` where
the role cannot own such an object (nobody can own what an anonymous client asks about).

Objects: `<kind>:own` belongs to the caller, `<kind>:foreign` to someone else. Bodies are
valid, so an allowed caller gets its 2xx and a refusal is about access, not input.
"""

from __future__ import annotations

import datetime
import io
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.roles import Role
from community.models.workshops import Audience
from community.services import registrations as community_registrations
from community.services import workshops as community_workshops
from kyc.models import Case, CheckAssignment, Question, State
from kyc.services import documents as kyc_documents
from ledger import services as ledger_services
from reputation.models import ReputationScore, ReviewRing
from reputation.services.penalties import penalty_appeal, penalty_impose
from reputation.services.reviews import review_claim_next, review_request_create
from tasks.services.feed import item_claim_next
from tasks.services.items import items_upload
from tasks.services.projects import project_create, project_publish
from tests.conftest import UserFactory, sign_in_with_totp
from tests.kyc.conftest import case_fields, photo

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

ROLES = ("anon", "pioneer", "verified", "validator", "requester", "mod_mfa", "mod_nomfa")
NA = None


# A moderator acting on their own KYC case: refused, whatever their permissions.
SELF = 403

Cell = int | None


@dataclass(frozen=True)
class Row:
    method: str
    route: str  # as in the URL conf, below /api/v1/
    obj: str | None  # "<kind>:own|foreign", or None
    body: Any
    expected: tuple[Cell, ...]


def row(method: str, route: str, obj: str | None, body: Any, *expected: Cell) -> Row:
    assert len(expected) == len(ROLES), (method, route, obj)
    return Row(method, route, obj, body, expected)


CASE = "kyc/cases/<str:public_id>/"
PROJECT = "projects/<str:public_id>/"
ASSIGNMENT = "assignments/<str:public_id>/"
WORKSHOP = "workshops/<str:public_id>/"
REVIEW = "reviews/<str:public_id>/"
ROOM = "rooms/<str:slug>/"
DECISION = {"decision": "approve", "reason_codes": ["documents_ok"]}
REASON = {"reason": "Please look again: the photo is sharp."}
ITEMS = [{"payload": {"text": "one more"}}]
PENALTY = "reputation/penalties/<str:public_id>/"
APPEAL = {"text": "I answered every item myself."}
OVERTURN = {"decision": "overturned", "note": "The answers were the person's own."}
RING = "reputation/rings/<str:public_id>/"
RING_NOTE = {"note": "They accept only each other's work."}

# fmt: off
MATRIX: list[Row] = [
    # method   route                               object               body
    #                                     anon pioneer verified validator requester mod_mfa mod_nomfa
    row("GET", "me/", None, None,          401, 200, 200, 200, 200, 200, 200),
    row("PATCH", "me/", None, {"display_name": "Matrix"},
                                           401, 200, 200, 200, 200, 200, 200),
    # Notifications: everyone signed in has their own, and sees and marks only those
    # (ids of someone else's mark nothing: tests/accounts/test_notifications_api.py).
    row("GET", "notifications/", None, None,  401, 200, 200, 200, 200, 200, 200),
    row("POST", "notifications/read/", None, {"all": True},
                                              401, 200, 200, 200, 200, 200, 200),
    row("GET", "notifications/settings/", None, None,
                                              401, 200, 200, 200, 200, 200, 200),
    row("PATCH", "notifications/settings/", None, {"email": {"chat.mention": False}},
                                              401, 200, 200, 200, 200, 200, 200),
    # The log is public: no account needed, every role alike.
    row("GET", "ledger/sth/", None, None,  200, 200, 200, 200, 200, 200, 200),
    row("GET", "ledger/heads/", None, None, 200, 200, 200, 200, 200, 200, 200),
    row("GET", "ledger/entries/?start=0&end=1", None, None,
                                           200, 200, 200, 200, 200, 200, 200),
    row("GET", "ledger/proof/inclusion/?index=0&tree_size=1", None, None,
                                           200, 200, 200, 200, 200, 200, 200),
    row("GET", "ledger/proof/consistency/?first=1&second=1", None, None,
                                           200, 200, 200, 200, 200, 200, 200),
    # KYC, the pioneer's side. Verified people need no case (409); every KYC endpoint
    # refuses a moderator without a second factor.
    row("POST", "kyc/cases/", None, "case", 401, 201, 409, 409, 201, 201, 403),
    row("GET", CASE, "review_case:own", None,     NA, 200, 200, 200, 200, 200, 403),
    row("GET", CASE, "review_case:foreign", None, 401, 404, 404, 404, 404, 200, 403),
    row("PATCH", CASE, "draft_case:own", {"surname": "Otieno"},
                                                  NA, 200, 200, 200, 200, 200, 403),
    row("PATCH", CASE, "draft_case:foreign", {"surname": "Otieno"},
                                                  401, 404, 404, 404, 404, 403, 403),
    row("POST", CASE + "documents/", "draft_case:own", "document",
                                                  NA, 201, 201, 201, 201, 201, 403),
    row("POST", CASE + "documents/", "draft_case:foreign", "document",
                                                  401, 404, 404, 404, 404, 403, 403),
    row("POST", CASE + "submit/", "draft_case:own", None,
                                                  NA, 200, 200, 200, 200, 200, 403),
    row("POST", CASE + "submit/", "draft_case:foreign", None,
                                                  401, 404, 404, 404, 404, 403, 403),
    row("POST", CASE + "appeal/", "rejected_case:own", REASON,
                                                  NA, 200, 200, 200, 200, 200, 403),
    row("POST", CASE + "appeal/", "rejected_case:foreign", REASON,
                                                  401, 404, 404, 404, 404, 403, 403),
    row("GET", "kyc/me/data/", None, None,    401, 200, 200, 200, 200, 200, 403),
    row("DELETE", "kyc/me/data/", None, None, 401, 200, 200, 200, 200, 200, 403),
    # KYC, the moderator's side: nobody reviews their own case.
    row("GET", "kyc/queue/", None, None,      401, 403, 403, 403, 403, 200, 403),
    row("GET", "kyc/sla/", None, None,        401, 403, 403, 403, 403, 200, 403),
    row("POST", CASE + "claim/", "review_case:own", None,
                                                  NA, 403, 403, 403, 403, SELF, 403),
    row("POST", CASE + "claim/", "review_case:foreign", None,
                                                  401, 403, 403, 403, 403, 200, 403),
    row("POST", CASE + "decide/", "claimed_case:own", DECISION,
                                                  NA, 403, 403, 403, 403, SELF, 403),
    row("POST", CASE + "decide/", "claimed_case:foreign", DECISION,
                                                  401, 403, 403, 403, 403, 200, 403),
    row("POST", CASE + "escalate/", "claimed_case:own", REASON,
                                                  NA, 403, 403, 403, 403, SELF, 403),
    row("POST", CASE + "escalate/", "claimed_case:foreign", REASON,
                                                  401, 403, 403, 403, 403, 200, 403),
    # Declaring a conflict of interest: moderators on a case, never their own.
    row("POST", CASE + "conflict/", "review_case:own", REASON,
                                                  NA, 403, 403, 403, 403, 409, 403),
    row("POST", CASE + "conflict/", "review_case:foreign", REASON,
                                                  401, 403, 403, 403, 403, 204, 403),
    # KYC, the validators' redacted checks: never one about yourself, only one handed to you.
    row("GET", "kyc/checks/next/", "review_case:foreign", None,
                                                  401, 403, 403, 200, 403, 403, 403),
    row("POST", "kyc/checks/<str:check_id>/vote/", "check:own", {"answer": True},
                                                  NA, 403, 403, 404, 403, 403, 403),
    row("POST", "kyc/checks/<str:check_id>/vote/", "check:foreign", {"answer": True},
                                                  401, 403, 403, 201, 403, 403, 403),
    row("POST", "kyc/checks/<str:check_id>/conflict/", "check:own", REASON,
                                                  NA, 403, 403, 404, 403, 403, 403),
    row("POST", "kyc/checks/<str:check_id>/conflict/", "check:foreign", REASON,
                                                  401, 403, 403, 204, 403, 403, 403),
    # Tasks: verified pioneers work the feed; a requester's project is theirs alone, and
    # anyone else's looks like no project at all.
    row("GET", "projects/", None, None,       401, 403, 200, 200, 403, 403, 403),
    row("POST", "projects/", None, {"title": "Matrix", "kind": "single_label", "labels": ["a", "b"]},
                                              401, 403, 403, 403, 201, 403, 403),
    row("GET", PROJECT, "draft_project:own", None,   NA, NA, NA, NA, 200, NA, NA),
    row("GET", PROJECT, "live_project:foreign", None, 401, 403, 200, 200, 403, 403, 403),
    row("PATCH", PROJECT, "draft_project:own", {"title": "Renamed"},
                                                     NA, NA, NA, NA, 200, NA, NA),
    row("PATCH", PROJECT, "draft_project:foreign", {"title": "Renamed"},
                                                     401, 404, 404, 404, 404, 404, 404),
    row("POST", PROJECT + "publish/", "draft_project:own", None,
                                                     NA, NA, NA, NA, 200, NA, NA),
    row("POST", PROJECT + "publish/", "draft_project:foreign", None,
                                                     401, 404, 404, 404, 404, 404, 404),
    row("POST", PROJECT + "pause/", "live_project:own", None,
                                                     NA, NA, NA, NA, 200, NA, NA),
    row("POST", PROJECT + "pause/", "live_project:foreign", None,
                                                     401, 404, 404, 404, 404, 404, 404),
    row("POST", PROJECT + "close/", "live_project:own", None,
                                                     NA, NA, NA, NA, 200, NA, NA),
    row("POST", PROJECT + "close/", "live_project:foreign", None,
                                                     401, 404, 404, 404, 404, 404, 404),
    row("POST", PROJECT + "items/", "draft_project:own", "items",
                                                     NA, NA, NA, NA, 201, NA, NA),
    row("POST", PROJECT + "items/", "draft_project:foreign", "items",
                                                     401, 404, 404, 404, 404, 404, 404),
    # A requester does not work their own project (nor anyone's).
    row("POST", PROJECT + "next/", "live_project:own", None,
                                                     NA, NA, NA, NA, 403, NA, NA),
    row("POST", PROJECT + "next/", "live_project:foreign", None,
                                                     401, 403, 201, 201, 403, 403, 403),
    row("GET", PROJECT + "results/", "live_project:own", None,
                                                     NA, NA, NA, NA, 200, NA, NA),
    row("GET", PROJECT + "results/", "live_project:foreign", None,
                                                     401, 404, 404, 404, 404, 404, 404),
    row("POST", PROJECT + "export/?format=jsonl", "live_project:own", None,
                                                     NA, NA, NA, NA, 200, NA, NA),
    row("POST", PROJECT + "export/?format=jsonl", "live_project:foreign", None,
                                                     401, 404, 404, 404, 404, 404, 404),
    row("POST", ASSIGNMENT + "answer/", "assignment:own", {"value": "cat"},
                                                     NA, NA, 201, 201, NA, NA, NA),
    row("POST", ASSIGNMENT + "answer/", "assignment:foreign", {"value": "cat"},
                                                     401, 404, 404, 404, 404, 404, 404),
    row("POST", ASSIGNMENT + "skip/", "assignment:own", None,
                                                     NA, NA, 200, 200, NA, NA, NA),
    row("POST", ASSIGNMENT + "skip/", "assignment:foreign", None,
                                                     401, 404, 404, 404, 404, 404, 404),
    row("GET", "credits/", None, None,        401, 200, 200, 200, 200, 200, 200),
    # Workshops: moderators (and level-4 members) host; anyone signed in sees published
    # ones; only hosts and moderators manage one; a registration is its holder's alone.
    row("GET", "workshops/", None, None,     401, 200, 200, 200, 200, 200, 200),
    row("POST", "workshops/", None, "workshop",
                                             401, 403, 403, 403, 403, 201, 201),
    row("GET", WORKSHOP, "workshop:own", None,        NA, NA, NA, NA, NA, 200, 200),
    row("GET", WORKSHOP, "workshop:foreign", None,    401, 200, 200, 200, 200, 200, 200),
    row("GET", WORKSHOP, "draft_workshop:foreign", None,
                                                      401, 404, 404, 404, 404, 200, 200),
    row("PATCH", WORKSHOP, "draft_workshop:own", {"title": "Renamed"},
                                                      NA, NA, NA, NA, NA, 200, 200),
    row("PATCH", WORKSHOP, "workshop:foreign", {"title": "Renamed"},
                                                      401, 403, 403, 403, 403, 200, 200),
    row("POST", WORKSHOP + "publish/", "draft_workshop:own", None,
                                                      NA, NA, NA, NA, NA, 200, 200),
    row("POST", WORKSHOP + "publish/", "draft_workshop:foreign", None,
                                                      401, 404, 404, 404, 404, 200, 200),
    row("POST", WORKSHOP + "cancel/", "workshop:own", {"message": "Sorry, ill."},
                                                      NA, NA, NA, NA, NA, 200, 200),
    row("POST", WORKSHOP + "cancel/", "workshop:foreign", {"message": "Sorry, ill."},
                                                      401, 403, 403, 403, 403, 200, 200),
    # Hosts keep their place without registering.
    row("POST", WORKSHOP + "registration/", "workshop:own", None,
                                                      NA, NA, NA, NA, NA, 400, 400),
    row("POST", WORKSHOP + "registration/", "workshop:foreign", None,
                                                      401, 201, 201, 201, 201, 201, 201),
    row("DELETE", WORKSHOP + "registration/", "registered_workshop:own", None,
                                                      NA, 200, 200, 200, 200, 200, 200),
    row("DELETE", WORKSHOP + "registration/", "registered_workshop:foreign", None,
                                                      401, 404, 404, 404, 404, 404, 404),
    row("POST", WORKSHOP + "registration/accept/", "offered_workshop:own", None,
                                                      NA, 200, 200, 200, 200, 200, 200),
    row("POST", WORKSHOP + "registration/accept/", "offered_workshop:foreign", None,
                                                      401, 404, 404, 404, 404, 404, 404),
    row("POST", WORKSHOP + "registration/decline/", "offered_workshop:own", None,
                                                      NA, 200, 200, 200, 200, 200, 200),
    row("POST", WORKSHOP + "registration/decline/", "offered_workshop:foreign", None,
                                                      401, 404, 404, 404, 404, 404, 404),
    row("GET", WORKSHOP + "attendees/", "workshop:own", None,
                                                      NA, NA, NA, NA, NA, 200, 200),
    row("GET", WORKSHOP + "attendees/", "workshop:foreign", None,
                                                      401, 403, 403, 403, 403, 200, 200),
    row("POST", WORKSHOP + "attendance/", "started_workshop:own", "attendance",
                                                      NA, NA, NA, NA, NA, 200, 200),
    row("POST", WORKSHOP + "attendance/", "started_workshop:foreign", "attendance",
                                                      401, 403, 403, 403, 403, 200, 200),
    row("GET", WORKSHOP + "calendar.ics", "workshop:own", None,
                                                      NA, NA, NA, NA, NA, 200, 200),
    row("GET", WORKSHOP + "calendar.ics", "workshop:foreign", None,
                                                      401, 200, 200, 200, 200, 200, 200),
    # The subscription feed answers whoever holds its secret, and only them.
    row("GET", "me/calendar.ics?token=not-a-token", None, None,
                                                      404, 404, 404, 404, 404, 404, 404),
    row("POST", "me/calendar/", None, None,   401, 201, 201, 201, 201, 201, 201),
    row("DELETE", "me/calendar/", None, None, 401, 204, 204, 204, 204, 204, 204),
    row("GET", "earnings/", None, None,       401, 200, 200, 200, 200, 200, 200),
    # Reputation: the feed, its batches and the scores are public, for outside recomputation.
    row("GET", "reputation/events/?after=0", None, None,
                                                     200, 200, 200, 200, 200, 200, 200),
    row("GET", "reputation/batches/", None, None,    200, 200, 200, 200, 200, 200, 200),
    row("GET", "reputation/scores/", None, None,     200, 200, 200, 200, 200, 200, 200),
    row("GET", "reputation/me/", None, None,         401, 200, 200, 200, 200, 200, 200),
    # Penalties: moderators (after their second factor) impose them and decide appeals,
    # never on themselves; the penalised person alone appeals.
    row("POST", "reputation/penalties/", None, "penalty",
                                                     401, 403, 403, 403, 403, 201, 403),
    row("POST", PENALTY + "appeal/", "penalty:own", APPEAL,
                                                     NA, 200, 200, 200, 200, 200, 200),
    row("POST", PENALTY + "appeal/", "penalty:foreign", APPEAL,
                                                     401, 404, 404, 404, 404, 404, 404),
    row("POST", PENALTY + "decide/", "appealed_penalty:own", OVERTURN,
                                                     NA, 403, 403, 403, 403, SELF, 403),
    row("POST", PENALTY + "decide/", "appealed_penalty:foreign", OVERTURN,
                                                     401, 403, 403, 403, 403, 200, 403),
    # Flagged review rings: moderators (after their second factor) see and decide them,
    # never a ring they are a member of.
    row("GET", "reputation/rings/", None, None,      401, 403, 403, 403, 403, 200, 403),
    row("POST", RING + "clear/", "ring:own", None,   NA, 403, 403, 403, 403, SELF, 403),
    row("POST", RING + "clear/", "ring:foreign", None,
                                                     401, 403, 403, 403, 403, 200, 403),
    row("POST", RING + "penalise/", "ring:own", RING_NOTE,
                                                     NA, 403, 403, 403, 403, SELF, 403),
    row("POST", RING + "penalise/", "ring:foreign", RING_NOTE,
                                                     401, 403, 403, 403, 403, 200, 403),
    # Peer review opens at reputation level 2, whatever the role; nobody here has it.
    row("GET", "reviews/next/", None, None,   401, 403, 403, 403, 403, 403, 403),
    # A review handed to the caller (raised to level 2 for it); one handed to someone else
    # is refused to a level-1 caller before it is looked up.
    row("POST", REVIEW, "review:own", {"accept": True},
                                                     NA, 201, 201, 201, 201, 201, 201),
    row("POST", REVIEW, "review:foreign", {"accept": True},
                                                     401, 403, 403, 403, 403, 403, 403),
    # Chat: "own" is a room the caller belongs to (the lounge), "foreign" a workshop's room
    # they have no seat in: it looks like no room at all, except to moderators. Posting
    # needs identity verification (moderators are staff and post without it).
    row("GET", "rooms/", None, None,          401, 200, 200, 200, 200, 200, 200),
    row("GET", ROOM + "messages/", "room:own", None,
                                              NA, 200, 200, 200, 200, 200, 200),
    row("GET", ROOM + "messages/", "room:foreign", None,
                                              401, 404, 404, 404, 404, 200, 200),
    row("POST", ROOM + "messages/", "room:own", {"body": "hello"},
                                              NA, 403, 201, 201, 403, 201, 201),
    row("POST", ROOM + "messages/", "room:foreign", {"body": "hello"},
                                              401, 404, 404, 404, 404, 201, 201),
]
# fmt: on


# --- the endpoints the URL conf serves -------------------------------------------------

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def api_endpoints() -> set[tuple[str, str]]:
    """(METHOD, route below /api/v1/) of every API view, read off the URL resolver."""
    found: set[tuple[str, str]] = set()

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("api/v1/"):
                view_class = getattr(pattern.callback, "view_class", None)
                assert view_class is not None, f"{route}: API views are classes"
                for method in HTTP_METHODS:
                    if hasattr(view_class, method):
                        found.add((method.upper(), route.removeprefix("api/v1/")))

    walk(get_resolver().url_patterns, "")
    return found


def _route(row: Row) -> str:
    return row.route.split("?")[0]


def test_every_api_endpoint_has_rows() -> None:
    served = api_endpoints()
    tabled = {(r.method, _route(r)) for r in MATRIX}
    assert served - tabled == set(), "endpoints without a row in MATRIX"
    assert tabled - served == set(), "rows for endpoints that no longer exist"
    for method, route in served:
        if "<" not in route:
            continue
        owners = {
            r.obj.split(":")[1]
            for r in MATRIX
            if (r.method, _route(r)) == (method, route) and r.obj
        }
        assert owners == {"own", "foreign"}, f"{method} {route} needs an own and a foreign row"


# --- the people and the objects ---------------------------------------------------------


@dataclass
class World:
    user_factory: Any
    actor: User | None
    registration: str = ""

    def person(self, role: str) -> User:
        make = self.user_factory
        return {
            "pioneer": lambda: make(),
            "verified": lambda: make(verified=True),
            "validator": lambda: make(roles=[Role.PIONEER, Role.VALIDATOR], verified=True),
            "requester": lambda: make(roles=[Role.REQUESTER]),
            "mod_mfa": lambda: make(roles=[Role.MODERATOR], totp=True),
            "mod_nomfa": lambda: make(roles=[Role.MODERATOR]),
        }[role]()

    def owner(self, ownership: str, other: str) -> User:
        if ownership == "own":
            assert self.actor is not None
            return self.actor
        return self.person(other)

    def case(self, owner: User, state: str, **fields: Any) -> Case:
        values = case_fields()
        for name in ("birth_date", "expiry_date"):
            values[name] = datetime.date.fromisoformat(values[name])
        return Case.objects.create(user=owner, state=state, **values, **fields)

    def build(self, spec: str) -> str:
        kind, ownership = spec.split(":")
        now = timezone.now()
        if kind == "draft_case":
            case = self.case(self.owner(ownership, "pioneer"), State.DRAFT)
            for doc in ("id_front", "selfie"):
                kyc_documents.document_upload(case=case, user=case.user, kind=doc, upload=_upload())
            return str(case.public_id)
        if kind == "review_case":
            owner = self.owner(ownership, "pioneer")
            return str(self.case(owner, State.IN_REVIEW, submitted_at=now).public_id)
        if kind == "claimed_case":
            owner = self.owner(ownership, "pioneer")
            case = self.case(
                owner,
                State.IN_REVIEW,
                submitted_at=now,
                claimed_by=self.actor,
                claim_expires_at=now + datetime.timedelta(minutes=10),
            )
            return str(case.public_id)
        if kind == "rejected_case":
            owner = self.owner(ownership, "pioneer")
            case = self.case(
                owner, State.REJECTED, submitted_at=now, decided_at=now,
                decided_by=self.person("mod_mfa"), reason_codes=["document_unreadable"],
            )  # fmt: skip
            return str(case.public_id)
        if kind == "check":
            # A check is an assignment handed to one validator; none is ever handed out
            # about the validator themselves, so "own" is an id nobody was given.
            owner = self.owner(ownership, "pioneer")
            case = self.case(owner, State.IN_REVIEW, submitted_at=now)
            if (
                ownership == "own"
                or self.actor is None
                or not self.actor.has_perm("accounts.vote_kyc_checks")
            ):
                return str(uuid.uuid4())
            assignment = CheckAssignment.objects.create(
                case=case,
                validator=self.actor,
                question=Question.values[0],
                expires_at=now + datetime.timedelta(minutes=10),
            )
            return str(assignment.public_id)
        if kind in {"draft_project", "live_project"}:
            project = project_create(
                owner=self.owner(ownership, "requester"),
                title="Animals",
                kind="single_label",
                labels=["cat", "dog"],
            )
            body = io.BytesIO(
                json.dumps([{"payload": {"text": f"item {n}"}} for n in range(3)]).encode()
            )
            items_upload(project=project, actor=project.owner, stream=body, fmt="json")
            if kind == "live_project":
                project = project_publish(project=project, actor=project.owner)
            return str(project.public_id)
        if kind == "assignment":
            project = project_create(
                owner=self.person("requester"), title="Animals", kind="single_label",
                labels=["cat", "dog"],
            )  # fmt: skip
            body = io.BytesIO(b'[{"payload": {"text": "item"}}]')
            items_upload(project=project, actor=project.owner, stream=body, fmt="json")
            project = project_publish(project=project, actor=project.owner)
            claim = item_claim_next(project=project, pioneer=self.owner(ownership, "verified"))
            assert claim is not None
            return str(claim.assignment.public_id)
        if kind.endswith("workshop"):
            return self.workshop(kind, ownership)
        if kind in {"penalty", "appealed_penalty"}:
            owner = self.owner(ownership, "pioneer")
            penalty = penalty_impose(
                moderator=self.person("mod_mfa"),
                user=owner,
                reason="copied",
                explanation="The answers match another account's word for word.",
            )
            if kind == "appealed_penalty":
                penalty = penalty_appeal(user=owner, penalty=penalty, text="They are mine.")
            return str(penalty.public_id)
        if kind == "review":
            request = review_request_create(
                subject=f"matrix.work:{uuid.uuid4()}", author=self.person("verified"),
                context={"title": "Matrix", "item": {}, "answer": "yes"},
            )  # fmt: skip
            reviewer = self.owner(ownership, "verified")
            ReputationScore.objects.update_or_create(
                user=reviewer, defaults={"level": 2, "score": 0.7, "total": 30, "positive": 27}
            )
            claim = review_claim_next(reviewer=reviewer)
            assert claim is not None
            assert claim.assignment.request_id == request.pk
            if ownership == "foreign":
                ReputationScore.objects.filter(user=reviewer).update(level=1)
            return str(claim.assignment.public_id)
        if kind == "ring":
            members = [self.owner(ownership, "verified"), self.person("verified")]
            ring = ReviewRing.objects.create(
                key="-".join(str(member.pk) for member in sorted(members, key=lambda m: m.pk)),
                evidence={"window_days": 30, "favours": []},
            )
            ring.members.set(members)
            return str(ring.public_id)
        if kind == "room":
            if ownership == "own":
                return "lounge"
            workshop = community_workshops.workshop_create(
                actor=self.person("mod_mfa"),
                title="Matrix",
                starts_at=now + datetime.timedelta(days=3),
                ends_at=now + datetime.timedelta(days=3, hours=1),
                capacity=5,
                online_url="https://meet.example.com/matrix",
                chat_enabled=True,
                publish=True,
            )
            return workshop.chat_room.slug
        raise AssertionError(f"unknown object kind {kind}")

    def workshop(self, kind: str, ownership: str) -> str:
        """A workshop open to everyone signed in, hosted by the actor (own) or by another
        moderator; "registered", "offered" and "started" say where the actor's (own) or a
        stranger's (foreign) registration stands."""
        now = timezone.now()
        hosted = kind in {"workshop", "draft_workshop", "started_workshop"}
        host = self.owner(ownership, "mod_mfa") if hosted else self.person("mod_mfa")
        starts_at = now + datetime.timedelta(
            minutes=30 if kind == "started_workshop" else 10 * 24 * 60
        )
        workshop = community_workshops.workshop_create(
            actor=host,
            title="Matrix workshop",
            starts_at=starts_at,
            ends_at=starts_at + datetime.timedelta(hours=2),
            capacity=1 if kind == "offered_workshop" else 10,
            online_url="https://meet.example.com/matrix",
            audience=Audience.SIGNED_IN,
            publish=kind != "draft_workshop",
        )
        holder = self.actor if ownership == "own" and not hosted else self.person("pioneer")
        if kind in {"registered_workshop", "started_workshop"}:
            assert holder is not None
            registration = community_registrations.registration_create(
                workshop=workshop, user=holder
            ).registration
            self.registration = str(registration.public_id)
        if kind == "offered_workshop":
            assert holder is not None
            first = self.person("pioneer")
            seat = community_registrations.registration_create(workshop=workshop, user=first)
            community_registrations.registration_create(workshop=workshop, user=holder)
            community_registrations.registration_cancel(registration=seat.registration, user=first)
        return str(workshop.public_id)


def _upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("photo.jpg", photo(), content_type="image/jpeg")


def _client(role: str, actor: User | None) -> APIClient:
    client = APIClient()
    if role == "mod_mfa":
        assert actor is not None
        return sign_in_with_totp(client, actor)
    if actor is not None:
        client.force_login(actor)
    return client


def _send(client: APIClient, method: str, url: str, body: Any, world: World) -> Any:
    call: Callable[..., Any] = getattr(client, method.lower())
    if body is None:
        return call(url)
    if body == "case":
        return call(url, case_fields(), format="json")
    if body == "document":
        return call(url, {"kind": "id_back", "file": _upload()}, format="multipart")
    if body == "workshop":
        starts_at = timezone.now() + datetime.timedelta(days=10)
        workshop = {
            "title": "Matrix workshop",
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + datetime.timedelta(hours=2)).isoformat(),
            "capacity": 10,
            "online_url": "https://meet.example.com/matrix",
        }
        return call(url, workshop, format="json")
    if body == "attendance":
        return call(
            url, {"registration": world.registration, "attendance": "attended"}, format="json"
        )
    if body == "penalty":
        person = UserFactory()
        body = {"person": str(person.public_id), "reason": "low_effort", "explanation": "Random."}
        return call(url, body, format="json")
    if body == "items":
        return call(url, json.dumps(ITEMS), content_type="application/json")
    return call(url, body, format="json")


def _cases() -> list[Any]:
    cases = []
    for r in MATRIX:
        for role, expected in zip(ROLES, r.expected, strict=True):
            if expected is NA:
                continue
            name = f"{r.method} {r.route} {r.obj or ''} {role}".replace("<str:", "<")
            cases.append(pytest.param(r, role, expected, id=name))
    return cases


@pytest.mark.parametrize(("r", "role", "expected"), _cases())
def test_access(
    user_factory: Any,
    settings: Any,
    tmp_path: Any,
    r: Row,
    role: str,
    expected: Cell,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    if r.route.startswith("ledger/"):
        # A published head over one leaf, so the public endpoints have something to show.
        ledger_services.tree_head_publish()
    world = World(user_factory, None)
    world.actor = None if role == "anon" else world.person(role)
    route = r.route
    if r.obj:
        object_id = world.build(r.obj)
        for name in ("<str:public_id>", "<str:check_id>", "<str:slug>"):
            route = route.replace(name, object_id)
    client = _client(role, world.actor)

    response = _send(client, r.method, f"/api/v1/{route}", r.body, world)

    assert response.status_code == expected, getattr(response, "data", response.content)
