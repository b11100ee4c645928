"""Nobody reviews their own identity case or the case of someone they have a recorded
conflict with: not by API, not by page, not as a moderator and not as a validator."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from kyc.models import Case, CaseEvent, DocumentAccess, State, ValidatorVote
from ledger.models import Leaf
from tests.conftest import pages_client
from tests.kyc.conftest import submitted_case

pytestmark = pytest.mark.django_db

APPROVE = {"decision": "approve", "reason_codes": ["documents_ok"]}


@pytest.fixture
def moderator_with_own_case(
    moderator_api: Any, django_capture_on_commit_callbacks: Any
) -> tuple[APIClient, Any, str]:
    """A moderator who is also a pioneer waiting for their own identity review."""
    client, moderator = moderator_api()
    case_id = submitted_case(client, django_capture_on_commit_callbacks, document_number="MOD00001")
    assert Case.objects.get(public_id=case_id).state == State.IN_REVIEW
    return client, moderator, case_id


@pytest.fixture
def someone_elses_case(user_factory: Any, django_capture_on_commit_callbacks: Any) -> str:
    client = APIClient()
    client.force_login(user_factory())
    return submitted_case(client, django_capture_on_commit_callbacks, document_number="OTH00001")


def smuggle_claim(case_id: str, moderator: Any) -> None:
    """A claim that did not come through the service, so deciding is refused for who is
    deciding and not merely for lacking a claim."""
    Case.objects.filter(public_id=case_id).update(
        claimed_by=moderator, claim_expires_at=timezone.now() + timedelta(minutes=30)
    )


def queue_ids(client: APIClient) -> list[str]:
    response = client.get("/api/v1/kyc/queue/?page_size=200")
    assert response.status_code == 200
    return [row["id"] for row in response.json()["results"]]


def assert_untouched(case_id: str, moderator: Any) -> None:
    case = Case.objects.get(public_id=case_id)
    assert case.state == State.IN_REVIEW
    assert case.decided_by is None
    assert (
        not CaseEvent.objects.filter(case=case, actor=moderator)
        .exclude(action__in=["create", "edit", "upload_id_front", "upload_selfie", "submit"])
        .exists()
    )
    assert not Leaf.objects.filter(kind="kyc.decision").exists()
    moderator.refresh_from_db()
    assert not moderator.is_verified


def test_own_case_is_not_in_the_moderators_queue(
    moderator_with_own_case: Any, someone_elses_case: str, moderator_api: Any
) -> None:
    client, _moderator, own = moderator_with_own_case
    assert queue_ids(client) == [someone_elses_case]
    page = pages_client(client)
    body = page.get("/kyc/review/").content.decode()
    assert someone_elses_case in body
    assert own not in body
    colleague, _ = moderator_api()
    assert queue_ids(colleague) == [own, someone_elses_case]


@pytest.mark.parametrize(
    ("path", "body", "claimed"),
    [
        ("claim", None, False),  # taking the case
        ("decide", APPROVE, True),  # approving oneself, even holding a claim
        ("decide", {"decision": "reject", "reason_codes": ["other"]}, True),  # any decision
        ("escalate", {"reason": "please look"}, True),  # moving it along
    ],
)
def test_nobody_acts_on_their_own_case_by_api(
    moderator_with_own_case: Any,
    django_capture_on_commit_callbacks: Any,
    path: str,
    body: dict[str, Any] | None,
    claimed: bool,
) -> None:
    client, moderator, case_id = moderator_with_own_case
    if claimed:
        smuggle_claim(case_id, moderator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/kyc/cases/{case_id}/{path}/", body, format="json")
    assert response.status_code == 403, response.content
    assert "own case" in response.json()["detail"]
    assert_untouched(case_id, moderator)


@pytest.mark.parametrize(
    ("action", "data", "claimed"),
    [
        ("claim", {}, False),  # the claim button
        (
            "decide",
            {"decision": "approve", "reason_codes": ["documents_ok"]},
            True,
        ),  # the decision form
        ("escalate", {"reason": "please look"}, True),  # the escalation form
    ],
)
def test_nobody_acts_on_their_own_case_by_page(
    moderator_with_own_case: Any, action: str, data: dict[str, Any], claimed: bool
) -> None:
    client, moderator, case_id = moderator_with_own_case
    if claimed:
        smuggle_claim(case_id, moderator)
    page = pages_client(client)
    assert page.get(f"/kyc/review/{case_id}/").status_code == 403
    assert page.post(f"/kyc/review/{case_id}/{action}/", data).status_code == 403
    assert_untouched(case_id, moderator)


def test_the_owner_still_sees_their_own_case_and_documents(moderator_with_own_case: Any) -> None:
    client, _, case_id = moderator_with_own_case
    assert client.get(f"/api/v1/kyc/cases/{case_id}/").status_code == 200
    assert client.get(f"/kyc/documents/{case_id}/selfie/").status_code == 200


# --- recorded conflicts -----------------------------------------------------------------


def declared(moderator: Any, client: APIClient, case: Case) -> None:
    """The moderator says they know the person."""
    response = client.post(
        f"/api/v1/kyc/cases/{case.public_id}/conflict/",
        {"reason": "a neighbour of mine"},
        format="json",
    )
    assert response.status_code == 204, response.content


def second_account(moderator: Any, client: APIClient, case: Case) -> None:
    """The moderator's own (rejected) verification used the same document."""
    Case.objects.create(
        user=moderator,
        state=State.REJECTED,
        document_type=case.document_type,
        surname=case.surname,
        given_names=case.given_names,
        birth_date=case.birth_date,
        nationality=case.nationality,
        issuing_state=case.issuing_state,
        document_number=case.document_number,
        expiry_date=case.expiry_date,
        identity_hash=case.identity_hash,
    )


