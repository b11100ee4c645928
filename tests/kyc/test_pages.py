from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from accounts.roles import Role
from kyc.models import Case, CaseEvent, State
from ledger.models import Leaf
from tests.conftest import pages_client, sign_in_with_totp
from tests.kyc.conftest import case_fields, upload

pytestmark = pytest.mark.django_db

APPROVE = {"decision": "approve", "reason_codes": ["documents_ok"]}


def test_wizard_refuses_a_bad_photo_and_keeps_nothing(user_factory: Any) -> None:
    client = Client()
    client.force_login(user_factory())
    fields = {
        **case_fields(),
        "id_front": upload("x.jpg", b"not an image at all" * 20),
        "selfie": upload(),
    }
    response = client.post("/kyc/", fields)
    assert response.status_code == 400
    assert b"not a readable" in response.content


def test_queue_page_is_for_moderators_only(user_factory: Any) -> None:
    client = Client()
    client.force_login(user_factory())
    assert client.get("/kyc/review/").status_code == 403


def test_queue_page_queries_do_not_grow(
    user_factory: Any, django_capture_on_commit_callbacks: Any, django_assert_max_num_queries: Any
) -> None:
    from rest_framework.test import APIClient

    from tests.kyc.conftest import submitted_case

    moderator = sign_in_with_totp(Client(), user_factory(roles=[Role.MODERATOR], totp=True))
    for n in range(1, 7):
        pioneer = APIClient()
        pioneer.force_login(user_factory())
        submitted_case(pioneer, django_capture_on_commit_callbacks, document_number=f"QQ{n:07d}")
        if n in (1, 6):
            with django_assert_max_num_queries(14):
                response = moderator.get("/kyc/review/")
            assert response.status_code == 200
            assert response.content.count(b"/kyc/review/") >= n


@pytest.fixture
def reviewing(
    moderator_api: Any, user_factory: Any, django_capture_on_commit_callbacks: Any
) -> tuple[Client, str]:
    """A moderator's page session and a case waiting in their queue."""
    from rest_framework.test import APIClient

    from tests.kyc.conftest import submitted_case

    pioneer = APIClient()
    pioneer.force_login(user_factory())
    case_id = submitted_case(pioneer, django_capture_on_commit_callbacks)
    client, _ = moderator_api()
    return pages_client(client), case_id


def test_each_review_action_posts_to_its_own_page(reviewing: tuple[Client, str]) -> None:
    page, case_id = reviewing
    review = f"/kyc/review/{case_id}/"
    claimed = page.post(f"{review}claim/")
    assert (claimed.status_code, claimed["Location"]) == (302, review)
    body = page.get(review).content.decode()
    assert f'action="{review}decide/"' in body
    assert f'action="{review}escalate/"' in body
    assert f'action="{review}unclaim/"' in body
    assert f'action="{review}conflict/"' in body
    decided = page.post(
        f"{review}decide/", {"decision": "approve", "reason_codes": ["documents_ok"]}
    )
    assert (decided.status_code, decided["Location"]) == (302, "/kyc/review/")
    assert Case.objects.get(public_id=case_id).state == State.APPROVED
    # The case page itself only shows the case.
    assert page.post(review, {"action": "claim"}).status_code == 405


