"""The API's rate limits: a counter per person (or address) per window, in the cache the
deployment runs (Redis in CI)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from core.throttling import count_up

pytestmark = pytest.mark.django_db

# 30 s into a minute-long window.
WINDOW_START = 1_800_000_000.0


@pytest.fixture
def three_a_minute(monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    clock = {"now": WINDOW_START + 30}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/min", "anon": "3/min"})
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: clock["now"])
    return clock


def test_over_the_limit_waits_for_the_window_to_end(
    user_factory: Any, three_a_minute: dict[str, float]
) -> None:
    client = APIClient()
    client.force_login(user_factory())
    statuses = [client.get("/api/v1/me/").status_code for _ in range(3)]
    refused = client.get("/api/v1/me/")
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    three_a_minute["now"] = WINDOW_START + 60  # the next window
    assert client.get("/api/v1/me/").status_code == 200


def test_each_person_and_each_address_has_their_own_count(
    user_factory: Any, three_a_minute: dict[str, float]
) -> None:
    busy, other = APIClient(), APIClient()
    busy.force_login(user_factory())
    other.force_login(user_factory())
    for _ in range(3):
        busy.get("/api/v1/me/")
    assert busy.get("/api/v1/me/").status_code == 429
    assert other.get("/api/v1/me/").status_code == 200
    # Without a session the limit is per address, counted apart from the people's.
    anonymous = [APIClient().get("/api/v1/ledger/heads/").status_code for _ in range(4)]
    assert anonymous == [200, 200, 200, 429]


def test_a_count_ups_from_one_and_expires() -> None:
    key = f"test-window-{uuid.uuid4()}"
    assert [count_up(key, ttl=5) for _ in range(3)] == [1, 2, 3]
    assert cache.get(key) == 3
    cache.delete(key)
    assert count_up(key, ttl=5) == 1
