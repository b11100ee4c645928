"""Two members chat in the lounge from two browsers (one a phone): a message posted with
the keyboard reaches the other live, an edit shows live, one reports the other's message,
a moderator removes it from the reports queue, and both open pages show the removal
without a reload. Runs the project's ASGI application (HTTP and WebSocket) on the test
database, as the workshop journey does."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from accounts.services.profiles import profile_update
from community.models import Report
from community.services import chat
from tests.e2e.conftest import off_thread, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("eager_celery")]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}


def test_post_receive_live_edit_report_and_moderator_removal(
    contexts: Any, user_factory: Any
) -> None:
    def setup() -> tuple[Any, ...]:
        chat.standing_rooms_open()
        ada = user_factory(roles=[Role.PIONEER], verified=True)
        bo = user_factory(roles=[Role.PIONEER], verified=True)
        mod = user_factory(roles=[Role.MODERATOR])
        for person, name in ((ada, "Ada"), (bo, "Bo"), (mod, "Mo Moderator")):
            profile_update(user=person, display_name=name)
        return ada, bo, mod

    ada, bo, mod = off_thread(setup)

    # Ada opens the lounge from the navigation and posts with the keyboard alone.
    first = contexts("ada")
    ada_page = first.page
    sign_in(ada_page, ada.email)
    ada_page.get_by_role("link", name="Chat", exact=True).click()
    ada_page.get_by_role("link", name="Lounge").click()
    ada_list = ada_page.locator("#chat-messages")
    expect(ada_list).to_have_attribute("data-connected", "true")
    box = ada_page.get_by_role("textbox", name="Message")
    box.focus()
    ada_page.keyboard.type("Hello from *Ada*")
    ada_page.keyboard.press("Enter")
    expect(ada_list.get_by_test_id("chat-message")).to_have_count(1)
    expect(ada_list.locator("em")).to_have_text("Ada")
    expect(box).to_have_value("")
    first.shot("posted")

    # Bo, on a phone, sees it in the history, then hears Ada's next message live.
    second = contexts("bo", **PHONE)
    bo_page = second.page
    sign_in(bo_page, bo.email)
    bo_page.goto("/chat/lounge/")
    bo_list = bo_page.locator("#chat-messages")
    expect(bo_list).to_have_attribute("data-connected", "true")
    expect(bo_list).to_contain_text("Hello from Ada")
    box.fill("Anyone around?")
    box.press("Enter")
    expect(bo_list.get_by_test_id("chat-message")).to_have_count(2)
    expect(bo_list.locator("#m-2")).to_contain_text("Anyone around?")
    second.shot("received-live")
    bo_page.get_by_role("textbox", name="Message").fill("Yes, **here**")
    bo_page.get_by_role("button", name="Send").click()
    expect(ada_list.locator("#m-3 strong").last).to_have_text("here")
    first.shot("reply-live")

    # Ada edits her question; Bo's page shows the new text without a reload.
    ada_page.locator("#m-2").get_by_role("link", name="Edit").click()
    ada_page.get_by_role("textbox", name="Message").fill("Anyone around for the workshop?")
    ada_page.get_by_role("button", name="Save").click()
    expect(bo_list.locator("#m-2")).to_contain_text("Anyone around for the workshop?")
    expect(bo_list.locator("#m-2")).to_contain_text("(edited)")
    second.shot("edit-live")

    # Bo reports Ada's first message.
    bo_page.locator("#m-1").get_by_role("link", name="Report").click()
    bo_page.get_by_label("Reason").fill("Testing the report button")
    bo_page.get_by_role("button", name="Send the report").click()
    expect(bo_page.get_by_text("the moderators will look at it")).to_be_visible()
    assert off_thread(lambda: Report.objects.get().reason) == "Testing the report button"
    bo_list = bo_page.locator("#chat-messages")
    expect(bo_list).to_have_attribute("data-connected", "true")
    ada_list = ada_page.locator("#chat-messages")
    expect(ada_list).to_have_attribute("data-connected", "true")
    second.shot("reported")

    # The moderator removes it from the queue, where it shows in its conversation.
    third = contexts("moderator")
    mod_page = third.page
    sign_in(mod_page, mod.email)
    mod_page.goto("/chat/reports/")
    report = mod_page.get_by_test_id("report")
    expect(report).to_contain_text("Testing the report button")
    expect(report.get_by_test_id("reported-message")).to_contain_text("Hello from Ada")
    expect(report).to_contain_text("Anyone around for the workshop?")
    third.shot("queue")
    report.get_by_role("link", name="Remove the message").click()
    mod_page.get_by_label("Reason").fill("Removed for the demo")
    mod_page.get_by_role("button", name="Remove the message").click()
    expect(mod_page.get_by_text("No open reports.")).to_be_visible()

    # Both members' open pages show the removal live.
    for journey, messages in ((first, ada_list), (second, bo_list)):
        expect(messages.locator("#m-1")).to_contain_text("Removed by a moderator")
        expect(messages.locator("#m-1")).not_to_contain_text("Hello from Ada")
        journey.shot("removed-live")
