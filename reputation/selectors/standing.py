"""A person's standing: level and privileges, score and history, their events in words,
and whether their public profile shows their name."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import User
from reputation import scoring
from reputation.conf import rules
from reputation.models import (
    Penalty,
    PublicProfile,
    ReputationDay,
    ReputationEvent,
    ReputationScore,
)
from reputation.scoring import PRIVILEGES


def user_level(*, user: User) -> int:
    """1 for a newcomer; rises with weighted good outcomes (see reputation.scoring)."""
    level = ReputationScore.objects.filter(user=user).values_list("level", flat=True).first()
    return level or 1


def has_privilege(user: User, name: str) -> bool:
    """Whether `user`'s level unlocks privilege `name` (a key of `scoring.PRIVILEGES`)."""
    try:
        needed = PRIVILEGES[name]
    except KeyError:
        raise ValueError(f"unknown privilege {name!r}") from None
    if not user.is_authenticated:
        return False
    return needed <= 1 or user_level(user=user) >= needed


def privileges_of(level: int) -> list[str]:
    return [name for name, needed in PRIVILEGES.items() if needed <= level]


PRIVILEGE_WORDS = {
    "review_peers": "review other people's answers",
    "validator_candidate": "become a KYC validator",
    "work_higher_level_projects": "work projects that ask for level 3",
    "host_workshops": "host workshops",
    "weighted_flags": "flag with more weight",
}


@dataclass(frozen=True)
class NextStep:
    level: int
    gains: int | None
    words: str


def next_step(*, level: int, positive: float, total: float) -> NextStep | None:
    """What the next level needs, in words; None at the top level."""
    if level >= scoring.TOP_LEVEL:
        return None
    target = level + 1
    unlocks = ", ".join(
        PRIVILEGE_WORDS[name] for name, needed in PRIVILEGES.items() if needed == target
    )
    gains = scoring.gains_to_next_level(positive=positive, total=total, level=level)
    if gains is None:
        words = f"Level {target} (to {unlocks}) needs a better share of good outcomes."
    else:
        plural = "" if gains == 1 else "s"
        words = (
            f"{gains} more good outcome{plural} (accepted or correct answers, agreeing votes) "
            f"with no bad ones reach level {target}, so you can {unlocks}."
        )
    return NextStep(level=target, gains=gains, words=words)


def next_step_summary(*, user: User) -> dict[str, object] | None:
    standing = standing_of(user=user)
    step = next_step(level=standing.level, positive=standing.positive, total=standing.evidence)
    return None if step is None else {"level": step.level, "gains": step.gains, "words": step.words}


@dataclass(frozen=True)
class Standing:
    score: float
    evidence: float
    positive: float
    level: int
    day: int


def standing_of(*, user: User) -> Standing:
    score = ReputationScore.objects.filter(user=user).first()
    if score is None:
        return Standing(0.0, 0.0, 0.0, 1, 0)
    return Standing(score.score, score.total, score.positive, score.level, score.as_of_day)


EVENT_WORDS: dict[tuple[str, bool], str] = {
    ("gold", True): "Correct answer to a gold question",
    ("gold", False): "Wrong answer to a gold question",
    ("peer_review", True): "Peer reviewers accepted your answer",
    ("peer_review", False): "Peer reviewers rejected your answer",
    ("review_quality", True): "Your review agreed with the final outcome",
    ("review_quality", False): "Your review disagreed with the final outcome",
    ("kyc_vote", True): "Your validator vote agreed with the final decision",
    ("kyc_vote", False): "Your validator vote disagreed with the final decision",
    ("workshop", True): "You attended a workshop",
    ("workshop", False): "You missed a workshop you had a seat for",
    ("penalty", False): "Moderator penalty",
    ("penalty", True): "Penalty withdrawn on appeal",
}


def event_words(event: ReputationEvent) -> str:
    words = EVENT_WORDS.get((event.source, event.positive), event.get_source_display())
    if event.source == "penalty" and event.reason and event.reason != "overturned":
        label = dict(Penalty.Reason.choices).get(event.reason, event.reason)
        words = f"{words}: {label}"
    return words


def events_of(*, user: User, limit: int = 50) -> list[ReputationEvent]:
    return list(ReputationEvent.objects.filter(user=user).order_by("-id")[:limit])


def days_of(*, user: User, limit: int = 120) -> list[ReputationDay]:
    rows = list(ReputationDay.objects.filter(user=user).order_by("-day")[:limit])
    rows.reverse()
    return rows


def score_history(*, user: User, limit: int = 120) -> list[tuple[int, float]]:
    """(day, score at the close of that day) for the person's latest active days."""
    current = rules()
    return [
        (row.day, scoring.standing_at(int(row.positive), int(row.total), row.day, current)[0])
        for row in days_of(user=user, limit=limit)
    ]


def shows_display_name(*, user: User) -> bool:
    return PublicProfile.objects.filter(user=user, show_display_name=True).exists()
