"""`make run`'s demo data, worked in a browser: two demo pioneers answer the demo
project, the demo requester sees the aggregate and exports it into the ledger."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.management.commands.seed_demo import DEMO_PASSWORD
from tasks.management.commands.seed_tasks import GOLD, REVIEWS, TITLE
from tasks.models import DatasetExport
from tests.e2e.conftest import Journey, sign_in, sign_out

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("eager_celery")]

KEYS = {"positive": "1", "negative": "2", "neutral": "3"}  # the demo project's label order
TRUTH = dict(REVIEWS + GOLD)


def answer_truthfully(page: Any, count: int) -> list[str]:
    """Answer `count` items of the demo project with the right label (gold items too,
    which look like any other), by keyboard; return the reviews answered."""
    page.goto("/tasks/")
    page.get_by_role("article").filter(has_text=TITLE).get_by_role(
        "link", name="Start working"
    ).click()
    answered = []
    for _ in range(count):
        payload = page.get_by_test_id("item-payload")
        expect(payload).to_be_visible()
        review = next(text for text in TRUTH if text in payload.inner_text())
        page.keyboard.press(KEYS[TRUTH[review]])
        expect(page.get_by_text("Answer saved.")).to_be_visible()
        expect(payload).not_to_contain_text(review)
        answered.append(review)
    sign_out(page)
    return answered


def seed_demo() -> None:
    """`make run`'s seeding, in a thread of its own: it sends socket events, which cannot
    be sent from this thread while the browser's event loop runs in it."""
    from django.db import connection

    errors: list[BaseException] = []

    def run() -> None:
        try:
            call_command("seed_demo", verbosity=0)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=120)
    if errors:
        raise errors[0]


def test_the_demo_data_journey(journey: Journey, transactional_db: None) -> None:
    seed_demo()
    page = journey.page

    sign_in(page, "verified@example.com", DEMO_PASSWORD)
    first = answer_truthfully(page, 3)
    sign_in(page, "validator@example.com", DEMO_PASSWORD)
    second = answer_truthfully(page, 3)
    both = [review for review in first if review in second and review in dict(REVIEWS)]
    assert both, (first, second)  # items are handed out in order: the two overlap

    sign_in(page, "requester@example.com", DEMO_PASSWORD)
    page.goto("/requester/projects/")
    page.get_by_role("row").filter(has_text=TITLE).get_by_role("link", name="Results").click()
    table = page.get_by_test_id("results-table")
    expect(table).to_contain_text(TRUTH[both[0]])
    journey.shot("demo-results")

    with page.expect_download() as download:
        page.get_by_test_id("export-jsonl").click()
    lines = [json.loads(line) for line in Path(download.value.path()).read_text().splitlines()]
    assert len(lines) == len(REVIEWS)  # every real item, answered or not; no gold
    by_review = {line["payload"]["review"]: line for line in lines}
    assert by_review[both[0]]["label"] == TRUTH[both[0]]
    assert len(by_review[both[0]]["answers"]) == 2
    export = DatasetExport.objects.get()
    page.reload()
    proof = page.get_by_role("link", name=re.compile("inclusion proof"))
    expect(proof).to_have_attribute("href", f"/transparency/?index={export.ledger_index}")
    journey.shot("demo-export-recorded")
