"""The role dashboard: where a pioneer's case stands and what to do next, a moderator's
queue and claims, a validator's checks and accuracy, a requester's projects; in a number
of queries that does not grow with rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.roles import Role
from dashboard.standing import case_standing
from kyc.models import State, ValidatorVote
from support.models import ContactMessage

pytestmark = pytest.mark.django_db


def dashboard(person: Any, max_queries: Any = None, limit: int = 0) -> str:
    client = Client()
    client.force_login(person)
    if max_queries is None:
        response = client.get("/dashboard/")
    else:
        with max_queries(limit):
            response = client.get("/dashboard/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("state", "label", "next_step"),
    [
        (None, "Identity not verified yet", "Start identity verification"),
        (State.DRAFT, "Identity not verified yet", "Finish and submit your case"),
        (State.SUBMITTED, "Identity checks running", ""),  # nothing to do while checks run
        (State.CHECKING, "Identity checks running", ""),
        (State.IN_REVIEW, "Identity in review", ""),
        (State.ESCALATED, "Identity in review", ""),  # who reviews is not the pioneer's concern
        (State.APPEALED, "Appeal in review", ""),
        (State.RESUBMISSION_REQUESTED, "Action needed", "Fix your case and submit it again"),
        (State.REJECTED, "Identity not approved", "Appeal the decision"),
        (State.APPROVED, "Identity verified", ""),
    ],
)
def test_every_state_reads_in_words_with_its_next_step(
    state: str | None, label: str, next_step: str
) -> None:
    standing = case_standing(state=state)
    assert (standing.label, standing.next_step) == (label, next_step)
    assert bool(standing.next_url) == bool(next_step)


def test_returned_case_says_what_to_fix(user: Any, make_case: Any) -> None:
    make_case(
        user,
        State.RESUBMISSION_REQUESTED,
        resubmission_reasons="The photo of the document is blurred.",
    )
    page = dashboard(user)
    assert "Action needed: The photo of the document is blurred." in page
    assert 'href="/kyc/">Fix your case and submit it again' in page


def test_submitted_case_is_in_review_not_a_todo(user: Any, make_case: Any) -> None:
    make_case(user, State.IN_REVIEW, submitted_at=timezone.now() - timedelta(hours=3))
    page = dashboard(user)
    assert 'data-testid="verification-state">Identity in review' in page
    assert "Nothing to do for now" in page
    assert "Submitted 3" in page
    # The checklist shows the step as started, not as something to begin.
    assert '<span class="badge">identity in review</span>' in page


def test_rejected_case_names_the_reasons_in_words(user: Any, make_case: Any) -> None:
    make_case(user, State.REJECTED, reason_codes=["document_expired"])
    page = dashboard(user)
    assert "Your case was not approved: The document has expired." in page
    assert "Appeal the decision" in page


def test_pioneer_sees_their_work_in_fixed_queries(
    user_factory: Any,
    make_project: Any,
    work: Any,
    django_assert_max_num_queries: Any,
) -> None:
    pioneer = user_factory(verified=True)
    few = dashboard(pioneer, django_assert_max_num_queries, 17)
    assert 'data-testid="points">0' in few
    for number in range(4):
        project = make_project(title=f"P{number}", items=3, reward=2)
        work(project, pioneer, 3)
    page = dashboard(pioneer, django_assert_max_num_queries, 17)
    assert 'data-testid="points">24' in page
    assert '12</span><span class="stat-label">answers submitted' in page
    assert "Open the task feed" in page


def test_moderator_sees_queue_oldest_sla_and_claims_in_fixed_queries(
    user_factory: Any, make_case: Any, django_assert_max_num_queries: Any
) -> None:
    moderator = user_factory(roles=[Role.MODERATOR], verified=True)
    now = timezone.now()
    for hours in (5, 30, 2):
        make_case(user_factory(), State.IN_REVIEW, submitted_at=now - timedelta(hours=hours))
    claimed = make_case(
        user_factory(),
        State.ESCALATED,
        submitted_at=now - timedelta(hours=1),
        claimed_by=moderator,
        claim_expires_at=now + timedelta(minutes=20),
    )
    make_case(  # decided: counts in the SLA figures, not in the queue
        user_factory(),
        State.APPROVED,
        submitted_at=now - timedelta(hours=10),
        decided_at=now - timedelta(hours=6),
    )
    ContactMessage.objects.create(topic="other", body="hi", reply_to="a@example.org")
    page = dashboard(moderator, django_assert_max_num_queries, 21)
    assert 'data-testid="queue-size">4' in page
    assert "1\xa0day, 6\xa0hours" in page  # the case submitted 30 hours ago
    assert "4.0 h" in page  # median time to a decision
    assert f"/kyc/review/{claimed.public_id}/" in page
    assert "Contact messages (1 open)" in page
    for _ in range(10):
        make_case(user_factory(), State.IN_REVIEW, submitted_at=now)
    dashboard(moderator, django_assert_max_num_queries, 21)


def test_validator_sees_pending_checks_and_accuracy(
    user_factory: Any, make_case: Any, settings: Any, django_assert_max_num_queries: Any
) -> None:
    settings.KYC_VALIDATOR_VOTES = 2
    validator = user_factory(roles=[Role.PIONEER, Role.VALIDATOR], verified=True)
    open_case = make_case(user_factory(), State.IN_REVIEW, submitted_at=timezone.now())
    make_case(user_factory(), State.IN_REVIEW, submitted_at=timezone.now(), risk_flags=["x"])
    # Two questions on the open case; the flagged case goes to a moderator, not validators.
    decided = [make_case(user_factory(), State.APPROVED, identity_hash=f"h{n}") for n in range(4)]
    for number, case in enumerate(decided):
        ValidatorVote.objects.create(
            case=case,
            validator=validator,
            question="selfie_matches_document",
            answer=True,
            agreed_with_decision=number < 3,
        )
    ValidatorVote.objects.create(
        case=open_case, validator=validator, question="selfie_matches_document", answer=True
    )
    page = dashboard(validator, django_assert_max_num_queries, 23)
    assert 'data-testid="pending-checks">1' in page  # the other question of the open case
    assert 'data-testid="accuracy">75%' in page
    assert "3 of 4 decided" in page


def test_requester_sees_each_projects_progress(
    requester: Any,
    make_project: Any,
    work: Any,
    user_factory: Any,
    django_assert_max_num_queries: Any,
) -> None:
    pioneer = user_factory(verified=True)
    project = make_project(title="Birds", items=4)
    work(project, pioneer, 3)
    make_project(title="Cats", items=2)
    page = dashboard(requester, django_assert_max_num_queries, 15)
    for shown in ("Birds", "Cats", "3 of 4", "0 of 2"):
        assert shown in page
    for number in range(6):
        make_project(title=f"More {number}", items=1)
    dashboard(requester, django_assert_max_num_queries, 15)


def test_staff_and_requesters_are_not_asked_to_verify_their_identity(
    requester: Any, user_factory: Any
) -> None:
    moderator = user_factory(roles=[Role.MODERATOR])
    for person in (requester, moderator):
        page = dashboard(person)
        assert 'data-testid="identity-case"' not in page
        assert "Verify your identity" not in page
        assert "Turn on two-factor authentication" in page


def test_someone_elses_projects_and_roles_do_not_show(
    user: Any, make_project: Any, user_factory: Any
) -> None:
    make_project(title="Secret project")
    page = dashboard(user)
    for absent in ("Secret project", 'data-testid="moderation"', 'data-testid="validator"'):
        assert absent not in page


def test_dashboard_needs_sign_in(client: Client) -> None:
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_every_role_at_once_in_fixed_queries(user: Any, django_assert_max_num_queries: Any) -> None:
    from accounts.services.users import user_grant_role

    for role in Role:
        user_grant_role(user=user, role=role)
    page = dashboard(user, django_assert_max_num_queries, 24)
    assert "Identity not verified yet" in page
    for role in Role:
        assert f'<span class="badge">{role.value}</span>' in page
    for panel in ("identity-case", "work", "moderation", "validator", "projects"):
        assert f'data-testid="{panel}"' in page
