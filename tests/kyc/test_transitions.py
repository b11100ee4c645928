"""Every move of a case goes through the one transition table, and every service runs in a
transaction of its own."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from core.errors import Conflict
from kyc.models import Case, CaseEvent, State
from kyc.services import cases, moderation, retention
from kyc.services.transitions import TRANSITIONS, case_lock, case_move

pytestmark = pytest.mark.django_db


def a_case(user: Any, state: str, **fields: Any) -> Case:
    today = timezone.now().date()
    return Case.objects.create(
        user=user,
        state=state,
        document_type="passport",
        surname="Wanjiku",
        given_names="Amina",
        birth_date=datetime.date(1990, 5, 17),
        nationality="KEN",
        issuing_state="KEN",
        document_number="AK1234567",
        expiry_date=today.replace(year=today.year + 5),
        submitted_at=timezone.now(),
        **fields,
    )


@pytest.mark.parametrize(
    ("state", "action", "body", "refusal"),
    [
        (State.IN_REVIEW, "submit", None, "cannot be submitted."),  # submitted twice
        (State.IN_REVIEW, "appeal", {"reason": "It is me."}, "cannot be appealed."),  # undecided
        (State.DRAFT, "claim", None, "cannot be claimed."),  # not submitted yet
        (
            State.DRAFT,
            "decide",
            {"decision": "approve", "reason_codes": ["documents_ok"]},
            "cannot be decided.",
        ),  # not submitted yet
        (State.APPROVED, "escalate", {"reason": "look"}, "cannot be escalated."),  # decided
    ],
)
def test_an_action_from_a_state_it_does_not_start_from_is_a_409_that_reads_right(
    user_factory: Any,
    moderator_api: Any,
    state: str,
    action: str,
    body: dict[str, Any] | None,
    refusal: str,
) -> None:
    pioneer = user_factory()
    case = a_case(pioneer, state)
    if action in {"submit", "appeal"}:
        client = APIClient()
        client.force_login(pioneer)
    else:
        client, _ = moderator_api()
    response = client.post(f"/api/v1/kyc/cases/{case.public_id}/{action}/", body, format="json")
    assert response.status_code == 409, response.content
    assert response.json()["detail"] == f"A case in state '{state}' {refusal}"
    assert Case.objects.get(pk=case.pk).state == state
    assert not CaseEvent.objects.filter(case=case).exists()


@pytest.mark.parametrize(
    ("state", "action", "to", "error"),
    [
        (State.APPROVED, "escalate", State.ESCALATED, Conflict),  # decided: no way back
        (State.SUBMITTED, "decide", State.APPROVED, Conflict),  # not checked yet
        (State.IN_REVIEW, "decide", State.SUBMITTED, ValueError),  # not a decision's outcome
        (State.IN_REVIEW, "claim", State.IN_REVIEW, ValueError),  # a claim moves nothing
    ],
)
def test_case_move_refuses_what_the_table_does_not_allow_and_records_nothing(
    user_factory: Any, state: str, action: str, to: str, error: type[Exception]
) -> None:
    case = a_case(user_factory(), state)
    with transaction.atomic(), pytest.raises(error):
        case_move(case=case_lock(case=case), action=action, to=to, actor=None)
    assert Case.objects.get(pk=case.pk).state == state
    assert not CaseEvent.objects.filter(case=case).exists()


def test_the_table_names_every_state_it_moves_to() -> None:
    reached = {target for transition in TRANSITIONS.values() for target in transition.targets}
    assert reached == set(State.values) - {State.DRAFT}


SERVICES: list[tuple[str, str, Callable[[Case, Any], object]]] = [
    ("update", State.DRAFT, lambda case, user: cases.case_update(case=case, user=user)),
    ("submit", State.DRAFT, lambda case, user: cases.case_submit(case=case, user=user)),
    ("run checks", State.SUBMITTED, lambda case, user: cases.case_run_checks(case=case)),
    (
        "appeal",
        State.REJECTED,
        lambda case, user: cases.case_appeal(case=case, user=user, reason="It is me."),
    ),
    ("claim", State.IN_REVIEW, lambda case, user: moderation.case_claim(case=case, moderator=user)),
    (
        "decide",
        State.IN_REVIEW,
        lambda case, user: moderation.case_decide(
            case=case, moderator=user, decision="approve", reason_codes=["documents_ok"]
        ),
    ),
    (
        "escalate",
        State.IN_REVIEW,
        lambda case, user: moderation.case_escalate(case=case, moderator=user, reason="look"),
    ),
    (
        "declare conflict",
        State.IN_REVIEW,
        lambda case, user: moderation.conflict_declare(case=case, reviewer=user, reason="x"),
    ),
    (
        "erase documents",
        State.APPROVED,
        lambda case, user: retention.documents_erase_on_request(case=case, user=user),
    ),
]


@pytest.mark.parametrize(("name", "state", "call"), SERVICES, ids=[s[0] for s in SERVICES])
def test_services_refuse_to_run_inside_another_transaction(
    user_factory: Any, name: str, state: str, call: Callable[[Case, Any], object]
) -> None:
    """A service's transaction is the whole change (guard, lock, change, record). Nested in
    a caller's, its row locks would be held, and its outcome decided, by code it cannot
    see; so it refuses at once."""
    user = user_factory(roles=[Role.PIONEER, Role.MODERATOR])
    case = a_case(user, state)
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        call(case, user)
    assert Case.objects.get(pk=case.pk).state == state