@pytest.mark.parametrize(
    ("claim_first", "action", "data", "status", "shown"),
    [
        (False, "decide", APPROVE, 409, "Claim the case first"),  # deciding without a claim
        (True, "decide", {"decision": "approve"}, 400, "This field is required"),  # no reason code
        (
            True,
            "decide",
            {**APPROVE, "decision": "request_resubmission"},
            400,
            "Tell the pioneer exactly what to fix",
        ),  # resubmission without what to fix
        (True, "escalate", {"reason": " "}, 400, "Say why the case needs escalation"),  # no reason
        (False, "escalate", {"reason": "look"}, 409, "Claim the case first"),  # not claimed
        (False, "conflict", {"reason": ""}, 400, "Say what ties you to this person"),  # no reason
    ],
)
def test_a_refused_review_action_answers_its_status_and_says_why(
    reviewing: tuple[Client, str],
    claim_first: bool,
    action: str,
    data: dict[str, Any],
    status: int,
    shown: str,
) -> None:
    page, case_id = reviewing
    if claim_first:
        assert page.post(f"/kyc/review/{case_id}/claim/").status_code == 302
    response = page.post(f"/kyc/review/{case_id}/{action}/", data)
    assert response.status_code == status
    assert shown in response.content.decode()
    case = Case.objects.get(public_id=case_id)
    assert case.state == State.IN_REVIEW
    assert not CaseEvent.objects.filter(case=case, action__in=["decide", "escalate"]).exists()
    assert not CaseEvent.objects.filter(case=case, action="declare_conflict").exists()


def test_claiming_a_decided_case_is_a_409_page(reviewing: tuple[Client, str]) -> None:
    page, case_id = reviewing
    page.post(f"/kyc/review/{case_id}/claim/")
    page.post(f"/kyc/review/{case_id}/decide/", APPROVE)
    again = page.post(f"/kyc/review/{case_id}/claim/")
    assert again.status_code == 409
    assert "A case in state &#x27;approved&#x27; cannot be claimed." in again.content.decode()


def test_a_decided_case_links_to_its_entry_in_the_log(reviewing: tuple[Client, str]) -> None:
    page, case_id = reviewing
    page.post(f"/kyc/review/{case_id}/claim/")
    page.post(f"/kyc/review/{case_id}/decide/", APPROVE)
    case = Case.objects.get(public_id=case_id)
    leaf = Leaf.objects.get(index=case.decision_entry)
    assert leaf.kind == "kyc.decision"
    assert json.loads(leaf.data)["payload"]["outcome"] == "approved"
    person = Client()
    person.force_login(case.user)
    status = person.get("/kyc/").content.decode()
    assert f'href="/transparency/?index={leaf.index}"' in status


def test_opening_a_case_takes_it_and_another_moderator_only_sees_it(
    reviewing: tuple[Client, str], moderator_api: Any
) -> None:
    page, case_id = reviewing
    body = page.get(f"/kyc/review/{case_id}/").content.decode()
    assert 'data-testid="held-by-me"' in body
    case = Case.objects.get(public_id=case_id)
    holder = case.claimed_by
    assert holder is not None
    other_client, _ = moderator_api()
    other = pages_client(other_client)
    seen = other.get(f"/kyc/review/{case_id}/").content.decode()
    assert 'data-testid="held-by-other"' in seen
    assert Case.objects.get(public_id=case_id).claimed_by == holder
    # Reloading one's own case does not claim it again.
    page.get(f"/kyc/review/{case_id}/")
    assert CaseEvent.objects.filter(case=case, action="claim").count() == 1


