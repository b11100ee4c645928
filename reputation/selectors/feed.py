"""The public, recomputable feed: events and scores with people as keyed pseudonyms (as in
the ledger), and every person's day totals rebuilt from the events alone."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import BigIntegerField, Count, F, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast, Round

from accounts.models import User
from ledger.pseudonyms import pseudonym
from ledger.schemas import utc_timestamp
from reputation import scoring
from reputation.conf import rules
from reputation.models import ReputationDay, ReputationEvent, ReputationScore

PSEUDONYM_NAMESPACE = "pioneer"


def person_pseudonym(user: User) -> str:
    return pseudonym(PSEUDONYM_NAMESPACE, user.public_id)


def public_event(event: ReputationEvent) -> dict[str, Any]:
    """An event as the public sees it: no name, no subject (it can point at content)."""
    return {
        "id": event.id,
        "person": person_pseudonym(event.user),
        "source": event.source,
        "positive": event.positive,
        "weight": event.weight,
        "reason": event.reason,
        "rule_version": event.rule_version,
        "at": utc_timestamp(event.created_at),
        "voids": event.voids_id,
    }


# One row per person and day: the day's gains, summed exactly in integers, and its losses
# as a count and the least and greatest milli among them. A loss is scaled before it is
# summed, so a day's losses are the count times one scaled amount only when they all weigh
# the same; the other days' losses are counted per weight by a second query. The milli of an
# event is its weight in whole thousandths, as `scoring.weight_milli` takes it.
DAY_TOTALS = """
SELECT user_id, day,
       CAST(SUM(CASE WHEN positive THEN CAST(ROUND(weight * 1000) AS BIGINT) ELSE 0 END)
            AS BIGINT),
       SUM(CASE WHEN positive THEN 0 ELSE 1 END),
       MIN(CASE WHEN positive THEN NULL ELSE CAST(ROUND(weight * 1000) AS BIGINT) END),
       MAX(CASE WHEN positive THEN NULL ELSE CAST(ROUND(weight * 1000) AS BIGINT) END)
FROM reputation_reputationevent
WHERE voids_id IS NULL
GROUP BY user_id, day
"""


def day_totals_from_events() -> dict[int, dict[int, scoring.DayTotals]]:
    """Every person's day totals, from the events alone (grouped in SQL)."""
    current = rules()
    per_user: dict[int, dict[int, scoring.DayTotals]] = {}
    DayTotals, scaled = scoring.DayTotals, scoring.scaled
    mixed: set[tuple[int, int]] = set()
    with connection.cursor() as cursor:
        cursor.execute(DAY_TOTALS)
        for user_id, day, gained, losses, least, greatest in cursor.fetchall():
            days = per_user.get(user_id)
            if days is None:
                days = per_user[user_id] = {}
            totals = days[day] = DayTotals(gained=gained)
            if losses:
                if least == greatest:
                    totals.lost = scaled(least, day, current) * int(losses)
                else:
                    mixed.add((user_id, day))
    if mixed:
        milli = Cast(Round(F("weight") * scoring.MILLI), BigIntegerField())
        losses_by_weight = (
            ReputationEvent.objects.filter(
                voids__isnull=True,
                positive=False,
                user_id__in=sorted({user_id for user_id, _ in mixed}),
            )
            .values_list("user_id", "day", milli)
            .annotate(events=Count("id"))
            .order_by()
        )
        for user_id, day, event_milli, events in losses_by_weight:
            if (user_id, day) in mixed:
                per_user[user_id][day].lost += scaled(event_milli, day, current) * events
    voiding = ReputationEvent.objects.filter(voids__isnull=False).values_list(
        "user_id", "day", "weight", "voids__day"
    )
    for user_id, day, weight, voided_day in voiding.iterator():
        totals = per_user.setdefault(user_id, {}).setdefault(day, DayTotals())
        totals.add(
            day=day,
            positive=True,
            milli=scoring.weight_milli(weight),
            voided_day=voided_day,
            rules=current,
        )
    return per_user


def public_events(*, after: int) -> QuerySet[ReputationEvent]:
    return (
        ReputationEvent.objects.filter(id__gt=after)
        .select_related("user")
        .only(
            "id",
            "user__public_id",
            "source",
            "positive",
            "weight",
            "reason",
            "rule_version",
            "created_at",
            "voids_id",
        )
        .order_by("id")
    )


def latest_event_id() -> int:
    return ReputationEvent.objects.aggregate(latest=Max("id"))["latest"] or 0


def scores_for_public(*, day: int, grace_days: int) -> QuerySet[ReputationScore]:
    """Scores with the last day close before `day`'s grace window, for `standings_at`."""
    carried = ReputationDay.objects.filter(
        user=OuterRef("user"), day__lt=day - grace_days
    ).order_by("-day")
    return (
        ReputationScore.objects.select_related("user")
        .only("id", "user__public_id", "positive_scaled", "total_scaled")
        .annotate(
            carried_day=Subquery(carried.values("day")[:1]),
            carried_positive=Subquery(carried.values("positive")[:1]),
            carried_total=Subquery(carried.values("total")[:1]),
        )
    )


def standings_at(
    scores: list[Any], *, day: int, rules: scoring.Rules
) -> dict[int, tuple[float, float, int]]:
    """(score, evidence, level) at `day` for rows of `scores_for_public`, in one query."""
    window: dict[int, list[scoring.DayClose]] = {}
    rows = ReputationDay.objects.filter(
        user_id__in=[score.user_id for score in scores],
        day__gte=day - rules.grace_days,
        day__lt=day,
    ).values_list("user_id", "day", "positive", "total", "candidate")
    for user_id, row_day, positive, total, candidate in rows:
        window.setdefault(user_id, []).append(
            scoring.DayClose(row_day, int(positive), int(total), candidate)
        )
    result = {}
    for score in scores:
        history = list(window.get(score.user_id, []))
        if score.carried_day is not None:
            history.append(
                scoring.DayClose(
                    score.carried_day,
                    int(score.carried_positive),
                    int(score.carried_total),
                    0,  # level_on re-evaluates the carried close at the window's start
                )
            )
        current = (int(score.positive_scaled), int(score.total_scaled))
        value, evidence = scoring.standing_at(*current, day, rules)
        level = scoring.level_on(day, current=current, history=history, rules=rules)
        result[score.user_id] = (value, evidence, level)
    return result
