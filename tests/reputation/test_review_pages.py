"""The review work page and the moderators' page of flagged rings."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, TestCase
from rest_framework.test import APIClient

from accounts.roles import Role
from reputation.models import ReviewAssignment, ReviewRing
from reputation.selectors.reviews import rings_open
from tests.conftest import pages_client, sign_in_with_totp
from tests.reputation.helpers import (
    flagged_ring,
    held_review,
    make_ring,
    request_review,
    reviewers,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_newcomer_learns_when_reviewing_opens_and_sees_their_outcomes(user_factory: Any) -> None:
    author = user_factory()
    request_review(author)
    page = _client(author).get("/reviews/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Reviewing opens at level 2" in text
    assert "waiting for reviews" in text


def test_a_reviewer_takes_work_and_reviews_it_blind(user_factory: Any) -> None:
    author = user_factory(email="hidden-author@example.com")
    request_review(author, 0, needed=1)
    request_review(author, 1, needed=1)
    [reviewer] = reviewers(user_factory, 1)
    client = _client(reviewer)

    assert client.post("/reviews/next/").status_code == 302
    page = client.get("/reviews/").content.decode()
    assert "A cat sits on a mat." in page
    assert "One sentence about what you see." in page
    assert "hidden-author" not in page
    held = ReviewAssignment.objects.get(reviewer=reviewer)

    refused = client.post(f"/reviews/{held.public_id}/", {"verdict": "reject"}, follow=True)
    assert "Say why you reject it" in refused.content.decode()
    assert ReviewAssignment.objects.get(pk=held.pk).status == "reserved"

    done = client.post(
        f"/reviews/{held.public_id}/",
        {"verdict": "reject", "reason_codes": ["incomplete"], "comment": "Add the colour."},
        follow=True,
    )
    assert "Review saved." in done.content.decode()
    held.refresh_from_db()
    assert (held.status, held.accept, held.reason_codes) == ("submitted", False, ["incomplete"])
    # The next one was handed out in the same step.
    assert ReviewAssignment.objects.filter(reviewer=reviewer, status="reserved").count() == 1


def test_the_rings_page_is_for_moderators_with_their_second_factor(user_factory: Any) -> None:
    make_ring(user_factory)
    [pioneer] = reviewers(user_factory, 1)
    assert _client(pioneer).get("/reviews/rings/").status_code == 404
    moderator = user_factory(roles=[Role.MODERATOR], totp=True)
    no_code = _client(moderator).get("/reviews/rings/")
    assert no_code.status_code == 403  # the page that asks for the authenticator code
    assert b"data-ring" not in no_code.content


def test_a_moderator_reads_the_evidence_and_clears_a_ring(
    user_factory: Any, django_assert_max_num_queries: Any
) -> None:
    a, b, _ = make_ring(user_factory)
    moderator = user_factory(roles=[Role.MODERATOR], totp=True)
    client = pages_client(sign_in_with_totp(APIClient(), moderator))

    with django_assert_max_num_queries(20):
        page = client.get("/reviews/rings/")
    text = page.content.decode()
    assert a.email in text
    assert b.email in text
    assert "3 of 3 (100%)" in text
    ring = ReviewRing.objects.get()

    with TestCase.captureOnCommitCallbacks(execute=True):
        done = client.post(f"/reviews/rings/{ring.public_id}/clear/", {"note": "ok"}, follow=True)
    assert "Cleared" in done.content.decode()
    assert ReviewRing.objects.get().state == ReviewRing.State.CLEARED
    assert rings_open().count() == 0


def test_the_rings_page_counts_held_reviews_without_a_query_per_ring(
    user_factory: Any, django_assert_max_num_queries: Any
) -> None:
    a, b, _ = make_ring(user_factory)
    held_review(b, a)
    client = pages_client(
        sign_in_with_totp(APIClient(), user_factory(roles=[Role.MODERATOR], totp=True))
    )
    with django_assert_max_num_queries(20) as one_ring:
        client.get("/reviews/rings/")
    for _ in range(4):
        flagged_ring(user_factory(), user_factory())

    with django_assert_max_num_queries(len(one_ring.captured_queries)):
        page = client.get("/reviews/rings/")

    text = page.content.decode()
    assert text.count('class="card card-gap ring"') == 5
    # Counted per ring: the hand-made rings' members hold none back.
    assert text.count("1 review held back") == 1
    assert text.count("0 reviews held back") == 4