def test_deciding_from_an_opened_case_needs_no_claim_step_and_leads_to_the_next(
    reviewing: tuple[Client, str],
    user_factory: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from rest_framework.test import APIClient

    from tests.kyc.conftest import submitted_case

    page, case_id = reviewing
    pioneer = APIClient()
    pioneer.force_login(user_factory())
    waiting = submitted_case(
        pioneer, django_capture_on_commit_callbacks, document_number="ZZ1234567"
    )
    page.get(f"/kyc/review/{case_id}/")
    decided = page.post(f"/kyc/review/{case_id}/decide/", APPROVE)
    assert (decided.status_code, decided["Location"]) == (302, f"/kyc/review/{waiting}/")
    page.get(f"/kyc/review/{waiting}/")
    last = page.post(f"/kyc/review/{waiting}/decide/", APPROVE)
    assert (last.status_code, last["Location"]) == (302, "/kyc/review/")


def test_giving_a_case_back_frees_it_and_only_its_holder_may(
    reviewing: tuple[Client, str], moderator_api: Any
) -> None:
    page, case_id = reviewing
    other_client, _ = moderator_api()
    other = pages_client(other_client)
    page.get(f"/kyc/review/{case_id}/")
    assert other.post(f"/kyc/review/{case_id}/unclaim/").status_code == 409
    given = page.post(f"/kyc/review/{case_id}/unclaim/")
    assert (given.status_code, given["Location"]) == (302, "/kyc/review/")
    case = Case.objects.get(public_id=case_id)
    assert (case.claimed_by, case.claim_expires_at) == (None, None)
    assert CaseEvent.objects.filter(case=case, action="unclaim").count() == 1
    assert 'data-testid="held-by-me"' in other.get(f"/kyc/review/{case_id}/").content.decode()


def test_check_results_read_as_words_and_my_decisions_are_listed(
    reviewing: tuple[Client, str],
) -> None:
    page, case_id = reviewing
    body = page.get(f"/kyc/review/{case_id}/").content.decode()
    assert "The document is in date." in body
    assert "document_valid" not in body
    assert "You have not decided a case yet." in page.get("/kyc/review/mine/").content.decode()
    page.post(f"/kyc/review/{case_id}/decide/", APPROVE)
    mine = page.get("/kyc/review/mine/").content.decode()
    assert f'href="/kyc/review/{case_id}/"' in mine
    assert "documents_ok" in mine
    assert "Approved" in mine


def _photo_variant(change: str) -> bytes:
    import io

    from PIL import Image, ImageFilter

    from tests.kyc.conftest import photo

    image = Image.open(io.BytesIO(photo()))
    if change == "blurred":
        image = image.filter(ImageFilter.GaussianBlur(4))
    elif change == "dark":
        image = image.point(lambda value: int(value * 0.15))
    elif change == "blank":
        image = Image.new("RGB", image.size, (128, 128, 128))
    out = io.BytesIO()
    image.save(out, format="JPEG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("change", "problems"),
    [
        ("none", []),
        ("blurred", ["image_blurred"]),
        ("dark", ["image_dark"]),
        ("blank", ["image_blank"]),
    ],
)
def test_photo_problems_are_found_in_the_pixels(change: str, problems: list[str]) -> None:
    import io

    from PIL import Image

    from kyc.checks import photo_problems

    assert photo_problems(Image.open(io.BytesIO(_photo_variant(change)))) == problems


def test_the_wizard_says_at_once_what_is_wrong_with_a_photo_and_submits_when_told(
    user_factory: Any,
) -> None:
    client = Client()
    person = user_factory()
    client.force_login(person)
    fields = {
        **case_fields(),
        "id_front": upload(),
        "selfie": upload("selfie.jpg", _photo_variant("blurred")),
    }
    response = client.post("/kyc/", fields)
    assert response.status_code == 200
    body = response.content.decode()
    assert "The selfie looks blurred" in body
    assert 'data-testid="photos-saved"' in body
    case = Case.objects.get(user=person)
    assert case.state == State.DRAFT
    assert sorted(case.documents.values_list("kind", flat=True)) == ["id_front", "selfie"]
    confirmed = client.post("/kyc/", {**case_fields(), "accept_photos": "on"})
    assert confirmed.status_code == 302
    assert Case.objects.get(pk=case.pk).state != State.DRAFT


def test_countries_are_chosen_by_their_three_letter_codes(user_factory: Any) -> None:
    client = Client()
    client.force_login(user_factory())
    page = client.get("/kyc/").content.decode()
    assert '<option value="KEN">Kenya (KEN)</option>' in page
    assert '<option value="UTO">' in page
    refused = client.post("/kyc/", {**case_fields(), "nationality": "ZZZ"})
    assert refused.status_code == 400
    assert "Select a valid choice" in refused.content.decode()
