"""What several browser journeys share: a visit that fails on console errors and missing
assets, the two viewports, and the accessibility check."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.db import connection

from tests.conftest import IN_CI
from tests.e2e.conftest import Journey

T = TypeVar("T")
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
EQUIVALENT_CHECK = Path(__file__).with_name("a11y_equivalent.js")
# axe's impact levels that fail a page; "moderate" and "minor" are reported, not failed.
BLOCKING = ("serious", "critical")


class SiteVisit(Journey):
    """A journey that also fails on console errors and on any response of 400 or more
    for the page's own resources (stylesheets, scripts, images, the favicon)."""

    def __init__(self, page: Any, folder: Any, phone: bool) -> None:
        super().__init__(page, folder)
        self.phone = phone
        self.console_errors: list[str] = []
        self.failed: list[str] = []
        self.accessibility: list[str] = []
        page.on("console", self._error)
        page.on("response", self._response)
        page.on("requestfailed", self._request_failed)

    def _error(self, message: Any) -> None:
        # A page answered 4xx on purpose (a form with errors) is logged as a failed load;
        # the resources a page needs are checked by status in `_response` instead.
        # A socket still opening when the journey moves to the next page is cut off by the
        # navigation, not by a fault of the page.
        if "WebSocket is closed before the connection is established" in message.text:
            return
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(f"{self.page.url}: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.failed.append(f"{response.status} {response.url}")

    def _request_failed(self, request: Any) -> None:
        # A download the browser hands off, or a navigation that replaced the page (which
        # aborts the old page's script loads), is not a missing asset; 404s show as
        # responses, not as failed requests.
        if request.resource_type != "document" and request.failure != "net::ERR_ABORTED":
            self.failed.append(f"failed {request.url}: {request.failure}")

    def open_menu(self) -> None:
        """On a phone the links sit behind the menu button."""
        if self.phone:
            button = self.page.get_by_role("button", name="Menu")
            if button.get_attribute("aria-expanded") != "true":
                button.click()

    def check(self, name: str) -> None:
        """A screenshot, and the accessibility check of the page as it is now."""
        self.shot(name)
        self.accessibility += [
            f"{self.page.url}: {problem}" for problem in accessibility_problems(self.page)
        ]

    def assert_clean(self) -> None:
        problems = {
            "blocked by the policy": self.csp_violations,
            "console errors": self.console_errors,
            "failed requests": self.failed,
            "accessibility": self.accessibility,
        }
        found = {kind: items for kind, items in problems.items() if items}
        assert not found, found


def accessibility_problems(page: Any) -> list[str]:
    """axe-core's serious and critical violations, through axe-playwright-python (which
    ships axe.min.js) when it is installed; otherwise the limited equivalent in
    a11y_equivalent.js. CI installs requirements-dev.txt, so there it is always axe."""
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        if IN_CI:
            pytest.fail("CI runs axe-core: install requirements-dev.txt (axe-playwright-python)")
        return list(page.evaluate(EQUIVALENT_CHECK.read_text()))
    results = Axe().run(page)
    problems = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = ", ".join(
                " ".join(map(str, node["target"])) for node in violation["nodes"][:5]
            )
            problems.append(
                f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}"
            )
    return problems


def folder_for(results: Path, request: pytest.FixtureRequest) -> Path:
    return results / re.sub(r"[^\w.-]+", "_", request.node.nodeid)


def off_the_browser_loop(work: Callable[[], T]) -> T:
    """Run `work` in a thread of its own: Playwright's event loop runs in the test's thread,
    and services that send socket events (`async_to_sync`) may not run inside it."""
    outcome: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    if errors:
        raise errors[0]
    return outcome[0]
