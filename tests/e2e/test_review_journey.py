"""A pioneer answers free-text items; two level-2 reviewers, each in their own browser
context, review them blind; the author watches the outcome and the reasons arrive live on
/reviews/; a moderator reads the evidence of a flagged pair and clears it.

Outcomes arrive over `/ws/feed/`, so this runs the ASGI application (as the workshop
journey does)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from reputation.models import ReputationEvent, ReviewRequest, ReviewRing
from tasks.services.items import items_upload
from tasks.services.projects import project_create, project_publish
from tests.conftest import TOTP_SECRET
from tests.e2e.conftest import off_thread, sign_in, sign_out
from tests.reputation.helpers import at_level, make_ring

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("eager_celery")]

ANSWERS = ["A red bicycle against a wet brick wall.", "Two kids fly a yellow kite."]


def test_blind_review_live_outcome_and_a_cleared_ring(
    contexts: Any, user_factory: Any, settings: Any
) -> None:
    settings.REPUTATION_REVIEWS_NEEDED = 2

    def setup() -> tuple[Any, ...]:
        import io
        import json

        requester = user_factory(roles=[Role.REQUESTER])
        author = user_factory(email="author@example.com", verified=True)
        first = at_level(user_factory(email="first-reviewer@example.com"), 2)
        second = at_level(user_factory(email="second-reviewer@example.com"), 2)
        moderator = user_factory(roles=[Role.MODERATOR], totp=True)
        ring_a, ring_b, _ = make_ring(user_factory)
        project = project_create(
            owner=requester,
            title="Describe the picture",
            kind="free_text",
            instructions="One **sentence** about what the picture shows.",
            overlap=1,
            gold_rate=0.0,
        )
        lines = [{"payload": {"picture": f"picture {n}"}} for n in range(2)]
        body = io.BytesIO("".join(json.dumps(line) + "\n" for line in lines).encode())
        items_upload(project=project, actor=requester, stream=body, fmt="jsonl")
        project_publish(project=project, actor=requester)
        return author, first, second, moderator, ring_a, ring_b, project

    author, first, second, moderator, ring_a, ring_b, project = off_thread(setup)

    # The pioneer answers both items in free text, by keyboard.
    writer = contexts("author")
    page = writer.page
    sign_in(page, author.email)
    page.goto(f"/tasks/{project.public_id}/work/")
    for text in ANSWERS:
        box = page.get_by_label("Your answer")
        box.fill(text)
        box.press("Control+Enter")
        expect(page.get_by_text("Answer saved.")).to_be_visible()
    writer.shot("answered")
    assert ReviewRequest.objects.filter(author=author, state="open").count() == 2

    # The author waits on /reviews/ with a live socket.
    page.goto("/reviews/")
    expect(page.locator("#review-outcomes[data-live=true]")).to_have_count(1)
    expect(page.get_by_test_id("review-outcomes")).to_contain_text("waiting for reviews")

    # Two reviewers, in their own browser contexts, review both answers blind; one on a phone.
    # Both reject the first answer and accept the second (a tie would call a third).
    verdicts = {
        "first": [("r", ["3"]), ("a", [])],
        "second": [("r", ["1"]), ("a", ["2"])],
    }
    for name, person, options in (
        ("first", first, {}),
        ("second", second, {"viewport": {"width": 390, "height": 844}, "is_mobile": True}),
    ):
        reviewing = contexts(name, **options)
        review_page = reviewing.page
        sign_in(review_page, person.email)
        review_page.goto("/reviews/")
        for key, reasons in verdicts[name]:
            if review_page.get_by_test_id("review-next").count():
                review_page.keyboard.press("n")
            answer = review_page.get_by_test_id("review-answer")
            expect(answer).to_be_visible()
            assert answer.inner_text() in ANSWERS
            body = review_page.locator("main").inner_text()
            assert author.email not in body
            review_page.keyboard.press(key)
            for reason in reasons:
                review_page.keyboard.press(reason)
            if key == "r":
                review_page.keyboard.press("c")
                review_page.keyboard.type("Say what the weather is.")
                review_page.locator("main h1").click()  # leave the comment box
            reviewing.shot(f"verdict-{key}")
            review_page.keyboard.press("Enter")
            expect(review_page.get_by_text("Review saved.")).to_be_visible()
        sign_out(review_page)

    # The outcomes arrived live, with the reasons and without names.
    outcomes = page.get_by_test_id("review-outcomes")
    expect(outcomes.locator(".review-new")).to_have_count(2)
    expect(outcomes).to_contain_text("not accepted")
    expect(outcomes.locator(".badge-ok")).to_have_text("accepted")
    expect(outcomes).to_contain_text("Reject: Incomplete")
    expect(outcomes).to_contain_text("Say what the weather is.")
    for person in (first, second):
        expect(outcomes).not_to_contain_text(person.email)
    writer.shot("outcomes-live")
    assert ReputationEvent.objects.filter(user=author, source="peer_review").count() == 2

    # A moderator reads the evidence of the flagged pair and clears it.
    desk = contexts("moderator")
    mod_page = desk.page
    sign_in(mod_page, moderator.email, totp_secret=TOTP_SECRET)
    mod_page.get_by_role("link", name="Rings").click()
    ring = mod_page.locator(".ring")
    expect(ring).to_contain_text(ring_a.email)
    expect(ring).to_contain_text(ring_b.email)
    expect(ring).to_contain_text("3 of 3 (100%)")
    desk.shot("flagged-ring")
    ring.get_by_label("Note").fill("Checked: same team, honest reviews.")
    ring.get_by_role("button", name="Clear").click()
    expect(mod_page.get_by_text("Cleared")).to_be_visible()
    expect(mod_page.get_by_test_id("no-rings")).to_be_visible()
    assert ReviewRing.objects.get().state == ReviewRing.State.CLEARED