def voted_then_escalated(moderator: Any, client: APIClient, case: Case) -> None:
    """The moderator voted on this person's case as a validator and it went to review."""
    ValidatorVote.objects.create(
        case=case, validator=moderator, question="selfie_matches_document", answer=False
    )
    CaseEvent.objects.create(
        case=case, action="escalate", from_state=State.IN_REVIEW, to_state=State.ESCALATED
    )


def decided_before_appeal(moderator: Any, client: APIClient, case: Case) -> None:
    """The moderator made the decision now under appeal."""
    Case.objects.filter(pk=case.pk).update(state=State.APPEALED, decided_by=moderator)


CONFLICTS: list[Callable[[Any, APIClient, Case], None]] = [
    declared,
    second_account,
    voted_then_escalated,
    decided_before_appeal,
]


@pytest.mark.parametrize("conflict", CONFLICTS, ids=lambda c: c.__name__)
def test_a_recorded_conflict_keeps_the_moderator_off_the_case(
    moderator_api: Any,
    someone_elses_case: str,
    conflict: Callable[[Any, APIClient, Case], None],
) -> None:
    client, moderator = moderator_api()
    case = Case.objects.get(public_id=someone_elses_case)
    assert case.identity_hash
    conflict(moderator, client, case)
    assert someone_elses_case not in queue_ids(client)
    assert client.post(f"/api/v1/kyc/cases/{someone_elses_case}/claim/").status_code == 403
    smuggle_claim(someone_elses_case, moderator)
    decided = client.post(f"/api/v1/kyc/cases/{someone_elses_case}/decide/", APPROVE, format="json")
    assert decided.status_code == 403
    assert client.get(f"/api/v1/kyc/cases/{someone_elses_case}/").status_code == 403
    page = pages_client(client)
    assert page.get(f"/kyc/review/{someone_elses_case}/").status_code == 403
    assert page.post(f"/kyc/review/{someone_elses_case}/claim/").status_code == 403
    assert page.get(f"/kyc/documents/{someone_elses_case}/selfie/").status_code == 404
    assert not DocumentAccess.objects.filter(viewer=moderator).exists()
    assert not Case.objects.get(pk=case.pk).decided_at
    # A colleague without the conflict takes the case as usual.
    Case.objects.filter(pk=case.pk).update(claimed_by=None, claim_expires_at=None)
    colleague, _ = moderator_api()
    assert someone_elses_case in queue_ids(colleague)
    assert colleague.post(f"/api/v1/kyc/cases/{someone_elses_case}/claim/").status_code == 200


