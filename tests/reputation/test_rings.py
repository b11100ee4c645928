"""Reciprocal rings: flagged with evidence, their reviews held back until a moderator
clears them, or penalised."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from accounts.models import Notification, User
from accounts.roles import Role
from accounts.services.users import user_grant_role
from core.errors import Conflict, Forbidden, InvalidInput
from reputation.models import ReputationEvent, ReviewAssignment, ReviewRequest, ReviewRing
from reputation.services.reviews import review_claim_next
from reputation.services.rings import ring_clear, ring_penalise, rings_detect
from tests.reputation.helpers import held_review, make_ring, request_review, reviewers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def test_a_pair_accepting_each_other_is_flagged_with_the_evidence(user_factory: Any) -> None:
    a, b, _ = make_ring(user_factory)
    [ring] = ReviewRing.objects.all()
    assert ring.state == ReviewRing.State.FLAGGED
    assert set(ring.members.all()) == {a, b}
    favours = {(f["reviewer"], f["author"]): f for f in ring.evidence["favours"]}
    assert favours[(str(a.public_id), str(b.public_id))] == {
        "reviewer": str(a.public_id),
        "author": str(b.public_id),
        "reviews": 3,
        "accepted": 3,
        "share": 1.0,
        "baseline": 0.0,
    }
    assert (str(b.public_id), str(a.public_id)) in favours
    # Detection again finds the same open flag, not a second one.
    assert rings_detect() == 0


def test_ring_members_are_not_handed_each_others_work(user_factory: Any) -> None:
    a, b, _ = make_ring(user_factory)
    request_review(a, 10)
    assert review_claim_next(reviewer=b) is None
    [outsider] = reviewers(user_factory, 1)
    assert review_claim_next(reviewer=outsider) is not None


def test_reviews_inside_a_flagged_ring_wait_for_a_moderator_who_clears_them(
    user_factory: Any,
) -> None:
    a, b, _ = make_ring(user_factory)
    request = held_review(b, a)
    assert request.state == ReviewRequest.State.OPEN
    assert request.open_slots == 1  # someone else's review is wanted instead
    assert ReviewAssignment.objects.get(request=request).counted is False
    moderator = user_factory(roles=[Role.MODERATOR])

    ring = ReviewRing.objects.get()
    ring_clear(ring=ring, moderator=moderator, note="Same office, honest work.")

    request.refresh_from_db()
    assert request.state == ReviewRequest.State.DECIDED
    assert request.accepted is True
    ring.refresh_from_db()
    assert (ring.state, ring.resolved_by, ring.note) == (
        ReviewRing.State.CLEARED,
        moderator,
        "Same office, honest work.",
    )
    with pytest.raises(Conflict, match="already cleared"):
        ring_clear(ring=ring, moderator=moderator)


def test_a_penalised_ring_costs_each_member_and_its_reviews_never_count(
    user_factory: Any,
) -> None:
    a, b, _ = make_ring(user_factory)
    request = held_review(b, a)
    moderator = user_factory(roles=[Role.MODERATOR])

    ring_penalise(ring=ReviewRing.objects.get(), moderator=moderator, note="Sock puppets")

    penalties = ReputationEvent.objects.filter(source="penalty")
    assert sorted(penalties.values_list("user_id", flat=True)) == sorted([a.pk, b.pk])
    assert ReviewAssignment.objects.get(request=request).counted is False
    assert ReviewRequest.objects.get(pk=request.pk).state == ReviewRequest.State.OPEN


def test_each_member_of_a_penalised_ring_is_told_the_moderators_reason(
    user_factory: Any, django_capture_on_commit_callbacks: Any
) -> None:
    a, b, _ = make_ring(user_factory)
    moderator = user_factory(roles=[Role.MODERATOR])

    with django_capture_on_commit_callbacks(execute=True):
        ring_penalise(
            ring=ReviewRing.objects.get(), moderator=moderator, note="  Same IP, same answers.  "
        )

    told = Notification.objects.filter(kind="reputation.penalty")
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted([a.pk, b.pk])
    for notification in told:
        assert notification.body.endswith("The moderator's reason: Same IP, same answers.")
        assert notification.url == "/reputation/"
    # Kept, so a member who was away reads it later; and mailed, as penalties matter.
    assert sorted(m.to[0] for m in mail.outbox) == sorted([a.email, b.email])
    assert "Same IP, same answers." in mail.outbox[0].body


@pytest.mark.parametrize("note", ["", "   "])
def test_a_ring_is_not_penalised_without_a_reason_for_its_members(
    user_factory: Any, note: str
) -> None:
    make_ring(user_factory)
    moderator = user_factory(roles=[Role.MODERATOR])
    with pytest.raises(InvalidInput) as error:
        ring_penalise(ring=ReviewRing.objects.get(), moderator=moderator, note=note)
    assert error.value.field == "note"
    assert ReviewRing.objects.get().state == ReviewRing.State.FLAGGED
    assert not Notification.objects.exists()


def test_only_moderators_resolve_rings_and_never_their_own(user_factory: Any) -> None:
    a, _, _ = make_ring(user_factory)
    ring = ReviewRing.objects.get()
    with pytest.raises(Forbidden):
        ring_clear(ring=ring, moderator=a)
    user_grant_role(user=a, role=Role.MODERATOR)
    a = User.objects.get(pk=a.pk)  # permissions are cached per instance
    with pytest.raises(Forbidden, match="about yourself"):
        ring_clear(ring=ring, moderator=a)
    assert ReviewRing.objects.get().state == ReviewRing.State.FLAGGED
