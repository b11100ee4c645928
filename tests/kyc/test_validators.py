"""Validators answer redacted questions; agreement decides low-risk cases."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from kyc.models import Case, DocumentAccess, State, ValidatorVote
from ledger.models import Leaf
from tests.kyc.conftest import submitted_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def validators(user_factory: Any, settings: Any) -> list[tuple[APIClient, Any]]:
    settings.KYC_VALIDATOR_VOTES = 2
    team = []
    for _ in range(2):
        person = user_factory(roles=[Role.PIONEER, Role.VALIDATOR], verified=True)
        client = APIClient()
        client.force_login(person)
        team.append((client, person))
    return team


@pytest.fixture
def case_id(user_factory: Any, django_capture_on_commit_callbacks: Any) -> str:
    client = APIClient()
    client.force_login(user_factory())
    return submitted_case(client, django_capture_on_commit_callbacks)


def answer_all(client: APIClient, answer: bool) -> list[dict[str, Any]]:
    seen = []
    while (response := client.get("/api/v1/kyc/checks/next/")).status_code == 200:
        check = response.json()
        seen.append(check)
        assert (
            client.post(
                f"/api/v1/kyc/checks/{check['id']}/vote/", {"answer": answer}, format="json"
            ).status_code
            == 201
        )
    assert response.status_code == 204
    return seen


def test_checks_are_redacted_and_watermarked(validators: Any, case_id: str) -> None:
    client, person = validators[0]
    check = client.get("/api/v1/kyc/checks/next/").json()
    assert set(check) == {"id", "question", "text", "images"}
    body = str(check)
    for private in ("AK1234567", "1990", "Wanjiku", "KEN"):
        assert private not in body
    image = client.get(check["images"][0])
    assert image.status_code == 200
    assert image["Cache-Control"] == "no-store"
    assert DocumentAccess.objects.filter(viewer=person).count() == 1


def test_unanimous_yes_approves_and_records_the_decision(validators: Any, case_id: str) -> None:
    for client, _ in validators:
        assert len(answer_all(client, True)) == 2  # one check per question
    case = Case.objects.get(public_id=case_id)
    assert case.state == State.APPROVED
    assert case.user.is_verified
    assert case.decided_by is None
    assert Leaf.objects.filter(kind="kyc.decision").count() == 1
    assert set(ValidatorVote.objects.values_list("agreed_with_decision", flat=True)) == {True}


def test_one_no_sends_the_case_to_a_moderator(validators: Any, case_id: str) -> None:
    first, second = validators
    answer_all(first[0], True)
    check = second[0].get("/api/v1/kyc/checks/next/").json()
    second[0].post(f"/api/v1/kyc/checks/{check['id']}/vote/", {"answer": False}, format="json")
    assert Case.objects.get(public_id=case_id).state == State.ESCALATED
    assert second[0].get("/api/v1/kyc/checks/next/").status_code == 204


def test_validators_never_get_their_own_case(validators: Any, case_id: str) -> None:
    from accounts.services import user_grant_role, user_set_verified

    owner = Case.objects.get(public_id=case_id).user
    # An owner who is (somehow) a verified validator still never reviews their own case.
    user_grant_role(user=owner, role=Role.VALIDATOR)
    user_set_verified(user=owner)
    client = APIClient()
    client.force_login(owner)
    assert client.get("/api/v1/kyc/checks/next/").status_code == 204


@pytest.mark.parametrize(
    ("roles", "verified", "status"),
    [
        ([Role.PIONEER], True, 403),  # not a validator
        ([Role.PIONEER, Role.VALIDATOR], False, 403),  # a validator must be verified
    ],
)
def test_only_verified_validators_vote(
    user_factory: Any, case_id: str, roles: Any, verified: bool, status: int
) -> None:
    client = APIClient()
    client.force_login(user_factory(roles=roles, verified=verified))
    assert client.get("/api/v1/kyc/checks/next/").status_code == status


def test_voting_twice_or_on_a_bad_id_is_refused(validators: Any, case_id: str) -> None:
    client, _ = validators[0]
    check = client.get("/api/v1/kyc/checks/next/").json()
    assert (
        client.post(
            f"/api/v1/kyc/checks/{check['id']}/vote/", {"answer": True}, format="json"
        ).status_code
        == 201
    )
    assert (
        client.post(
            f"/api/v1/kyc/checks/{check['id']}/vote/", {"answer": True}, format="json"
        ).status_code
        == 409
    )
    assert (
        client.post(
            "/api/v1/kyc/checks/nonsense/vote/", {"answer": True}, format="json"
        ).status_code
        == 404
    )
    bad = client.post(
        f"/api/v1/kyc/checks/{check['id']}/vote/", {"answer": "perhaps"}, format="json"
    )
    assert bad.status_code == 400
    assert "answer" in bad.json()["errors"]


def test_a_validator_is_not_shown_a_person_after_a_conflict(
    validators: Any, case_id: str, user_factory: Any
) -> None:
    from kyc.models import CaseEvent

    client, _ = validators[0]
    check = client.get("/api/v1/kyc/checks/next/").json()
    client.post(f"/api/v1/kyc/checks/{check['id']}/vote/", {"answer": False}, format="json")
    case = Case.objects.get(public_id=case_id)
    assert CaseEvent.objects.filter(case=case, to_state=State.ESCALATED).exists()
    # The moderator sends the case back for resubmission and it returns to review.
    Case.objects.filter(pk=case.pk).update(state=State.IN_REVIEW, risk_flags=[])
    assert client.get("/api/v1/kyc/checks/next/").status_code == 204
    other, _ = validators[1]
    assert other.get("/api/v1/kyc/checks/next/").status_code == 200
