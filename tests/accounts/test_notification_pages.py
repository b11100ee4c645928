"""The bell and `/notifications/`: own notifications only, marking read, the e-mail
settings form, and a page whose queries do not grow with its rows."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client

from accounts import selectors
from accounts.models import Notification
from accounts.roles import Role
from accounts.services.notifications import notification_send

pytestmark = pytest.mark.django_db

PAGE = "/notifications/"
TEMPLATES = settings.BASE_DIR / "templates"


def tell(user: Any, n: int, kind: str = "kyc.decision") -> list[Notification]:
    return [
        notification_send(user=user, kind=kind, title=f"Notice {i}", body=f"Body {i}.", url="/kyc/")
        for i in range(n)
    ]


@pytest.fixture
def member(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def test_the_bell_shows_the_unread_count_on_every_page(member: Client, user: Any) -> None:
    tell(user, 2)
    html = member.get("/dashboard/").content.decode()
    assert 'aria-label="Notifications, 2 unread"' in html
    assert "js/notifications.js" in html


@pytest.mark.parametrize(
    ("path", "page_script"),
    [
        ("/dashboard/", "js/dashboard.js"),
        ("/tasks/", "js/tasks.js"),
        ("/reviews/", "js/reviews.js"),
    ],
)
def test_pages_load_the_feed_connection_once_before_their_own_script(
    client: Client, user_factory: Any, path: str, page_script: str
) -> None:
    client.force_login(user_factory(roles=[Role.PIONEER], verified=True))
    html = client.get(path).content.decode()
    assert html.count("js/feed.js") == 1
    assert html.index("js/feed.js") < html.index(page_script)


def test_only_the_base_template_loads_the_feed_connection() -> None:
    naming = sorted(
        str(template.relative_to(TEMPLATES))
        for template in TEMPLATES.rglob("*.html")
        if "js/feed.js" in template.read_text()
    )
    assert naming == ["base.html"]


def test_the_page_lists_ones_own_notifications(
    member: Client, user: Any, user_factory: Any
) -> None:
    tell(user, 2)
    notification_send(user=user_factory(), kind="kyc.decision", title="Not yours")
    html = member.get(PAGE).content.decode()
    assert "Notice 0" in html
    assert "Notice 1" in html
    assert "Not yours" not in html
    assert html.index("Notice 1") < html.index("Notice 0")


@pytest.mark.parametrize("rows", [1, 60])
def test_page_queries_do_not_grow_with_rows(
    member: Client, user: Any, rows: int, django_assert_max_num_queries: Any
) -> None:
    tell(user, rows)
    with django_assert_max_num_queries(8):
        response = member.get(PAGE)
    assert response.status_code == 200
    assert ("Older notifications" in response.content.decode()) == (rows > 50)


def test_older_notifications_page_on(member: Client, user: Any) -> None:
    made = tell(user, 52)
    first = member.get(PAGE).context
    assert first["older"] == made[2].public_id
    second = member.get(PAGE, {"before": str(first["older"])}).context
    assert [n.title for n in second["notifications"]] == ["Notice 1", "Notice 0"]


def test_mark_one_then_all_read(member: Client, user: Any, user_factory: Any) -> None:
    first, _ = tell(user, 2)
    [foreign] = tell(user_factory(), 1)
    member.post("/notifications/read/", {"id": str(foreign.public_id)})
    foreign.refresh_from_db()
    assert foreign.read_at is None
    response = member.post("/notifications/read/", {"id": str(first.public_id)})
    assert response.status_code == 302
    assert selectors.notifications_unread_count(user=user) == 1
    member.post("/notifications/read/", {"all": "1"})
    assert selectors.notifications_unread_count(user=user) == 0


def test_a_bad_id_marks_nothing(member: Client, user: Any) -> None:
    tell(user, 1)
    response = member.post("/notifications/read/", {"id": "nonsense"}, follow=True)
    assert "not one of your notifications" in response.content.decode()
    assert selectors.notifications_unread_count(user=user) == 1


def test_the_settings_form_saves_what_is_ticked(member: Client, user: Any) -> None:
    response = member.post(
        "/notifications/settings/", {"email": ["kyc.decision", "project.paused"]}
    )
    assert response.status_code == 302
    chosen = {row["kind"]: row["email"] for row in selectors.notification_settings(user=user)}
    assert chosen["project.paused"] is True
    assert chosen["kyc.decision"] is True
    assert chosen["chat.mention"] is False
    assert chosen["workshop.registration"] is False


def test_the_settings_form_refuses_a_kind_that_is_never_mailed(member: Client, user: Any) -> None:
    response = member.post(
        "/notifications/settings/", {"email": ["workshop.registration"]}, follow=True
    )
    assert "cannot be e-mailed" in response.content.decode()
    chosen = {row["kind"]: row["email"] for row in selectors.notification_settings(user=user)}
    assert chosen["chat.mention"] is True  # nothing changed


def test_signed_out_people_are_sent_to_sign_in(client: Client, db: None) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert client.post("/notifications/read/", {"all": "1"}).status_code == 302


# --- The bell's count, cached per person ------------------------------------------------
# Pages render outside any transaction, where the count is cached; these tests commit as a
# server does (inside the test's own transaction every count is taken afresh).

BELL_PAGE = "/profile/"  # a page that shows the bell and lists no notifications
committing = pytest.mark.django_db(transaction=True)


def notification_queries(captured: Any) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if "accounts_notif" in query["sql"]]


def bell_label(client: Client) -> str:
    html = client.get(BELL_PAGE).content.decode()
    start = html.index('data-testid="bell" aria-label="') + len('data-testid="bell" aria-label="')
    return html[start : html.index('"', start)]


@committing
def test_the_bell_costs_no_query_once_counted(
    member: Client, user: Any, django_assert_max_num_queries: Any
) -> None:
    tell(user, 2)
    with django_assert_max_num_queries(20) as first:
        assert bell_label(member) == "Notifications, 2 unread"
    assert len(notification_queries(first)) == 1  # counted once ...
    with django_assert_max_num_queries(len(first.captured_queries) - 1) as again:
        assert bell_label(member) == "Notifications, 2 unread"
    assert notification_queries(again) == []  # ... then read from the cache


@committing
def test_the_bell_is_right_after_a_new_notification_and_after_reading(
    member: Client, user: Any, user_factory: Any
) -> None:
    first, _ = tell(user, 2)
    assert bell_label(member) == "Notifications, 2 unread"
    tell(user, 1)
    assert bell_label(member) == "Notifications, 3 unread"
    tell(user_factory(), 1)  # someone else's news leaves this bell as it is
    assert bell_label(member) == "Notifications, 3 unread"
    member.post("/notifications/read/", {"id": str(first.public_id)})
    assert bell_label(member) == "Notifications, 2 unread"
    member.post("/notifications/read/", {"all": "1"})
    assert bell_label(member) == "Notifications"
    assert member.get("/api/v1/notifications/").json()["unread_count"] == 0


@committing
def test_a_rolled_back_notification_leaves_the_count(member: Client, user: Any) -> None:
    tell(user, 1)
    assert bell_label(member) == "Notifications, 1 unread"
    counted_inside: list[int] = []

    def notify_then_fail() -> None:
        with transaction.atomic():
            tell(user, 1)
            counted_inside.append(selectors.notifications_unread_count(user=user))
            raise RuntimeError("the caller fails")

    with pytest.raises(RuntimeError):
        notify_then_fail()
    assert counted_inside == [2]  # the transaction sees its own change ...
    assert bell_label(member) == "Notifications, 1 unread"  # ... which nobody keeps


@pytest.mark.integration
@committing
def test_a_count_taken_while_a_notification_commits_is_not_kept(postgres: None, user: Any) -> None:
    """Another request counts after the notification is written but before it commits,
    and caches what it saw (one fewer). Once the notification commits, that count is no
    longer the one read."""
    tell(user, 1)
    assert selectors.notifications_unread_count(user=user) == 1
    seen_meanwhile: list[int] = []

    def another_request() -> None:
        try:
            seen_meanwhile.append(selectors.notifications_unread_count(user=user))
        finally:
            connection.close()

    with transaction.atomic():
        tell(user, 1)
        thread = threading.Thread(target=another_request)
        thread.start()
        thread.join(timeout=30)
    assert seen_meanwhile == [1]  # it could not see the uncommitted row
    assert selectors.notifications_unread_count(user=user) == 2


@committing
def test_the_bell_counts_without_a_cache(member: Client, user: Any, settings: Any) -> None:
    """A cache that does not answer (Redis down) costs the count query, not the page."""
    tell(user, 2)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens on the discard port
        }
    }
    assert bell_label(member) == "Notifications, 2 unread"
