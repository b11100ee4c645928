"""Reads of KYC cases, filtered by who is asking: a pioneer sees only their own case
(anyone else's is a 404), moderators see the queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from uuid import UUID

from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from core.errors import Forbidden, NotFound
from kyc import conf, statements
from kyc.models import (
    Case,
    CaseEvent,
    Document,
    Question,
    ReviewConflict,
    State,
    ValidatorVote,
)

QUEUE_STATES = [State.IN_REVIEW, State.ESCALATED, State.APPEALED]


def _uuid(value: str | UUID) -> UUID | None:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        return None


def _conflict_rules(person: User) -> dict[str, Q]:
    """Each way `person` can be tied to a case, as a condition on the case."""
    declared = ReviewConflict.objects.filter(reviewer=person).values("subject_id")
    voted_then_escalated = ValidatorVote.objects.filter(
        validator=person, case__events__to_state=State.ESCALATED
    ).values("case__user_id")
    own_identities = (
        Case.objects.filter(user=person).exclude(identity_hash="").values("identity_hash")
    )
    return {
        "own": Q(user_id=person.pk),
        "same_identity": Q(identity_hash__in=own_identities),
        "declared": Q(user_id__in=declared),
        "voted": Q(user_id__in=voted_then_escalated),
        "appeal": Q(state=State.APPEALED, decided_by_id=person.pk),
    }


CONFLICT_MESSAGES = {
    "own": "This is your own case: nobody reviews their own identity.",
    "same_identity": "This case uses the same identity document as your own case.",
    "declared": "You declared a conflict of interest with this person.",
    "voted": "You voted on this person's case before it went to a moderator.",
    "appeal": "An appeal is decided by a different moderator than the first decision.",
}


def conflicts_of(person: User) -> Q:
    """The cases `person` may not review, claim, decide, vote on or open as a reviewer.

    The one definition of a conflict of interest: the services' reviewer guard, the
    moderators' queue and the validators' checks all use it. A conflict is with a person,
    so it covers their later cases too:
    - their own case, and any case with the identity (document) of one of their own cases;
    - a person they declared a conflict with (`ReviewConflict`);
    - a person whose case they voted on as a validator and that then went to a moderator
      (a "no" or a risk flag): their view of that person is already on record;
    - an appeal against their own decision.
    """
    rules = iter(_conflict_rules(person).values())
    combined = next(rules)
    for rule in rules:
        combined |= rule
    return combined


def review_conflict(*, case: Case, person: User) -> str | None:
    """Why `person` may not review `case` (the first rule that applies), or None."""
    rules = _conflict_rules(person)
    found = (
        Case.objects.filter(pk=case.pk)
        .values(
            **{
                name: ExpressionWrapper(rule, output_field=BooleanField())
                for name, rule in rules.items()
            }
        )
        .first()
    )
    for name in rules:
        if found and found[name]:
            return CONFLICT_MESSAGES[name]
    return None


def case_for_viewer(*, user: User, public_id: str | UUID) -> Case:
    """The case for its owner, or for a moderator without a conflict with it (403)."""
    key = _uuid(public_id)
    cases = Case.objects.select_related("user", "claimed_by", "decided_by").prefetch_related(
        "checks"
    )
    if not user.has_perm("accounts.review_kyc_cases"):
        cases = cases.filter(user=user)
    case = cases.filter(public_id=key).first() if key else None
    if case is None:
        raise NotFound("No such case.")
    if case.user_id != user.pk and (reason := review_conflict(case=case, person=user)):
        raise Forbidden(reason)
    return case


def case_for_reviewer(*, user: User, public_id: str | UUID) -> Case:
    """The case as a moderator reviews it: never their own."""
    case = case_for_viewer(user=user, public_id=public_id)
    if case.user_id == user.pk:
        raise Forbidden(CONFLICT_MESSAGES["own"])
    return case


def current_case(*, user: User) -> Case | None:
    return (
        Case.objects.filter(user=user)
        .prefetch_related("checks", "documents")
        .order_by("-created_at")
        .first()
    )


def document_for_viewer(*, user: User, public_id: str | UUID, kind: str) -> Document:
    """A document for whoever may see its case; anyone else learns nothing, not even that
    the case exists: 404 for a conflict of interest too."""
    try:
        case = case_for_viewer(user=user, public_id=public_id)
    except Forbidden:
        raise NotFound("No such document.") from None
    document = (
        Document.objects.select_related("case")
        .filter(case=case, kind=kind, purged_at__isnull=True)
        .first()
    )
    if document is None:
        raise NotFound("No such document.")
    return document


def _waiting_for(
    reviewer: User,
    state: str | None = None,
    country: str | None = None,
    flag: str | None = None,
    older_than_hours: int | None = None,
) -> Q:
    # One condition, applied in one filter(): every filter() and exclude() clones the
    # query, and the queue is built on every request.
    wanted = Q(state__in=QUEUE_STATES) & ~conflicts_of(reviewer)
    if state:
        wanted &= Q(state=state)
    if country:
        wanted &= Q(issuing_state=country.upper())
    if flag:
        wanted &= (
            Q(risk_flags__contains=[flag])
            if _json_contains_supported()
            else Q(risk_flags__icontains=flag)
        )
    if older_than_hours is not None:
        wanted &= Q(submitted_at__lte=timezone.now() - timedelta(hours=older_than_hours))
    return wanted


_QUEUE_ORDER = (F("submitted_at").asc(nulls_last=True), "pk")


def queue(
    *,
    reviewer: User,
    state: str | None = None,
    country: str | None = None,
    flag: str | None = None,
    older_than_hours: int | None = None,
) -> QuerySet[Case]:
    """Cases waiting for `reviewer`, oldest first, with what the queue shows in one query;
    cases they have a conflict with never show."""
    wanted = _waiting_for(reviewer, state, country, flag, older_than_hours)
    return Case.objects.filter(wanted).select_related("claimed_by").order_by(*_QUEUE_ORDER)


# What a queue row shows (the API's `QueueCaseSerializer` fields, the page's columns),
# and what `claimed` is worked out from: nothing else is read from the database.
QUEUE_COLUMNS = (
    "public_id",
    "state",
    "document_type",
    "issuing_state",
    "risk_flags",
    "submitted_at",
    "claimed_by_id",
    "claim_expires_at",
)


def queue_rows(
    *,
    reviewer: User,
    state: str | None = None,
    country: str | None = None,
    flag: str | None = None,
    older_than_hours: int | None = None,
) -> QuerySet[Case, dict[str, Any]]:
    """`queue(...)` as dicts of `QUEUE_COLUMNS` only: the same cases, the same exclusions,
    without loading personal fields or building a model per row."""
    wanted = _waiting_for(reviewer, state, country, flag, older_than_hours)
    return Case.objects.filter(wanted).order_by(*_QUEUE_ORDER).values(*QUEUE_COLUMNS)


def claim_is_live(row: dict[str, Any], now: datetime) -> bool:
    return bool(row["claimed_by_id"] and row["claim_expires_at"] and row["claim_expires_at"] > now)


def next_case_for(*, reviewer: User) -> UUID | None:
    """The oldest case waiting for `reviewer` that no one else holds a live claim on (one
    query over the queue's first rows), for "next case" after a decision."""
    now = timezone.now()
    for row in queue_rows(reviewer=reviewer)[:50]:
        if row["claimed_by_id"] == reviewer.pk or not claim_is_live(row, now):
            return cast(UUID, row["public_id"])
    return None


# How many of one's own decisions the history page shows, newest first.
MY_DECISIONS_SHOWN = 100


def decisions_by(*, reviewer: User) -> QuerySet[CaseEvent]:
    """The reviewer's own decisions, newest first, with each case's public id and current
    state in the same query (the case's personal fields are not loaded)."""
    return (
        CaseEvent.objects.filter(actor=reviewer, action="decide")
        .select_related("case")
        .only("created_at", "to_state", "reason", "case__public_id", "case__state")
        .order_by("-created_at", "-pk")
    )


def _json_contains_supported() -> bool:
    from django.db import connection

    return connection.features.supports_json_field_contains


@dataclass(frozen=True)
class SlaFigures:
    waiting: int
    median_hours_to_decision: float | None
    p90_hours_to_decision: float | None
    decided_last_30_days: int


# How long the 30-day decision figures may be reused: ranking a month of decisions costs
# more than the rest of the queue page, and a minute is nothing on a 30-day figure.
DECISION_FIGURES_MAX_AGE = 60
_DECISION_FIGURES_KEY = "kyc:sla:decision-figures"


def sla_figures(*, reuse_decision_figures: bool = False) -> SlaFigures:
    """The queue's service figures. `waiting` is always counted now; with
    `reuse_decision_figures` the 30-day decision figures may be up to
    `DECISION_FIGURES_MAX_AGE` seconds old (the queue page and API), without it they are
    computed now."""
    waiting = Case.objects.filter(state__in=QUEUE_STATES).count()
    figures = cache.get(_DECISION_FIGURES_KEY) if reuse_decision_figures else None
    if figures is None:
        figures = _decision_figures()
        cache.set(_DECISION_FIGURES_KEY, figures, DECISION_FIGURES_MAX_AGE)
    median, p90, total = figures
    return SlaFigures(
        waiting=waiting,
        median_hours_to_decision=median,
        p90_hours_to_decision=p90,
        decided_last_30_days=total,
    )


def _decision_figures() -> tuple[float | None, float | None, int]:
    """(median hours, 90th percentile hours, count) of the waits from submission to
    decision over the last 30 days."""
    since = timezone.now() - timedelta(days=30)
    if connection.vendor == "postgresql":
        total, waits = statements.decision_wait_ranks(since=since)

        def hours_at(rank: int) -> float:
            # What timedelta.total_seconds() / 3600 gave for the same wait.
            return waits[rank] / 10**6 / 3600

    else:
        pairs = Case.objects.filter(decided_at__gte=since, submitted_at__isnull=False).values_list(
            "submitted_at", "decided_at"
        )
        hours = sorted(
            (decided - submitted).total_seconds() / 3600
            for submitted, decided in pairs
            if submitted is not None and decided is not None
        )
        total = len(hours)

        def hours_at(rank: int) -> float:
            return hours[rank]

    if not total:
        return None, None, 0
    # statistics.median: the middle wait, or the mean of the two middle ones.
    middle = (
        hours_at(total // 2) if total % 2 else (hours_at(total // 2 - 1) + hours_at(total // 2)) / 2
    )
    p90 = hours_at(min(total - 1, int(0.9 * total)))
    return round(middle, 2), round(p90, 2), total


def case_history(*, case: Case) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case).select_related("actor"))