def test_declaring_a_conflict_gives_the_claim_back_and_is_audited(
    moderator_api: Any, someone_elses_case: str
) -> None:
    client, moderator = moderator_api()
    assert client.post(f"/api/v1/kyc/cases/{someone_elses_case}/claim/").status_code == 200
    missing = client.post(f"/api/v1/kyc/cases/{someone_elses_case}/conflict/", {}, format="json")
    assert missing.status_code == 400
    assert "reason" in missing.json()["errors"]
    declare = client.post(
        f"/api/v1/kyc/cases/{someone_elses_case}/conflict/",
        {"reason": "my cousin"},
        format="json",
    )
    assert declare.status_code == 204
    case = Case.objects.get(public_id=someone_elses_case)
    assert case.claimed_by is None
    [event] = CaseEvent.objects.filter(case=case, action="declare_conflict")
    assert event.actor == moderator
    assert "cousin" not in event.reason  # the reason stays with the conflict, not the history
    colleague, _ = moderator_api()
    assert colleague.post(f"/api/v1/kyc/cases/{someone_elses_case}/claim/").status_code == 200


def test_a_declared_conflict_follows_the_person_to_their_next_case(
    moderator_api: Any, user_factory: Any, django_capture_on_commit_callbacks: Any
) -> None:
    pioneer = APIClient()
    person = user_factory()
    pioneer.force_login(person)
    first = submitted_case(pioneer, django_capture_on_commit_callbacks, document_number="FOL00001")
    client, _ = moderator_api()
    client.post(f"/api/v1/kyc/cases/{first}/conflict/", {"reason": "my cousin"}, format="json")
    Case.objects.filter(public_id=first).update(state=State.REJECTED)
    second = submitted_case(pioneer, django_capture_on_commit_callbacks, document_number="FOL00002")
    assert second not in queue_ids(client)
    assert client.post(f"/api/v1/kyc/cases/{second}/claim/").status_code == 403


def test_the_page_offers_declaring_a_conflict(moderator_api: Any, someone_elses_case: str) -> None:
    client, _moderator = moderator_api()
    page = pages_client(client)
    declare = f"/kyc/review/{someone_elses_case}/conflict/"
    assert f'action="{declare}"'.encode() in page.get(f"/kyc/review/{someone_elses_case}/").content
    response = page.post(declare, {"reason": "my aunt"})
    assert response.status_code == 302
    assert response["Location"] == "/kyc/review/"
    assert page.get(f"/kyc/review/{someone_elses_case}/").status_code == 403


# --- validators ---------------------------------------------------------------------------


@pytest.fixture
def validator(user_factory: Any) -> tuple[APIClient, Any]:
    person = user_factory(roles=[Role.PIONEER, Role.VALIDATOR], verified=True)
    client = APIClient()
    client.force_login(person)
    return client, person


def test_a_validator_who_knows_the_person_gives_the_check_back(
    validator: Any, someone_elses_case: str
) -> None:
    client, person = validator
    check = client.get("/api/v1/kyc/checks/next/").json()
    response = client.post(
        f"/api/v1/kyc/checks/{check['id']}/conflict/",
        {"reason": "I know this face"},
        format="json",
    )
    assert response.status_code == 204
    assert client.get(check["images"][0]).status_code == 404
    vote = client.post(f"/api/v1/kyc/checks/{check['id']}/vote/", {"answer": True}, format="json")
    assert vote.status_code in {404, 409}
    assert client.get("/api/v1/kyc/checks/next/").status_code == 204
    assert not ValidatorVote.objects.filter(validator=person).exists()


def test_the_validator_page_offers_declaring_a_conflict(
    validator: Any, someone_elses_case: str
) -> None:
    _, person = validator
    page = Client()
    page.force_login(person)
    body = page.get("/kyc/checks/").content.decode()
    assert 'value="conflict"' in body
    check_id = body.split('name="check" value="')[1].split('"')[0]
    assert page.post("/kyc/checks/", {"check": check_id, "answer": "conflict"}).status_code == 302
    assert b"no-checks" in page.get("/kyc/checks/").content
    assert not ValidatorVote.objects.filter(validator=person).exists()


@pytest.mark.parametrize("conflict", CONFLICTS[:3], ids=lambda c: c.__name__)
def test_a_validator_gets_no_check_for_a_conflicted_person(
    validator: Any, someone_elses_case: str, conflict: Callable[[Any, APIClient, Case], None]
) -> None:
    client, person = validator
    case = Case.objects.get(public_id=someone_elses_case)
    if conflict is declared:
        # Validators declare through the check they were given.
        check = client.get("/api/v1/kyc/checks/next/").json()
        client.post(f"/api/v1/kyc/checks/{check['id']}/conflict/", {"reason": "x"}, format="json")
    else:
        conflict(person, client, case)
        Case.objects.filter(pk=case.pk).update(state=State.IN_REVIEW)
    assert client.get("/api/v1/kyc/checks/next/").status_code == 204
