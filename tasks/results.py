"""Results for a requester: aggregated labels, agreement, gold accuracy (the export's
bytes are `tasks.export_format`'s, from the same cached aggregate).

Reads only, plus a cache of its own results per state of the answers. Aggregation and
agreement themselves are the pure modules `tasks.aggregation` and `tasks.agreement`; this
module feeds them from the database and shapes what comes back. Pioneers appear only as
keyed pseudonyms per project (`pioneer_pseudonym`), never by id or e-mail.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from django.core.cache import cache
from django.db.models import Count, Max

from ledger.pseudonyms import pseudonym
from tasks import aggregation
from tasks.agreement import krippendorff_alpha
from tasks.models import Answer, DatasetExport, GoldScore, Item, Kind, Project

METHODS = ("majority", "weighted", "dawid_skene")
# Agreement is computed over at most this many (pioneer x item) cells; beyond it, over the
# first items in upload order, and the result says so.
ALPHA_MAX_CELLS = 2_000_000
EXPORT_BATCH = 2000
# Results are cached per state of the answers (see `answers_stamp`), so this only bounds
# how long a stale entry occupies the cache.
RESULTS_CACHE_SECONDS = 3600
T = TypeVar("T")


def default_method(project: Project) -> str | None:
    if project.kind == Kind.FREE_TEXT:
        return None
    return "majority"


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


@dataclass
class ProjectResults:
    method: str | None
    labels: dict[int, tuple[Any, float]] = field(default_factory=dict)
    answer_counts: dict[int, int] = field(default_factory=dict)


def pioneer_weights(*, project: Project) -> dict[int, float]:
    """Weights for the weighted vote: gold accuracy with a uniform prior (Laplace), so a
    pioneer with no gold answers yet counts as a coin flip rather than as perfect."""
    return {
        pioneer_id: (correct + 1) / (seen + 2)
        for pioneer_id, seen, correct in GoldScore.objects.filter(project=project).values_list(
            "pioneer_id", "seen", "correct"
        )
    }


def answers_stamp(*, project: Project) -> str:
    """Changes whenever the project's answers do: a new answer raises the last id, an
    answer removed with an erased account lowers the count. Gold answers are included, as
    they move the gold accuracy the weighted vote uses."""
    stamp = Answer.objects.filter(project=project).aggregate(last=Max("pk"), count=Count("pk"))
    return f"{stamp['last'] or 0}.{stamp['count']}"


def _cached(project: Project, name: str, compute: Callable[[], T], stamp: str | None) -> T:
    """`compute()` once per state of the project's answers: a page of results, a filter
    or an export reuse it instead of reading and aggregating every answer again. A caller
    that needs several results passes the `stamp` it read once."""
    stamp = stamp or answers_stamp(project=project)
    key = f"tasks:results:{project.public_id}:{name}:{stamp}"
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, timeout=RESULTS_CACHE_SECONDS)
    return cast(T, found)


def aggregate(
    *, project: Project, method: str | None = None, stamp: str | None = None
) -> ProjectResults:
    """Aggregated label and confidence per item (item pk -> (label, confidence))."""
    method = method or default_method(project)
    return _cached(project, f"aggregate:{method}", lambda: _aggregate(project, method), stamp)


def _aggregate(project: Project, method: str | None) -> ProjectResults:
    triples: list[tuple[int, int, Any]] = []
    counts: dict[int, int] = {}
    for item_id, pioneer_id, value in (
        Answer.objects.filter(project=project, is_gold=False)
        .order_by("item_id", "pk")
        .values_list("item_id", "pioneer_id", "value")
        .iterator(chunk_size=EXPORT_BATCH)
    ):
        triples.append((item_id, pioneer_id, _hashable(value)))
        counts[item_id] = counts.get(item_id, 0) + 1
    results = ProjectResults(method=method, answer_counts=counts)
    if method is None or not triples:
        return results
    if method == "majority":
        labels = aggregation.majority_vote(triples)
    elif method == "weighted":
        weights = pioneer_weights(project=project)
        labels = aggregation.weighted_vote(
            triples, {pioneer: weights.get(pioneer, 0.5) for _, pioneer, _ in triples}
        )
    elif method == "dawid_skene":
        labels = aggregation.dawid_skene(triples)
    else:
        raise ValueError(f"unknown method {method!r}")
    results.labels = {item: (_plain(label), float(conf)) for item, (label, conf) in labels.items()}
    return results


@dataclass
class Agreement:
    alpha: float | None
    level: str | None
    items: int
    pioneers: int
    sampled: bool


def agreement(*, project: Project, stamp: str | None = None) -> Agreement:
    """Krippendorff's alpha over non-gold items answered at least twice."""
    return _cached(project, "agreement", lambda: _agreement(project), stamp)