def personal_data_export(*, user: User) -> dict[str, object]:
    """Everything the KYC app holds about a person, for a data-access request (GDPR art. 15).

    Document images are listed, not embedded: the person downloads each through the
    permission-checked document view.
    """
    cases = (
        Case.objects.filter(user=user)
        .prefetch_related("checks", "documents", "events")
        .order_by("created_at")
    )
    return {
        "cases": [
            {
                "id": str(case.public_id),
                "state": case.state,
                "document_type": case.document_type,
                "surname": case.surname,
                "given_names": case.given_names,
                "birth_date": case.birth_date.isoformat(),
                "nationality": case.nationality,
                "issuing_state": case.issuing_state,
                "document_number": case.document_number,
                "expiry_date": case.expiry_date.isoformat(),
                "mrz": case.mrz,
                "risk_flags": case.risk_flags,
                "reason_codes": case.reason_codes,
                "resubmission_reasons": case.resubmission_reasons,
                "submitted_at": case.submitted_at.isoformat() if case.submitted_at else None,
                "decided_at": case.decided_at.isoformat() if case.decided_at else None,
                "checks": [
                    {"name": c.name, "passed": c.passed, "code": c.code, "detail": c.detail}
                    for c in case.checks.all()
                ],
                "documents": [
                    {
                        "kind": d.kind,
                        "uploaded_at": d.uploaded_at.isoformat(),
                        "sha256": d.sha256,
                        "deleted_at": d.purged_at.isoformat() if d.purged_at else None,
                    }
                    for d in case.documents.all()
                ],
                "history": [
                    {
                        "action": e.action,
                        "from": e.from_state,
                        "to": e.to_state,
                        "at": e.created_at.isoformat(),
                    }
                    for e in case.events.all()
                ],
            }
            for case in cases
        ]
    }


