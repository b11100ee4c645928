"""The score-over-time chart as SVG geometry, drawn on the server (no script needed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from reputation.scoring import EPOCH, LEVELS

WIDTH, HEIGHT, PAD = 600, 200, 28


@dataclass(frozen=True)
class Chart:
    points: str  # polyline points
    dots: list[tuple[float, float, str]]  # x, y, label
    levels: list[tuple[float, int]]  # y of each level's minimum score, the level
    first: date
    last: date
    width: int = WIDTH
    height: int = HEIGHT


def score_chart(history: list[tuple[int, float]]) -> Chart | None:
    """Scores (0..1) of active days on a time axis; None without history."""
    if not history:
        return None
    first, last = history[0][0], history[-1][0]
    span = max(1, last - first)

    def x(day: int) -> float:
        return round(PAD + (WIDTH - 2 * PAD) * (day - first) / span, 1)

    def y(score: float) -> float:
        return round(HEIGHT - PAD - (HEIGHT - 2 * PAD) * score, 1)

    dots = [
        (x(day), y(score), f"{EPOCH + timedelta(days=day):%d %b %Y}: score {score:.3f}")
        for day, score in history
    ]
    return Chart(
        points=" ".join(f"{dx},{dy}" for dx, dy, _ in dots),
        dots=dots,
        levels=[(y(minimum), rank) for rank, (_, minimum) in enumerate(LEVELS, start=2)],
        first=EPOCH + timedelta(days=first),
        last=EPOCH + timedelta(days=last),
    )
