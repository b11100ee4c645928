"""How long something has waited, in the words of Django's `timesince`, for many waits at
once (the moderators' queue page)."""

from __future__ import annotations

from datetime import datetime

from django.utils.html import avoid_wrapping
from django.utils.timesince import (
    MONTHS_DAYS,
    TIME_CHUNKS,
    TIME_STRINGS,
    TIME_STRINGS_KEYS,
    timesince,
)
from django.utils.translation import gettext


class WaitsInWords:
    """`timesince(submitted_at, now)` for a page of waits: the same words, worded once.

    `timesince` resolves its lazy unit strings, their nowrap and the separator on every
    call, which cost more than the rest of a row. Its calendar arithmetic is repeated here
    (years and months up to a pivot date, then weeks, days, hours and minutes, the first
    two adjacent non-zero units shown), and each different pair of units it shows is
    worded once per page. Times not in UTC, which the database never returns, go through
    `timesince` itself: its calendar is the time's own zone."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.worded: dict[tuple[int, ...], str] = {}

    def __call__(self, then: datetime) -> str:
        now = self.now
        if then.utcoffset() or now.utcoffset():
            return timesince(then, now)
        delta = now - then
        if delta.days * 24 * 60 * 60 + delta.seconds <= 0:
            return self._words(())
        total_months = (now.year - then.year) * 12 + (now.month - then.month)
        if then.day > now.day or (then.day == now.day and then.time() > now.time()):
            total_months -= 1
        years, months = divmod(total_months, 12)
        pivot = then
        if years or months:
            pivot_year, pivot_month = then.year + years, then.month + months
            if pivot_month > 12:
                pivot_month -= 12
                pivot_year += 1
            pivot = datetime(
                pivot_year,
                pivot_month,
                min(MONTHS_DAYS[pivot_month - 1], then.day),
                then.hour,
                then.minute,
                then.second,
                tzinfo=then.tzinfo,
            )
        remaining = (now - pivot).total_seconds()
        counts = [years, months]
        for seconds in TIME_CHUNKS:
            count = int(remaining // seconds)
            counts.append(count)
            remaining -= seconds * count
        first = next((n for n, count in enumerate(counts) if count != 0), None)
        if first is None:
            return self._words(())
        shown = counts[first : first + 2]
        if len(shown) == 2 and shown[1] == 0:
            shown.pop()
        return self._words((first, *shown))

    def _words(self, shown: tuple[int, ...]) -> str:
        """`shown`: the index of the first unit shown and the counts shown from it, or
        nothing for "0 minutes"."""
        if shown not in self.worded:
            if not shown:
                self.worded[shown] = avoid_wrapping(TIME_STRINGS["minute"] % {"num": 0})
            else:
                first, *counts = shown
                self.worded[shown] = gettext(", ").join(
                    avoid_wrapping(TIME_STRINGS[name] % {"num": count})
                    for name, count in zip(TIME_STRINGS_KEYS[first:], counts, strict=False)
                )
        return self.worded[shown]
