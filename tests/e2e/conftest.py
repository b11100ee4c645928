"""Browser journeys: Debian's Chromium driven by Playwright against pytest-django's live server."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections

from tests.conftest import IN_CI, PASSWORD, with_totp_code

CHROMIUM = Path("/usr/bin/chromium")
RESULTS = Path(__file__).resolve().parents[2] / "test-results"


# Module scope: the browser's event loop must be gone before tests of other modules run,
# or their async_to_sync calls (channel layer sends) would find a loop in this thread.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail("browser tests need /usr/bin/chromium (make test installs it)")
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread for as long as the
    # browser lives; the ORM calls of tests and fixtures are still plain synchronous code,
    # so Django's async-safety guard must stand aside until the browser is closed.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield chromium
        finally:
            chromium.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class Journey:
    """A page plus numbered screenshots under test-results/<test>/, and the
    Content-Security-Policy violations the browser reported on the way."""

    def __init__(self, page: Any, folder: Path) -> None:
        self.page = page
        self.folder = folder
        self.step = 0
        self.csp_violations: list[str] = []
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        # Chromium reports every blocked script, style, image, frame or connection on the
        # console ("Refused to ... because it violates the following Content Security
        # Policy directive ..."); a page that needs something the policy forbids breaks.
        if "Content Security Policy" in message.text:
            self.csp_violations.append(f"{self.page.url}: {message.text}")

    def shot(self, name: str) -> None:
        self.step += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(self.folder / f"{self.step:02d}-{name}.png"), full_page=True)


@pytest.fixture
def journey(browser: Any, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Journey]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1200, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    folder = RESULTS / re.sub(r"[^\w.-]+", "_", request.node.nodeid)
    journey = Journey(page, folder)
    yield journey
    context.close()
    # Every journey runs under the real policy; whatever it blocked fails the journey.
    assert journey.csp_violations == []


def sign_in(
    page: Any, email: str, password: str = PASSWORD, totp_secret: str | None = None
) -> None:
    """Sign in through the login form (and the authenticator step, for an account that has
    one) and land on the dashboard."""
    from playwright.sync_api import expect

    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    if totp_secret:
        expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
        enter_totp_code(page, totp_secret)
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def enter_totp_code(page: Any, secret: str) -> None:
    """Answer allauth's second-factor step with the authenticator's current code."""

    def submit(code: str) -> str:
        page.locator("input[name=code]").fill(code)
        with page.expect_navigation():
            page.get_by_role("button", name=re.compile("^sign in$", re.I)).click()
        return str(page.url)

    with_totp_code(submit, lambda url: "/2fa/authenticate/" not in url, secret)


def sign_out(page: Any) -> None:
    """Sign out and wait until the page says so: a navigation started right after the
    click could otherwise race the sign-out and still carry the old session."""
    from playwright.sync_api import expect

    open_menu_on_a_phone(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def off_thread(work: Callable[[], Any]) -> Any:
    """Run ORM work that sends socket events in a thread of its own: events cannot be sent
    from the test's thread while the browser's event loop runs in it."""
    outcome: list[Any] = []
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


@pytest.fixture
def asgi_server(transactional_db: None) -> Iterator[str]:
    """The project's ASGI application (HTTP and `/ws/...` sockets, which pytest-django's
    WSGI live server cannot serve) under uvicorn on a free port, on the test database;
    stopped, and its database connections closed, after the test."""
    import uvicorn
    from channels.layers import channel_layers
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from pioneer_platform.asgi import application

    # Server threads close their connection after each request, so none outlives the test.
    database = connections.settings["default"]
    previous_age = database.get("CONN_MAX_AGE", 0)
    database["CONN_MAX_AGE"] = 0
    # A channel layer lets one event loop at a time receive; each server's loop gets layers
    # of its own, so a socket a past server still holds cannot break this one's.
    channel_layers.backends.clear()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        ASGIStaticFilesHandler(application),
        ws="wsproto",
        lifespan="off",
        log_level="warning",
        # Sockets still open at the end are cancelled after this, not waited for.
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the ASGI server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        listener.close()
        channel_layers.backends.clear()
        database["CONN_MAX_AGE"] = previous_age
        assert not thread.is_alive(), "the ASGI server did not stop within 15 s"


@pytest.fixture
def contexts(browser: Any, asgi_server: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Browser contexts on the ASGI server, each with its own screenshots folder; every one
    fails the test on a Content-Security-Policy violation."""
    opened: list[tuple[Any, Journey]] = []
    folder = RESULTS / re.sub(r"[^\w.-]+", "_", request.node.nodeid)

    def open_context(name: str, **options: Any) -> Journey:
        options.setdefault("viewport", {"width": 1200, "height": 900})
        context = browser.new_context(base_url=asgi_server, **options)
        context.set_default_timeout(15_000)
        journey = Journey(context.new_page(), folder / name)
        opened.append((context, journey))
        return journey

    yield open_context
    for context, journey in opened:
        context.close()
        assert journey.csp_violations == []


def open_menu_on_a_phone(page: Any) -> None:
    """On a narrow screen the main links sit behind the Menu button: open it first."""
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible() and menu.get_attribute("aria-expanded") != "true":
        menu.click()
