"""Personal data in the site: a download of everything held about me, deleting my identity
document images, and closing my account, each behind a confirmation."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.test import Client

from accounts.models import User
from accounts.services.profiles import profile_update
from kyc.models import Case, Document, State
from kyc.services import cases, documents
from support.models import ContactMessage
from tests.conftest import PASSWORD
from tests.kyc.conftest import case_fields, photo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.fixture
def with_documents(user: User) -> Case:
    case = cases.case_create(user=user, **draft_fields())
    for kind in ("id_front", "selfie"):
        documents.document_upload(case=case, user=user, kind=kind, upload=io.BytesIO(photo()))
    return case


def draft_fields() -> dict[str, Any]:
    fields = case_fields()
    for name in ("birth_date", "expiry_date"):
        fields[name] = datetime.date.fromisoformat(fields[name])
    return fields


def signed_in(person: User) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_download_holds_what_every_app_keeps(
    user: User, with_documents: Case, django_assert_max_num_queries: Any
) -> None:
    profile_update(user=user, display_name="Amina")
    ContactMessage.objects.create(sender=user, topic="privacy", body="What do you keep?")
    client = signed_in(user)
    with django_assert_max_num_queries(16):
        response = client.get("/account/data/download/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["account"]["email"] == user.email
    assert data["account"]["profile"]["display_name"] == "Amina"
    [case] = data["identity_verification"]["cases"]
    assert case["surname"] == "Wanjiku"
    assert sorted(d["kind"] for d in case["documents"]) == ["id_front", "selfie"]
    assert data["tasks"] == {"answers": [], "credits": []}
    assert data["contact_messages"][0]["message"] == "What do you keep?"


def test_deleting_documents_needs_confirmation_then_erases_files(
    user: User, with_documents: Case, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    client = signed_in(user)
    page = client.get("/account/data/").content.decode()
    assert "We hold 2 images" in page
    assert len(stored(media)) == 2
    refused = client.post("/account/data/documents/delete/", {})
    assert refused.status_code == 400
    assert "Tick the box to confirm." in refused.content.decode()
    assert Document.objects.filter(purged_at__isnull=True).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/account/data/documents/delete/", {"confirm": "on"})
    assert response.status_code == 302
    assert Document.objects.filter(purged_at__isnull=True).count() == 0
    assert stored(media) == []
    assert "We hold no images" in client.get("/account/data/").content.decode()


def test_documents_under_review_stay_until_decided(user: User, with_documents: Case) -> None:
    Case.objects.filter(pk=with_documents.pk).update(state=State.IN_REVIEW)
    client = signed_in(user)
    assert "can be deleted once it is decided" in client.get("/account/data/").content.decode()
    response = client.post("/account/data/documents/delete/", {"confirm": "on"})
    assert response.status_code == 409
    assert Document.objects.filter(purged_at__isnull=True).count() == 2


def test_closing_the_account_checks_the_password_then_removes_the_person(
    user_factory: Any, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    person = user_factory(totp=True)
    case = cases.case_create(user=person, **draft_fields())
    documents.document_upload(case=case, user=person, kind="selfie", upload=io.BytesIO(photo()))
    profile_update(user=person, display_name="Amina", country="KE", languages=["en"])
    email = person.email
    client = signed_in(person)

    wrong = client.post("/account/close/", {"password": "nope", "confirm": "on"})
    assert wrong.status_code == 400
    assert "That is not your password." in wrong.content.decode()
    unticked = client.post("/account/close/", {"password": PASSWORD})
    assert unticked.status_code == 400
    assert User.objects.get(pk=person.pk).is_active

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/account/close/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    closed = User.objects.select_related("profile").get(pk=person.pk)
    assert not closed.is_active
    assert not closed.has_usable_password()
    assert email not in closed.email
    assert (closed.profile.display_name, closed.profile.languages) == ("", [])
    assert not EmailAddress.objects.filter(user=closed).exists()
    assert not Authenticator.objects.filter(user=closed).exists()
    assert list(closed.groups.all()) == []
    assert stored(media) == []
    assert Case.objects.filter(user=closed).exists()  # the record of the decision stays
    # Signed out, and the address cannot sign in again.
    assert client.get("/dashboard/").status_code == 302
    assert not Client().login(email=email, password=PASSWORD)


def test_an_account_with_a_case_under_review_is_not_closed(
    user: User, with_documents: Case
) -> None:
    Case.objects.filter(pk=with_documents.pk).update(state=State.ESCALATED)
    response = signed_in(user).post("/account/close/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 409
    assert "being reviewed" in response.content.decode()
    assert User.objects.get(pk=user.pk).is_active


def test_data_pages_need_sign_in(client: Client) -> None:
    for url in (
        "/account/data/",
        "/account/data/download/",
        "/account/data/documents/delete/",
        "/account/close/",
    ):
        assert client.get(url).status_code == 302
