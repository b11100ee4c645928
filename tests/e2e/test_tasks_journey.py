"""A requester publishes a project, two pioneers answer in the browser, the results show
the aggregate, and the export lands in the ledger with its proof link."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from tasks.models import DatasetExport
from tests.e2e.conftest import Journey, sign_in, sign_out

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("eager_celery")]


def answer_all(journey: Journey, name: str, keys: list[str]) -> None:
    page = journey.page
    page.goto("/tasks/")
    expect(page.get_by_role("heading", name="Pet photos")).to_be_visible()
    journey.shot(f"{name}-feed")
    page.get_by_role("link", name="Start working").click()
    for number, key in enumerate(keys):
        expect(page.get_by_test_id("item-payload")).to_be_visible()
        if number == 0:
            journey.shot(f"{name}-item")
        before = page.get_by_test_id("item-payload").inner_text()
        page.keyboard.press(key)  # the label's keyboard shortcut submits at once
        if number < len(keys) - 1:
            expect(page.get_by_text("Answer saved.")).to_be_visible()
            expect(page.get_by_test_id("item-payload")).not_to_have_text(before)
    expect(page.get_by_test_id("no-more-items")).to_be_visible()
    journey.shot(f"{name}-done")


def test_requester_publishes_two_pioneers_answer_results_show_the_aggregate(
    journey: Journey, user_factory: Any, tmp_path: Any
) -> None:
    requester = user_factory(roles=[Role.REQUESTER])
    first = user_factory(roles=[Role.PIONEER], verified=True)
    second = user_factory(roles=[Role.PIONEER], verified=True)
    page = journey.page

    # The requester creates the project, uploads items with progress, publishes.
    sign_in(page, requester.email)
    page.goto("/requester/projects/new/")
    page.get_by_label("Title").fill("Pet photos")
    # The form shows the fields of the chosen kind only.
    page.get_by_label("Kind").select_option("rating")
    expect(page.get_by_label("Scale min")).to_be_visible()
    expect(page.get_by_label("Labels")).to_be_hidden()
    journey.shot("project-form-rating")
    page.get_by_label("Kind").select_option("single_label")
    expect(page.get_by_label("Scale min")).to_be_hidden()
    expect(page.get_by_label("Text max length")).to_be_hidden()
    page.get_by_label("Instructions").fill("Which animal is **shown**?")
    page.get_by_label("Labels").fill("cat\ndog")
    page.get_by_label("Overlap").fill("2")
    page.get_by_label("Gold rate").fill("0")
    journey.shot("project-form")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_test_id("project-state")).to_have_text("Draft")

    items = tmp_path / "items.jsonl"
    items.write_text(
        "".join(
            json.dumps({"payload": {"photo": f"photo-{n}.jpg"}, "ref": f"p{n}"}) + "\n"
            for n in range(2)
        )
    )
    page.locator("#upload-file").set_input_files(str(items))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#upload-status")).to_contain_text("Uploaded 2 items")
    journey.shot("uploaded")
    expect(page.get_by_test_id("item-count")).to_have_text("2")  # after the reload
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_test_id("project-state")).to_have_text("Published")
    journey.shot("published")
    sign_out(page)

    # Two pioneers answer every item with the keyboard: both say "cat" (key 1) to the
    # first item they get, and split on the second.
    sign_in(page, first.email)
    answer_all(journey, "first-pioneer", ["1", "1"])
    sign_out(page)
    sign_in(page, second.email)
    answer_all(journey, "second-pioneer", ["1", "2"])
    sign_out(page)

    # The requester sees the aggregate, exports, and finds the export in the ledger.
    sign_in(page, requester.email)
    page.goto("/requester/projects/")
    page.get_by_role("link", name="Results").click()
    table = page.get_by_test_id("results-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).to_contain_text("cat")
    expect(table).to_contain_text("majority")
    expect(page.locator("svg").first).to_be_visible()
    journey.shot("results")

    with page.expect_download() as download:
        page.get_by_test_id("export-jsonl").click()
    lines = Path(download.value.path()).read_text().splitlines()
    assert len(lines) == 2
    assert all(len(json.loads(line)["answers"]) == 2 for line in lines)
    export = DatasetExport.objects.get()
    page.reload()
    proof = page.get_by_role("link", name=re.compile("inclusion proof"))
    expect(proof).to_have_attribute("href", f"/transparency/?index={export.ledger_index}")
    journey.shot("export-recorded")
