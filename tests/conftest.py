"""Shared fixtures and factories.

Under CI (`CI` set) the suite must run on PostgreSQL and Redis: a test that needs them
fails instead of skipping, so a misconfigured pipeline cannot pass by skipping.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import factory
import pytest
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from asgiref.sync import sync_to_async
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connections
from rest_framework.test import APIClient

from accounts.models import User
from accounts.roles import Role
from accounts.services.users import user_grant_role, user_set_verified
from reputation import statements

IN_CI = bool(os.environ.get("CI"))
PASSWORD = "correct-horse-battery-staple"
# Authenticator secret of every test user made with `totp=True` (base32, as allauth stores).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
HEADLESS = "/_allauth/browser/v1"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist, tests marked `long` go first (after pytest-django's ordering,
    keeping it otherwise): xdist hands out tests in this order, so a worker starts a test of
    minutes while the others share the rest, instead of running it alone at the end. In one
    process the order stays pytest-django's (tests that flush the database last)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=lambda item: item.get_closest_marker("long") is None)


def pytest_sessionstart(session: pytest.Session) -> None:
    if IN_CI and not (django_settings.USING_POSTGRES and django_settings.REDIS_URL):
        raise pytest.UsageError(
            "CI is set: DATABASE_URL must point to PostgreSQL and REDIS_URL to Redis"
        )


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # PBKDF2 at production strength dominates the suite's time and proves nothing here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    # Rate-limit counters live in the cache (Redis under CI) and must not leak between tests.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _forget_reputation_writes() -> None:
    # What a process remembers of its reputation writes saves a read, so it changes a
    # test's query count; every test starts from a process that wrote nothing.
    statements.forget()


@pytest.fixture
def postgres() -> None:
    if not django_settings.USING_POSTGRES:
        if IN_CI:
            pytest.fail("this test needs PostgreSQL; CI must set DATABASE_URL")
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")


@pytest.fixture
def redis_url() -> str:
    if not django_settings.REDIS_URL:
        if IN_CI:
            pytest.fail("this test needs Redis; CI must set REDIS_URL")
        pytest.skip("needs Redis: set REDIS_URL=redis://...")
    return str(django_settings.REDIS_URL)


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Run Celery tasks in-process even when REDIS_URL configures a real broker."""
    from pioneer_platform.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def email_verified(self, create: bool, extracted: bool | None, **kwargs: Any) -> None:
        if create:
            EmailAddress.objects.create(
                user=self, email=self.email, primary=True, verified=extracted is not False
            )

    @factory.post_generation
    def roles(self, create: bool, extracted: list[Role] | None, **kwargs: Any) -> None:
        for role in extracted if extracted is not None else [Role.PIONEER]:
            user_grant_role(user=self, role=role)

    @factory.post_generation
    def totp(self, create: bool, extracted: bool | str | None, **kwargs: Any) -> None:
        if create and extracted:
            TOTP.activate(self, TOTP_SECRET if extracted is True else extracted)

    @factory.post_generation
    def verified(self, create: bool, extracted: bool | None, **kwargs: Any) -> None:
        if create and extracted:
            user_set_verified(user=self)


def totp_counter() -> int:
    return int(time.time()) // mfa_settings.TOTP_PERIOD


def totp_code(secret: str = TOTP_SECRET, counter: int | None = None) -> str:
    """The code an authenticator app shows now, by allauth's own HOTP functions."""
    return format_hotp_value(hotp_value(secret, totp_counter() if counter is None else counter))


def with_totp_code(submit: Callable[[str], Any], ok: Callable[[Any], bool], secret: str) -> Any:
    """Submit the current code; once more if the 30-second step turned meanwhile, because
    allauth accepts only the current step's code (no tolerance)."""
    counter = totp_counter()
    result = submit(totp_code(secret, counter))
    if not ok(result) and totp_counter() != counter:
        result = submit(totp_code(secret))
    return result


def sign_in_with_totp(
    client: Any, user: User, secret: str = TOTP_SECRET, password: str = PASSWORD
) -> Any:
    """Sign in through allauth (password, then the authenticator code) on a Django test
    client or DRF APIClient: its session cookie then passed MFA, for pages and API alike."""

    def post(path: str, body: dict[str, str]) -> Any:
        return client.post(path, json.dumps(body), content_type="application/json")

    first = post(f"{HEADLESS}/auth/login", {"email": user.email, "password": password})
    assert first.status_code == 401, first.content
    second = with_totp_code(
        lambda code: post(f"{HEADLESS}/auth/2fa/authenticate", {"code": code}),
        lambda response: response.status_code == 200,
        secret,
    )
    assert second.status_code == 200, second.content
    return client


def pages_client(api_client: Any) -> Any:
    """A plain Django test client on `api_client`'s session, for posting page forms (an
    APIClient encodes bodies as JSON by default). A code is accepted once, so a second
    sign-in for pages is not an option."""
    from django.test import Client

    page = Client()
    page.cookies = api_client.cookies
    return page


@pytest.fixture
def user_factory(db: None) -> type[UserFactory]:
    return UserFactory


@pytest.fixture
def user(user_factory: type[UserFactory]) -> User:
    return user_factory()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def signed_in_api(api_client: APIClient, user: User) -> APIClient:
    api_client.force_login(user)
    return api_client


@pytest.fixture(scope="session", autouse=True)
def _flush_by_delete() -> Iterator[None]:
    """After each `transaction=True` test Django empties every table with one TRUNCATE,
    which on PostgreSQL makes new files for every table and index: about 0.4 s a test here,
    against 0.05 s for DELETE on tables that hold a test's few rows. Foreign keys are
    deferred to the commit, so the order of the deletes does not matter; the ledger's
    append-only triggers (which refuse DELETE, not TRUNCATE) are off for the flush only."""
    if not django_settings.USING_POSTGRES:
        yield
        return
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(
        self: DatabaseOperations,
        style: Any,
        tables: list[str],
        *,
        reset_sequences: bool = False,
        allow_cascade: bool = False,
    ) -> list[str]:
        if reset_sequences or allow_cascade or not tables:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal"
            )
            guarded = sorted({row[0] for row in cursor.fetchall()} & set(tables))
        quote = self.quote_name
        return (
            [f"ALTER TABLE {quote(table)} DISABLE TRIGGER USER" for table in guarded]
            + [f"DELETE FROM {quote(table)}" for table in tables]  # noqa: S608 (quoted names)
            + [f"ALTER TABLE {quote(table)} ENABLE TRIGGER USER" for table in guarded]
        )

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign,assignment]
    yield
    DatabaseOperations.sql_flush = truncate  # type: ignore[method-assign]


@pytest.fixture
async def close_worker_connections() -> Any:
    """For socket tests: the session and room lookups run in asgiref's worker thread, whose
    database connection outlives the test unless closed, and an open connection stops the
    test database from being dropped at the end of the run."""
    yield
    await sync_to_async(connections.close_all)()
