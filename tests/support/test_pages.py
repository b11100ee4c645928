"""Help and legal pages, the contact form (signed in or not, rate limited) and the
moderators' inbox of it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.roles import Role
from support.models import ContactMessage
from support.services import MESSAGES_PER_WINDOW

pytestmark = pytest.mark.django_db

MESSAGE = {"topic": "verification", "body": "My case has waited two days.", "reply_to": ""}


@pytest.mark.parametrize(
    ("url", "phrase"),
    [
        ("/help/", "Frequently asked questions"),
        ("/privacy/", "keyed pseudonyms"),
        ("/terms/", "One person, one account"),
        ("/contact/", "Write to the moderators"),
    ],
)
def test_public_pages_need_no_account_and_are_linked_from_the_footer(
    client: Client, url: str, phrase: str, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(2):
        response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert phrase in page
    for linked in ("/help/", "/privacy/", "/terms/", "/contact/"):
        assert f'href="{linked}"' in page


def test_privacy_page_quotes_the_configured_retention(client: Client, settings: Any) -> None:
    settings.KYC_RETENTION_DAYS = 12
    page = client.get("/privacy/").content.decode()
    assert "deleted 12 days after your case is approved or rejected" in page


def test_anonymous_message_needs_an_address_and_then_reaches_moderators(client: Client) -> None:
    response = client.post("/contact/", MESSAGE)
    assert response.status_code == 400
    assert "Leave an e-mail address" in response.content.decode()
    assert not ContactMessage.objects.exists()

    response = client.post("/contact/", {**MESSAGE, "reply_to": "someone@example.org"})
    assert response.status_code == 302
    message = ContactMessage.objects.get()
    assert (message.sender, message.reply_to, message.topic) == (
        None,
        "someone@example.org",
        "verification",
    )


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"topic": "gossip"}, "topic", "Select a valid choice"),  # not a topic on the list
        ({"body": "   "}, "body", "This field is required"),  # blank after trimming
        ({"body": "x" * 5001}, "body", "at most 5000"),  # too long
        ({"reply_to": "not-an-address"}, "reply_to", "valid email"),  # bad address
    ],
)
def test_bad_input_is_a_400_beside_its_field(
    client: Client, changes: dict[str, str], field: str, text: str
) -> None:
    response = client.post("/contact/", {**MESSAGE, "reply_to": "a@example.org", **changes})
    assert response.status_code == 400
    page = response.content.decode()
    assert f'data-field="{field}"' in page
    assert text in page
    assert not ContactMessage.objects.exists()


def test_signed_in_message_is_linked_to_the_account(client: Client, user: Any) -> None:
    client.force_login(user)
    assert "reply_to" not in client.get("/contact/").content.decode()
    response = client.post("/contact/", {**MESSAGE, "reply_to": "elsewhere@example.org"})
    assert response.status_code == 302
    message = ContactMessage.objects.get()
    assert (message.sender, message.reply_to) == (user, "")


def test_senders_are_rate_limited_per_account_and_per_address(client: Client, user: Any) -> None:
    anonymous = {**MESSAGE, "reply_to": "a@example.org"}
    for _ in range(MESSAGES_PER_WINDOW):
        assert client.post("/contact/", anonymous).status_code == 302
    refused = client.post("/contact/", anonymous)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "try again later" in refused.content.decode()
    assert ContactMessage.objects.count() == MESSAGES_PER_WINDOW

    # A signed-in member is counted on their own account, not on the shared address.
    client.force_login(user)
    assert client.post("/contact/", MESSAGE).status_code == 302


def test_moderators_see_messages_and_mark_them_handled(
    client: Client, user_factory: Any, django_assert_max_num_queries: Any
) -> None:
    moderator = user_factory(roles=[Role.MODERATOR])
    senders = [user_factory() for _ in range(3)]
    for sender in senders:
        member = Client()
        member.force_login(sender)
        member.post("/contact/", MESSAGE)
    client.post("/contact/", {**MESSAGE, "reply_to": "anon@example.org"})

    client.force_login(moderator)
    with django_assert_max_num_queries(6):
        page = client.get("/contact/inbox/").content.decode()
    assert page.count('data-testid="contact-message"') == 4
    assert "anon@example.org" in page
    assert senders[0].email in page

    first = ContactMessage.objects.order_by("created_at").first()
    assert first is not None
    response = client.post(f"/contact/inbox/{first.public_id}/handled/")
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.handled_by == moderator
    assert client.get("/contact/inbox/").content.decode().count("contact-message") == 3
    # Handled twice: the second moderator learns someone was first.
    assert client.post(f"/contact/inbox/{first.public_id}/handled/").status_code == 409


@pytest.mark.parametrize("roles", [[Role.PIONEER], [Role.VALIDATOR], [Role.REQUESTER]])
def test_only_moderators_read_the_inbox(
    client: Client, user_factory: Any, roles: list[Role]
) -> None:
    client.force_login(user_factory(roles=roles))
    message = ContactMessage.objects.create(topic="other", body="hello", reply_to="a@b.org")
    assert client.get("/contact/inbox/").status_code == 403
    assert client.post(f"/contact/inbox/{message.public_id}/handled/").status_code == 403
    assert Client().get("/contact/inbox/").status_code == 302


def test_help_page_quotes_the_configured_reputation_rules(client: Client, settings: Any) -> None:
    settings.REPUTATION_HALF_LIFE_DAYS = 90
    settings.REPUTATION_GRACE_DAYS = 7
    text = " ".join(client.get("/help/").content.decode().split())
    assert "halves every 90 days" in text
    assert "only after 7 days below it" in text