def latest_case(*, user: User) -> Case | None:
    """The person's most recent case, without its checks and documents: where it stands."""
    return Case.objects.filter(user=user).order_by("-created_at", "-pk").first()


def claimed_cases(*, moderator: User) -> list[Case]:
    """Cases `moderator` holds a live claim on, the claim closest to running out first."""
    return list(
        Case.objects.filter(
            claimed_by=moderator,
            claim_expires_at__gt=timezone.now(),
            state__in=QUEUE_STATES,
        ).order_by("claim_expires_at", "pk")
    )


def oldest_waiting_since(*, reviewer: User) -> datetime | None:
    """When the case that has waited longest for `reviewer` was submitted."""
    return queue(reviewer=reviewer).values_list("submitted_at", flat=True).first()


def validator_pending_checks(*, validator: User) -> int:
    """How many checks `check_next` could still hand this validator now: per question,
    the cases in review that need more votes than they have or are promised, that they
    have not answered and have no conflict with. One query per question."""
    now = timezone.now()
    needed = conf.validator_votes()
    conflicted = conflicts_of(validator)
    pending = 0
    for question in Question.values:
        answered = ValidatorVote.objects.filter(validator=validator, question=question).values(
            "case_id"
        )
        pending += (
            Case.objects.filter(state=State.IN_REVIEW, risk_flags=[])
            .exclude(conflicted)
            .exclude(pk__in=answered)
            .annotate(
                votes_so_far=Count("votes", filter=Q(votes__question=question), distinct=True),
                handed_out=Count(
                    "check_assignments",
                    filter=Q(
                        check_assignments__question=question,
                        check_assignments__closed_at__isnull=True,
                        check_assignments__expires_at__gt=now,
                    )
                    & ~Q(check_assignments__validator=validator),
                    distinct=True,
                ),
            )
            .alias(taken=F("votes_so_far") + F("handed_out"))
            .filter(taken__lt=needed)
            .count()
        )
    return pending


@dataclass(frozen=True)
class ValidatorRecord:
    votes: int
    settled: int  # votes on cases whose final decision is known
    agreed: int

    @property
    def accuracy(self) -> float | None:
        """Share of settled votes that agreed with the final decision."""
        return self.agreed / self.settled if self.settled else None


def validator_record(*, validator: User) -> ValidatorRecord:
    counts = ValidatorVote.objects.filter(validator=validator).aggregate(
        votes=Count("pk"),
        settled=Count("pk", filter=Q(agreed_with_decision__isnull=False)),
        agreed=Count("pk", filter=Q(agreed_with_decision=True)),
    )
    return ValidatorRecord(
        votes=counts["votes"], settled=counts["settled"], agreed=counts["agreed"]
    )


def cases_holding_documents(*, user: User) -> list[Case]:
    """The person's cases that still hold a document image, oldest first, each with how
    many it holds (`documents_held`). One query."""
    return list(
        Case.objects.filter(user=user)
        .annotate(documents_held=Count("documents", filter=Q(documents__purged_at__isnull=True)))
        .filter(documents_held__gt=0)
        .order_by("created_at", "pk")
    )