def _agreement(project: Project) -> Agreement:
    level = {
        Kind.SINGLE_LABEL: "nominal",
        Kind.PAIRWISE: "nominal",
        Kind.MULTI_LABEL: "nominal",
        Kind.RATING: "ordinal",
    }.get(Kind(project.kind))
    if level is None:
        return Agreement(None, None, 0, 0, sampled=False)
    rows = list(
        Answer.objects.filter(project=project, is_gold=False)
        .order_by("item_id")
        .values_list("item_id", "pioneer_id", "value")
    )
    by_item: dict[int, list[tuple[int, Any]]] = {}
    for item_id, pioneer_id, value in rows:
        by_item.setdefault(item_id, []).append((pioneer_id, _hashable(value)))
    shared = [item for item, answers in by_item.items() if len(answers) >= 2]
    pioneers = sorted({pioneer for item in shared for pioneer, _ in by_item[item]})
    sampled = False
    if pioneers and len(pioneers) * len(shared) > ALPHA_MAX_CELLS:
        shared = shared[: ALPHA_MAX_CELLS // len(pioneers)]
        sampled = True
    if not shared:
        return Agreement(None, level, 0, len(pioneers), sampled=False)
    # Nominal values become small integer codes; ratings keep their numbers.
    codes: dict[Any, int] = {}
    column = {item: index for index, item in enumerate(shared)}
    row_of = {pioneer: index for index, pioneer in enumerate(pioneers)}
    data: list[list[Any]] = [[None] * len(shared) for _ in pioneers]
    for item in shared:
        for pioneer, value in by_item[item]:
            cell = value if level == "ordinal" else codes.setdefault(value, len(codes))
            data[row_of[pioneer]][column[item]] = cell
    try:
        alpha = float(krippendorff_alpha(data, level=level))  # type: ignore[arg-type]
    except (ValueError, ZeroDivisionError):
        # Undefined when every value is the same (no variation to disagree about).
        alpha = None
    if alpha is not None and alpha != alpha:
        alpha = None
    return Agreement(alpha, level, len(shared), len(pioneers), sampled)


def pioneer_pseudonym(project: Project, pioneer_public_id: Any) -> str:
    """How a pioneer appears to a project's requester, in results and exports: stable
    within the project, so answers can be grouped by person, but different in every other
    project and from the public log's `pseudonym("pioneer", ...)`, so requesters cannot
    link one person's work across projects or to their public reputation changes."""
    return pseudonym("project.pioneer", f"{project.public_id}:{pioneer_public_id}")


def gold_accuracy(*, project: Project) -> list[dict[str, Any]]:
    """Per pioneer (pseudonymous) gold accuracy, lowest first."""
    rows = []
    for public_id, seen, correct, paused_at in GoldScore.objects.filter(
        project=project, seen__gt=0
    ).values_list("pioneer__public_id", "seen", "correct", "paused_at"):
        rows.append(
            {
                "pioneer": pioneer_pseudonym(project, public_id),
                "gold_answers": seen,
                "gold_correct": correct,
                "accuracy": correct / seen,
                "paused": paused_at is not None,
            }
        )
    rows.sort(key=lambda row: (row["accuracy"], row["pioneer"]))
    return rows


def confidence_histogram(results: ProjectResults, bins: int = 10) -> list[int]:
    counts = [0] * bins
    for _, confidence in results.labels.values():
        counts[min(bins - 1, max(0, int(confidence * bins)))] += 1
    return counts


# --- The requester's report --------------------------------------------------------------


@dataclass
class Report:
    method: str | None
    rows: list[dict[str, Any]]  # the requested page of the matching items
    count: int  # every matching item
    agreement: Agreement
    gold: list[dict[str, Any]]
    exports: list[dict[str, Any]]
    histogram: list[int]
    label_counts: dict[str, int]

    def agreement_payload(self) -> dict[str, Any]:
        return {
            "alpha": self.agreement.alpha,
            "level": self.agreement.level,
            "items": self.agreement.items,
            "pioneers": self.agreement.pioneers,
            "sampled": self.agreement.sampled,
            "confidence_histogram": self.histogram,
            "label_counts": self.label_counts,
        }


def label_text(label: Any) -> str:
    if isinstance(label, list):
        return ", ".join(str(part) for part in label) or "(none)"
    return "" if label is None else str(label)


def _label_counts(aggregated: ProjectResults) -> dict[str, int]:
    counts = Counter(label_text(value) for value, _ in aggregated.labels.values())
    return dict(sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])))


def report(
    *,
    project: Project,
    method: str | None = None,
    label: str | None = None,
    min_confidence: float | None = None,
    max_confidence: float | None = None,
    offset: int = 0,
    limit: int = 100,
) -> Report:
    """Everything the results page and API show, for one page of items, in a fixed number
    of queries whatever the project's size.

    Unfiltered, the page comes from the database in item order. A filter needs a label,
    so it runs over the (cached) aggregate alone, and only the page's items are read."""
    stamp = answers_stamp(project=project)
    aggregated = aggregate(project=project, method=method, stamp=stamp)
    items = Item.objects.filter(project=project, is_gold=False).order_by("pk")
    filtered = label is not None or min_confidence is not None or max_confidence is not None
    if filtered:
        matching = sorted(
            pk
            for pk, (value, confidence) in aggregated.labels.items()
            if (label is None or label_text(value) == label)
            and (min_confidence is None or confidence >= min_confidence)
            and (max_confidence is None or confidence <= max_confidence)
        )
        count = len(matching)
        page = items.filter(pk__in=matching[offset : offset + limit])
    else:
        count = items.count()
        page = items[offset : offset + limit]
    rows = []
    for pk, public_id, ref in page.values_list("pk", "public_id", "ref"):
        value, confidence = aggregated.labels.get(pk, (None, None))
        rows.append(
            {
                "item": public_id,
                "ref": ref,
                "label": value,
                "label_text": label_text(value),
                "confidence": confidence,
                "method": aggregated.method if value is not None else None,
                "answers": aggregated.answer_counts.get(pk, 0),
            }
        )
    exports = [
        {
            "id": str(export.public_id),
            "format": export.format,
            "sha256": export.sha256,
            "items": export.items,
            "answers": export.answers,
            "exported_at": export.exported_at,
            "ledger_index": export.ledger_index,
            "proof_url": f"/transparency/?index={export.ledger_index}",
        }
        for export in DatasetExport.objects.filter(project=project)[:10]
    ]
    return Report(
        method=aggregated.method,
        rows=rows,
        count=count,
        agreement=agreement(project=project, stamp=stamp),
        gold=gold_accuracy(project=project),
        exports=exports,
        histogram=confidence_histogram(aggregated),
        label_counts=_label_counts(aggregated),
    )
