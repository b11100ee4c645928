"""Cases whose checks job was lost (broker down at submit, worker killed) are sent again by
the periodic sweep, and checks delivered twice run once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kyc.models import Case, CaseEvent, CheckResult, State
from kyc.services import cases
from tests.kyc.conftest import case_fields, upload

pytestmark = pytest.mark.django_db

NOW = timedelta(0)  # the deadline, for a sweep that should take everything still waiting


def stranded_case(pioneer_api: Any, django_capture_on_commit_callbacks: Any) -> Case:
    """A submitted case whose checks job never reached a worker (as when the broker is down:
    the after-commit send is dropped)."""
    client, _ = pioneer_api
    case_id = client.post("/api/v1/kyc/cases/", case_fields(), format="json").json()["id"]
    for kind in ("id_front", "selfie"):
        response = client.post(
            f"/api/v1/kyc/cases/{case_id}/documents/",
            {"kind": kind, "file": upload()},
            format="multipart",
        )
        assert response.status_code == 201
    with django_capture_on_commit_callbacks(execute=False) as dropped:
        assert client.post(f"/api/v1/kyc/cases/{case_id}/submit/").status_code == 200
    assert len(dropped) == 1
    return Case.objects.get(public_id=case_id)


def actions(case: Case, action: str) -> int:
    return CaseEvent.objects.filter(case=case, action=action).count()


def test_the_sweep_resends_checks_of_a_stranded_case(
    pioneer_api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = stranded_case(pioneer_api, django_capture_on_commit_callbacks)
    assert case.state == State.SUBMITTED
    assert cases.cases_requeue_stuck_checks() == 0  # submitted just now: not stuck yet
    with django_capture_on_commit_callbacks(execute=True):
        assert cases.cases_requeue_stuck_checks(older_than=NOW) == 1
    case.refresh_from_db()
    assert case.state == State.IN_REVIEW
    assert actions(case, "requeue_checks") == 1
    assert actions(case, "start_checks") == 1
    assert cases.cases_requeue_stuck_checks(older_than=NOW) == 0  # checked: nothing to do


def test_a_resent_case_waits_a_full_deadline_before_the_next_resend(
    pioneer_api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = stranded_case(pioneer_api, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        assert cases.cases_requeue_stuck_checks(older_than=NOW) == 1
    # Still queued behind others, say: the deadline counts from the resend.
    assert cases.cases_requeue_stuck_checks(older_than=timedelta(minutes=1)) == 0
    assert cases.cases_requeue_stuck_checks(older_than=NOW) == 1
    assert actions(case, "requeue_checks") == 2


def test_checks_delivered_twice_run_once(
    pioneer_api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = stranded_case(pioneer_api, django_capture_on_commit_callbacks)
    cases.case_run_checks(case=case)
    results = list(CheckResult.objects.filter(case=case).values_list("name", "passed"))
    cases.case_run_checks(case=case)  # the broker's copy after the sweep's
    assert actions(case, "start_checks") == 1
    assert actions(case, "finish_checks") == 1
    assert list(CheckResult.objects.filter(case=case).values_list("name", "passed")) == results


def test_a_case_whose_checks_never_finish_goes_to_a_moderator_instead_of_being_resent_forever(
    pioneer_api: Any, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.JOBS_MAX_RESENDS = 2
    case = stranded_case(pioneer_api, django_capture_on_commit_callbacks)
    # Each resend's job fails on this case (its message is dropped here, as a job that
    # raises leaves the case `submitted`).
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=False):
            assert cases.cases_requeue_stuck_checks(older_than=NOW) == 1
    with django_capture_on_commit_callbacks(execute=False) as sent:
        assert cases.cases_requeue_stuck_checks(older_than=NOW) == 0
    assert sent == []  # no third send
    case.refresh_from_db()
    assert case.state == State.ESCALATED
    assert "checks_failed" in case.risk_flags
    event = CaseEvent.objects.get(case=case, action="checks_failed")
    assert (event.from_state, event.to_state) == (State.SUBMITTED, State.ESCALATED)
    assert "after 3 sends" in event.reason
    assert actions(case, "requeue_checks") == 2
    # Escalated, it is no longer the sweep's: nothing more is sent.
    assert cases.cases_requeue_stuck_checks(older_than=NOW) == 0
