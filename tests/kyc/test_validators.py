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
    assert set(check) == {"id", "question", "text", "images", "expires_at"}
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
    from accounts.services.users import user_grant_role, user_set_verified

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


# --- assignments and crops ----------------------------------------------------------------


def image_of(response: Any) -> Any:
    import io

    from PIL import Image

    assert response.status_code == 200, response.status_code
    return Image.open(io.BytesIO(response.content)).convert("RGB")


def pixels_near(image: Any, colour: tuple[int, int, int], tolerance: int = 12) -> int:
    return sum(
        1
        for pixel in image.getdata()
        if all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))
    )


def test_a_check_id_names_an_assignment_not_the_case(validators: Any, case_id: str) -> None:
    client, _ = validators[0]
    first = client.get("/api/v1/kyc/checks/next/").json()
    assert case_id not in first["id"]
    assert case_id not in str(first["images"])
    # Asking again hands out the same check, not a second case to look at.
    assert client.get("/api/v1/kyc/checks/next/").json()["id"] == first["id"]


def test_a_validator_cannot_use_another_validators_check(validators: Any, case_id: str) -> None:
    (owner, _), (other, other_person) = validators
    check = owner.get("/api/v1/kyc/checks/next/").json()
    for url in check["images"]:
        assert other.get(url).status_code == 404
    vote = other.post(f"/api/v1/kyc/checks/{check['id']}/vote/", {"answer": True}, format="json")
    assert vote.status_code == 404
    assert not ValidatorVote.objects.exists()
    assert not DocumentAccess.objects.filter(viewer=other_person).exists()


@pytest.mark.parametrize(
    "check_id",
    [
        "{case}--selfie_matches_document",  # the case id with a question: never assigned
        "{case}--document_readable_unaltered",  # the other question
        "00000000-0000-0000-0000-000000000000",  # a well-formed id nobody was given
        "{case}",  # the case id alone
    ],
)
def test_an_unassigned_check_cannot_be_fetched_or_voted(
    validators: Any, case_id: str, check_id: str
) -> None:
    client, _ = validators[0]
    check_id = check_id.format(case=case_id)
    for kind in ("id_front", "selfie", "id_back"):
        assert client.get(f"/kyc/checks/{check_id}/{kind}/").status_code == 404
    vote = client.post(f"/api/v1/kyc/checks/{check_id}/vote/", {"answer": True}, format="json")
    assert vote.status_code == 404
    assert not ValidatorVote.objects.exists()
    assert not DocumentAccess.objects.exists()


def flag_the_case(case_id: str) -> None:
    """Automatic checks or another account raise a risk flag after the check was handed out."""
    Case.objects.filter(public_id=case_id).update(risk_flags=["duplicate_identity"])


def let_it_expire(case_id: str) -> None:
    """The validator walked away; the assignment ran out."""
    from django.utils import timezone

    from kyc.models import CheckAssignment

    CheckAssignment.objects.filter(case__public_id=case_id).update(expires_at=timezone.now())


def move_it_on(case_id: str) -> None:
    """A moderator took the case over meanwhile."""
    Case.objects.filter(public_id=case_id).update(state=State.ESCALATED)


@pytest.mark.parametrize(
    "change", [flag_the_case, let_it_expire, move_it_on], ids=lambda change: change.__name__
)
def test_an_assignment_that_is_no_longer_valid_serves_nothing(
    validators: Any, case_id: str, change: Any
) -> None:
    client, person = validators[0]
    check = client.get("/api/v1/kyc/checks/next/").json()
    change(case_id)
    for url in check["images"]:
        assert client.get(url).status_code == 404
    vote = client.post(f"/api/v1/kyc/checks/{check['id']}/vote/", {"answer": True}, format="json")
    assert vote.status_code == 409
    assert not ValidatorVote.objects.exists()
    assert not DocumentAccess.objects.filter(viewer=person).exists()


def test_risk_flagged_cases_are_never_handed_out(validators: Any, case_id: str) -> None:
    flag_the_case(case_id)
    client, _ = validators[0]
    assert client.get("/api/v1/kyc/checks/next/").status_code == 204


def test_validators_see_crops_with_the_rest_redacted(
    validators: Any, user_factory: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from tests.kyc.conftest import (
        NAME_BLUE,
        PORTRAIT_GREEN,
        PRIVATE_RED,
        zoned_document,
    )

    document = zoned_document((1000, 700))
    pioneer = APIClient()
    pioneer.force_login(user_factory())
    submitted_case(
        pioneer,
        django_capture_on_commit_callbacks,
        front=document,
        document_type="id_card",
        mrz="",
    )
    Case.objects.update(risk_flags=[])  # the missing MRZ does not matter here
    client, _ = validators[0]
    served: dict[tuple[str, str], Any] = {}
    while (response := client.get("/api/v1/kyc/checks/next/")).status_code == 200:
        check = response.json()
        for url in check["images"]:
            kind = url.rstrip("/").rsplit("/", 1)[1]
            served[(check["question"], kind)] = image_of(client.get(url))
        client.post(f"/api/v1/kyc/checks/{check['id']}/vote/", {"answer": True}, format="json")
    # The back of an identity card carries the machine-readable zone: never shown.
    assert set(served) == {
        ("selfie_matches_document", "id_front"),
        ("selfie_matches_document", "selfie"),
        ("document_readable_unaltered", "id_front"),
    }
    portrait = served[("selfie_matches_document", "id_front")]
    assert portrait.width < 1000
    assert portrait.height < 700
    assert pixels_near(portrait, PORTRAIT_GREEN) > 0.2 * portrait.width * portrait.height
    assert pixels_near(portrait, NAME_BLUE) == 0
    assert pixels_near(portrait, PRIVATE_RED) == 0

    page = served[("document_readable_unaltered", "id_front")]
    assert page.width < 1000
    assert page.height < 700
    assert pixels_near(page, PORTRAIT_GREEN) > 0
    assert pixels_near(page, NAME_BLUE) > 0
    assert pixels_near(page, PRIVATE_RED) == 0
    # What was cut out of the view is blank, not merely covered by the watermark.
    blank = pixels_near(page, (255, 255, 255), tolerance=0)
    assert blank > 0.15 * page.width * page.height


def test_cant_tell_counts_no_vote_and_hands_the_check_to_someone_else(
    validators: Any, case_id: str
) -> None:
    from django.test import Client

    (_, person), (other, _) = validators
    page = Client()
    page.force_login(person)
    shown = page.get("/kyc/checks/").content.decode()
    assert 'data-testid="image-caption"' in shown
    assert "I can't tell" in shown
    asked = 0
    while 'data-testid="validator-check"' in (body := page.get("/kyc/checks/").content.decode()):
        check_id = body.split('name="check" value="')[1].split('"')[0]
        answered = page.post("/kyc/checks/", {"check": check_id, "answer": "cannot_tell"})
        assert answered.status_code == 302
        asked += 1
        assert asked <= 2, "a check given back came back"
    assert asked == 2  # both questions about the case, each once
    assert "Nothing to check right now" in body
    assert not ValidatorVote.objects.exists()
    assert Case.objects.get(public_id=case_id).state == State.IN_REVIEW
    assert len(answer_all(other, True)) == 2
