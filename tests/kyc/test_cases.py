"""KYC from the pioneer's upload to the moderator's decision, through the API."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.db import connections
from django.utils import timezone
from rest_framework.test import APIClient

from kyc.models import Case, CaseEvent, Document, DocumentAccess, State
from kyc.services.moderation import case_claim, case_decide
from kyc.services.retention import documents_purge
from ledger.models import Leaf
from tests.conftest import pages_client
from tests.core.helpers import header_only_png
from tests.kyc.conftest import case_fields, photo, submitted_case, upload

pytestmark = pytest.mark.django_db


def stored(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_submission_runs_checks_and_waits_for_review(
    pioneer_api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client, _ = pioneer_api
    case_id = submitted_case(client, django_capture_on_commit_callbacks)
    body = client.get(f"/api/v1/kyc/cases/{case_id}/").json()
    assert body["state"] == "in_review"
    codes = {check["name"]: check["code"] for check in body["checks"]}
    assert codes["mrz"] == "mrz_valid"
    assert codes["mrz_matches_form"] == "mrz_matches_form"
    assert codes["document_expiry"] == "document_valid"
    assert codes["minimum_age"] == "age_ok"
    assert codes["one_identity"] == "identity_unique"
    assert body["risk_flags"] == []
    actions = list(
        CaseEvent.objects.filter(case__public_id=case_id).values_list("action", flat=True)
    )
    assert actions[:1] == ["create"]
    assert actions[-3:] == ["submit", "start_checks", "finish_checks"]


def test_documents_are_encrypted_at_rest(pioneer_api: Any, kyc_media: Path) -> None:
    client, _ = pioneer_api
    case_id = client.post("/api/v1/kyc/cases/", case_fields(), format="json").json()["id"]
    original = photo()
    client.post(
        f"/api/v1/kyc/cases/{case_id}/documents/",
        {"kind": "id_front", "file": upload(content=original)},
        format="multipart",
    )
    [blob] = stored(kyc_media)
    data = blob.read_bytes()
    assert data.startswith(b"PPK1")
    assert b"JFIF" not in data
    assert b"PNG" not in data[:64]


def test_wrong_mrz_check_digit_flags_the_case(
    pioneer_api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client, _ = pioneer_api
    good = case_fields()["mrz"]
    line1, line2 = good.split("\n")
    broken = line2[:9] + str((int(line2[9]) + 1) % 10) + line2[10:]
    case_id = submitted_case(client, django_capture_on_commit_callbacks, mrz=f"{line1}\n{broken}")
    body = client.get(f"/api/v1/kyc/cases/{case_id}/").json()
    assert body["state"] == "in_review"
    assert "mrz_check_digit" in body["risk_flags"]
    [mrz] = [c for c in body["checks"] if c["name"] == "mrz"]
    assert "document_number" in mrz["detail"]


def test_underage_and_expired_are_flagged(
    pioneer_api: Any, django_capture_on_commit_callbacks: Any
) -> None:

    client, _ = pioneer_api
    today = timezone.now().date()
    case_id = submitted_case(
        client,
        django_capture_on_commit_callbacks,
        birth_date=today.replace(year=today.year - 15).isoformat(),
        expiry_date=today.replace(year=today.year - 1).isoformat(),
        mrz="",
    )
    flags = client.get(f"/api/v1/kyc/cases/{case_id}/").json()["risk_flags"]
    assert {"underage", "document_expired", "mrz_missing"} <= set(flags)


def test_one_open_case_per_pioneer(pioneer_api: Any) -> None:
    client, _ = pioneer_api
    assert client.post("/api/v1/kyc/cases/", case_fields(), format="json").status_code == 201
    second = client.post("/api/v1/kyc/cases/", case_fields(), format="json")
    assert second.status_code == 409
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "id.jpg",
            b"\x00\x01 definitely not an image" * 10,
            "not a readable",
        ),  # non-image bytes named .jpg
        ("id.jpg", photo()[:400], "damaged or truncated"),  # truncated JPEG
        ("id.png", header_only_png(30_000, 30_000), "pixels"),  # decompression bomb
        (
            "id.svg",
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "not a readable",
        ),  # SVG
        ("id.jpg", b"\xff\xd8\xff" + b"\0" * (11 * 1024 * 1024), "larger than"),  # oversized file
        ("id.jpg", b"%PDF-1.4\n" + photo(), "not a readable"),  # PDF/JPEG polyglot
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(
    pioneer_api: Any, kyc_media: Path, name: str, content: bytes, message: str
) -> None:
    client, _ = pioneer_api
    case_id = client.post("/api/v1/kyc/cases/", case_fields(), format="json").json()["id"]
    response = client.post(
        f"/api/v1/kyc/cases/{case_id}/documents/",
        {"kind": "id_front", "file": upload(name, content)},
        format="multipart",
    )
    assert response.status_code == 400
    assert message in response.json()["errors"]["file"][0]
    assert Document.objects.count() == 0
    assert stored(kyc_media) == []


def test_submit_without_documents_names_what_is_missing(pioneer_api: Any) -> None:
    client, _ = pioneer_api
    case_id = client.post(
        "/api/v1/kyc/cases/", case_fields(document_type="id_card"), format="json"
    ).json()["id"]
    response = client.post(f"/api/v1/kyc/cases/{case_id}/submit/")
    assert response.status_code == 400
    assert "id_back" in response.json()["errors"]["documents"][0]


def test_another_pioneer_gets_404_for_case_and_document(
    pioneer_api: Any, user_factory: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client, _ = pioneer_api
    case_id = submitted_case(client, django_capture_on_commit_callbacks)
    stranger = APIClient()
    stranger.force_login(user_factory())
    assert stranger.get(f"/api/v1/kyc/cases/{case_id}/").status_code == 404
    assert stranger.post(f"/api/v1/kyc/cases/{case_id}/submit/").status_code == 404
    assert stranger.get(f"/kyc/documents/{case_id}/id_front/").status_code == 404
    assert DocumentAccess.objects.count() == 0


def test_document_view_decrypts_logs_and_forbids_caching(
    pioneer_api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client, _ = pioneer_api
    case_id = submitted_case(client, django_capture_on_commit_callbacks)
    response = client.get(f"/kyc/documents/{case_id}/selfie/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response.content.startswith(b"\x89PNG")
    assert DocumentAccess.objects.count() == 1


def test_moderator_flow_approve_records_ledger_and_tells_the_pioneer(
    pioneer_api: Any, moderator_api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client, person = pioneer_api
    case_id = submitted_case(client, django_capture_on_commit_callbacks)
    moderator, _ = moderator_api()
    decision = {"decision": "approve", "reason_codes": ["documents_ok"]}
    # Deciding without a claim is refused.
    assert (
        moderator.post(f"/api/v1/kyc/cases/{case_id}/decide/", decision, format="json").status_code
        == 409
    )
    assert moderator.post(f"/api/v1/kyc/cases/{case_id}/claim/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = moderator.post(f"/api/v1/kyc/cases/{case_id}/decide/", decision, format="json")
    assert response.status_code == 200, response.json()
    person.refresh_from_db()
    assert person.is_verified
    [leaf] = Leaf.objects.filter(kind="kyc.decision")
    assert '"outcome":"approved"' in leaf.data
    assert case_id not in leaf.data
    assert person.email not in leaf.data
    assert mail.outbox[-1].to == [person.email]
    # A decided case cannot be decided again.
    assert (
        moderator.post(f"/api/v1/kyc/cases/{case_id}/decide/", decision, format="json").status_code
        == 409
    )


def test_foreign_claim_blocks_another_moderator(
    pioneer_api: Any, moderator_api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client, _ = pioneer_api
    case_id = submitted_case(client, django_capture_on_commit_callbacks)
    first, _ = moderator_api()
    second, _ = moderator_api()
    assert first.post(f"/api/v1/kyc/cases/{case_id}/claim/").status_code == 200
    assert second.post(f"/api/v1/kyc/cases/{case_id}/claim/").status_code == 409
    decision = {"decision": "reject", "reason_codes": ["document_altered"]}
    assert (
        second.post(f"/api/v1/kyc/cases/{case_id}/decide/", decision, format="json").status_code
        == 409
    )


def test_expired_claim_returns_the_case(
    pioneer_api: Any, moderator_api: Any, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    client, _ = pioneer_api
    case_id = submitted_case(client, django_capture_on_commit_callbacks)
    first, _ = moderator_api()
    second, _ = moderator_api()
    settings.KYC_CLAIM_MINUTES = -1  # every claim is already expired
    assert first.post(f"/api/v1/kyc/cases/{case_id}/claim/").status_code == 200
    assert second.post(f"/api/v1/kyc/cases/{case_id}/claim/").status_code == 200


def test_resubmission_tells_what_to_fix_and_keeps_history(
    pioneer_api: Any, moderator_api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client, _ = pioneer_api
    case_id = submitted_case(client, django_capture_on_commit_callbacks)
    moderator, _ = moderator_api()
    moderator.post(f"/api/v1/kyc/cases/{case_id}/claim/")
    missing = moderator.post(
        f"/api/v1/kyc/cases/{case_id}/decide/",
        {"decision": "request_resubmission", "reason_codes": ["document_unreadable"]},
        format="json",
    )
    assert missing.status_code == 400
    assert "resubmission_reasons" in missing.json()["errors"]
    with django_capture_on_commit_callbacks(execute=True):
        moderator.post(
            f"/api/v1/kyc/cases/{case_id}/decide/",
            {
                "decision": "request_resubmission",
                "reason_codes": ["document_unreadable"],
                "resubmission_reasons": "The photo is blurred.",
            },
            format="json",
        )
    body = client.get(f"/api/v1/kyc/cases/{case_id}/").json()
    assert body["state"] == "resubmission_requested"
    assert body["resubmission_reasons"] == "The photo is blurred."
    client.post(
        f"/api/v1/kyc/cases/{case_id}/documents/",
        {"kind": "id_front", "file": upload()},
        format="multipart",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/v1/kyc/cases/{case_id}/submit/").status_code == 200
    assert client.get(f"/api/v1/kyc/cases/{case_id}/").json()["state"] == "in_review"
    assert Case.objects.count() == 1
    assert CaseEvent.objects.filter(case__public_id=case_id, action="decide").count() == 1


def test_appeal_is_decided_by_a_different_moderator(
    pioneer_api: Any, moderator_api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client, person = pioneer_api
    case_id = submitted_case(client, django_capture_on_commit_callbacks)
    first, _ = moderator_api()
    first.post(f"/api/v1/kyc/cases/{case_id}/claim/")
    first.post(
        f"/api/v1/kyc/cases/{case_id}/decide/",
        {"decision": "reject", "reason_codes": ["selfie_mismatch"]},
        format="json",
    )
    assert (
        client.post(
            f"/api/v1/kyc/cases/{case_id}/appeal/", {"reason": "It is me."}, format="json"
        ).status_code
        == 200
    )
    # Deciding the appeal against one's own decision is a conflict of interest.
    assert first.post(f"/api/v1/kyc/cases/{case_id}/claim/").status_code == 403
    second, _ = moderator_api()
    assert second.post(f"/api/v1/kyc/cases/{case_id}/claim/").status_code == 200
    response = second.post(
        f"/api/v1/kyc/cases/{case_id}/decide/",
        {"decision": "approve", "reason_codes": ["documents_ok"]},
        format="json",
    )
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.is_verified
    assert Leaf.objects.filter(kind="kyc.decision").count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"decision": "maybe", "reason_codes": ["documents_ok"]}, "decision"),  # not a decision
        ({"decision": "approve", "reason_codes": []}, "reason_codes"),  # a reason is required
        (
            {"decision": "approve", "reason_codes": ["because"]},
            "reason_codes",
        ),  # not on the fixed list
    ],
)
def test_bad_decisions_name_the_field(
    pioneer_api: Any,
    moderator_api: Any,
    django_capture_on_commit_callbacks: Any,
    body: dict[str, Any],
    field: str,
) -> None:
    client, _ = pioneer_api
    case_id = submitted_case(client, django_capture_on_commit_callbacks)
    moderator, _ = moderator_api()
    moderator.post(f"/api/v1/kyc/cases/{case_id}/claim/")
    response = moderator.post(f"/api/v1/kyc/cases/{case_id}/decide/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Case.objects.get().state == State.IN_REVIEW


def test_pioneers_cannot_use_the_queue(pioneer_api: Any) -> None:
    client, _ = pioneer_api
    assert client.get("/api/v1/kyc/queue/").status_code == 403


def test_queue_is_oldest_first_and_its_queries_do_not_grow(
    user_factory: Any,
    moderator_api: Any,
    django_capture_on_commit_callbacks: Any,
    django_assert_max_num_queries: Any,
) -> None:
    moderator, _ = moderator_api()
    ids = []
    for n in range(1, 7):
        client = APIClient()
        client.force_login(user_factory())
        ids.append(
            submitted_case(
                client, django_capture_on_commit_callbacks, document_number=f"AB{n:07d}", mrz=""
            )
        )
        if n in (1, 6):
            with django_assert_max_num_queries(8):
                page = moderator.get("/api/v1/kyc/queue/?page_size=50").json()
            assert [row["id"] for row in page["results"]] == ids
    flagged = moderator.get("/api/v1/kyc/queue/?flag=mrz_missing").json()["results"]
    assert len(flagged) == 6
    assert moderator.get("/api/v1/kyc/queue/?country=zzz").json()["results"] == []
    sla = moderator.get("/api/v1/kyc/sla/").json()
    assert sla["waiting"] == 6


def test_duplicate_identity_escalates_both(
    user_factory: Any, django_capture_on_commit_callbacks: Any
) -> None:
    first = APIClient()
    first.force_login(user_factory())
    first_id = submitted_case(first, django_capture_on_commit_callbacks)
    second = APIClient()
    second.force_login(user_factory())
    second_id = submitted_case(second, django_capture_on_commit_callbacks)
    assert Case.objects.get(public_id=second_id).state == State.ESCALATED
    original = Case.objects.get(public_id=first_id)
    assert original.state == State.ESCALATED
    assert "duplicate_identity" in original.risk_flags


def test_retention_purge_destroys_files_but_keeps_the_record(
    pioneer_api: Any,
    moderator_api: Any,
    django_capture_on_commit_callbacks: Any,
    kyc_media: Path,
    settings: Any,
) -> None:
    client, _ = pioneer_api
    case_id = submitted_case(client, django_capture_on_commit_callbacks)
    moderator, _ = moderator_api()
    moderator.post(f"/api/v1/kyc/cases/{case_id}/claim/")
    moderator.post(
        f"/api/v1/kyc/cases/{case_id}/decide/",
        {"decision": "approve", "reason_codes": ["documents_ok"]},
        format="json",
    )
    assert documents_purge() == 0  # not yet due
    settings.KYC_RETENTION_DAYS = -1
    with django_capture_on_commit_callbacks(execute=True):
        assert documents_purge() == 2
    assert stored(kyc_media) == []
    case = Case.objects.get(public_id=case_id)
    assert case.checks.count() >= 5
    assert case.identity_hash
    assert Document.objects.filter(case=case, purged_at__isnull=False).count() == 2
    assert client.get(f"/kyc/documents/{case_id}/selfie/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_moderators_deciding_at_once_exactly_one_wins(
    postgres: None, user_factory: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = APIClient()
    client.force_login(user_factory())
    case_id = submitted_case(client, django_capture_on_commit_callbacks)
    case = Case.objects.get(public_id=case_id)
    from accounts.roles import Role

    moderators = [user_factory(roles=[Role.MODERATOR]) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def review(moderator: Any, decision: str) -> None:
        # Each moderator opens the case and decides it at the same moment.
        try:
            barrier.wait()
            case_claim(case=case, moderator=moderator)
            case_decide(
                case=case,
                moderator=moderator,
                decision=decision,
                reason_codes=["documents_ok"],
            )
            outcomes.append("won")
        except Exception as error:
            outcomes.append(type(error).__name__)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=review, args=(m, d))
        for m, d in zip(moderators, ["approve", "reject"], strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["Conflict", "won"]
    assert CaseEvent.objects.filter(case=case, action="decide").count() == 1
    assert Leaf.objects.filter(kind="kyc.decision").count() == 1


def test_pioneer_downloads_own_data_and_erases_documents(
    pioneer_api: Any, moderator_api: Any, django_capture_on_commit_callbacks: Any, kyc_media: Path
) -> None:
    client, _ = pioneer_api
    case_id = submitted_case(client, django_capture_on_commit_callbacks)
    data = client.get("/api/v1/kyc/me/data/")
    assert data.status_code == 200
    assert data["Cache-Control"] == "no-store"
    [case] = data.json()["cases"]
    assert case["id"] == case_id
    assert {d["kind"] for d in case["documents"]} == {"id_front", "selfie"}
    # Under review the documents are evidence; erasure waits for the decision.
    assert client.delete("/api/v1/kyc/me/data/").status_code == 409
    moderator, _ = moderator_api()
    moderator.post(f"/api/v1/kyc/cases/{case_id}/claim/")
    moderator.post(
        f"/api/v1/kyc/cases/{case_id}/decide/",
        {"decision": "reject", "reason_codes": ["document_unreadable"]},
        format="json",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete("/api/v1/kyc/me/data/").json() == {"erased_documents": 2}
    assert stored(kyc_media) == []
    assert Case.objects.get(public_id=case_id).checks.exists()


def _years_ago(years: int, days: int = 0) -> str:
    today = timezone.now().date()
    return (
        today.replace(year=today.year - years, day=min(today.day, 28)) - timedelta(days=days)
    ).isoformat()


def _in_years(years: int, days: int = 0) -> str:
    today = timezone.now().date()
    return (
        today.replace(year=today.year + years, day=min(today.day, 28)) + timedelta(days=days)
    ).isoformat()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("birth_date", "0001-01-01"),  # the year one
        ("birth_date", _years_ago(131)),  # older than anyone alive
        ("birth_date", _in_years(0, days=1)),  # tomorrow
        ("expiry_date", "9999-12-31"),  # the end of the calendar
        ("expiry_date", _in_years(31)),  # no document is valid that long
        ("expiry_date", "0001-01-01"),  # expired before documents existed
        ("expiry_date", "1989-12-31"),  # expired before the holder was born
        ("surname", "Wanjiku\u202egnp.exe"),  # right-to-left override
        ("surname", "Wan\u202ajiku"),  # left-to-right embedding
        ("given_names", "Amina\u2066 Njeri\u2069"),  # isolates
        ("given_names", "Am\u200bina"),  # zero-width space
        ("given_names", "Amina\u200f"),  # right-to-left mark
        ("surname", "\ufeffWanjiku"),  # byte order mark (format character)
        ("surname", "Wan\x07jiku"),  # a control character (bell)
        ("given_names", "Amina\nNjeri"),  # a line break inside a name
        ("mrz", case_fields()["mrz"].replace("<<", "<\u202e<", 1)),  # an override in the MRZ
    ],
)
def test_implausible_dates_and_spoofing_characters_are_refused(
    pioneer_api: Any, field: str, value: str
) -> None:
    client, _ = pioneer_api
    response = client.post("/api/v1/kyc/cases/", case_fields(**{field: value}), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert Case.objects.count() == 0


def test_implausible_values_are_refused_on_edit_too(pioneer_api: Any) -> None:
    client, _ = pioneer_api
    case_id = client.post("/api/v1/kyc/cases/", case_fields(), format="json").json()["id"]
    for field, value in (("expiry_date", "9999-12-31"), ("surname", "A\u202eB")):
        response = client.patch(f"/api/v1/kyc/cases/{case_id}/", {field: value}, format="json")
        assert response.status_code == 400
        assert field in response.json()["errors"]
    case = Case.objects.get()
    assert case.surname == "Wanjiku"
    assert case.expiry_date.year < 9999


@pytest.mark.parametrize(
    ("surname", "given_names"),
    [
        ("Nuñez-O'Brien", "Zoë Ana"),  # accents, apostrophe, hyphen
        ("李", "小龙"),  # Han script
        ("عبد الله", "محمد"),  # Arabic, right-to-left by its own letters
    ],
)
def test_real_names_in_any_script_are_accepted(
    pioneer_api: Any, surname: str, given_names: str
) -> None:
    client, _ = pioneer_api
    response = client.post(
        "/api/v1/kyc/cases/",
        case_fields(surname=surname, given_names=given_names, mrz=""),
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Case.objects.get().surname == surname


def test_the_wizard_page_names_the_spoofed_field(user_factory: Any) -> None:
    from django.test import Client

    client = Client()
    client.force_login(user_factory())
    fields = {**case_fields(surname="Wanjiku\u202e"), "id_front": upload(), "selfie": upload()}
    response = client.post("/kyc/", fields)
    assert response.status_code == 400
    assert b"invisible" in response.content
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    "query",
    [
        "older_than_hours=100000000",  # overflowed the date arithmetic (a 500)
        "older_than_hours=99999999999999999999",  # beyond any integer column
        "older_than_hours=-1",  # negative
    ],
)
def test_queue_filter_out_of_range_is_a_field_error(moderator_api: Any, query: str) -> None:

    client, _moderator = moderator_api()
    response = client.get(f"/api/v1/kyc/queue/?{query}")
    assert response.status_code == 400
    assert "older_than_hours" in response.json()["errors"]
    page = pages_client(client)
    assert page.get(f"/kyc/review/?{query}").status_code == 200
