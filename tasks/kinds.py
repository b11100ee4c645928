"""What an answer to each kind of project looks like; pure functions, no Django.

A project's `spec` is the part of its configuration that decides which answers are valid:
kind, labels, scale, text length. Every answer (and every gold answer uploaded with an item)
goes through `clean_answer`, which returns the canonical form that is stored and compared:
multi-label answers as a sorted list, free text stripped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KINDS = ("single_label", "multi_label", "pairwise", "rating", "free_text")
PAIR_CHOICES = ("a", "b")
MAX_LABELS = 50
MAX_LABEL_LENGTH = 80


class AnswerError(ValueError):
    pass


@dataclass(frozen=True)
class Spec:
    kind: str
    labels: tuple[str, ...] = ()
    scale_min: int = 1
    scale_max: int = 5
    text_max_length: int = 2000

    @property
    def choices(self) -> tuple[str, ...]:
        return PAIR_CHOICES if self.kind == "pairwise" else self.labels


# Label kinds are judged by gold and by aggregating several answers; a free text or a
# rating has no single right answer to compare with, so peers judge it.
REVIEWED_BY_DEFAULT = ("free_text", "rating")


def default_review_rate(kind: str) -> float:
    """Share of a new project's answers that peers review, unless the requester says."""
    return 1.0 if kind in REVIEWED_BY_DEFAULT else 0.0


def clean_labels(kind: str, labels: Any) -> list[str]:
    """The label set of a label project; raises AnswerError with a message for people."""
    if kind not in ("single_label", "multi_label"):
        return []
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise AnswerError("Give the labels as a list of text.")
    cleaned = [label.strip() for label in labels]
    if len(cleaned) < 2:
        raise AnswerError("A label project needs at least two labels.")
    if len(cleaned) > MAX_LABELS:
        raise AnswerError(f"Use at most {MAX_LABELS} labels.")
    if any(not label or len(label) > MAX_LABEL_LENGTH for label in cleaned):
        raise AnswerError(f"Each label needs 1 to {MAX_LABEL_LENGTH} characters.")
    if len(set(cleaned)) != len(cleaned):
        raise AnswerError("Labels must be distinct.")
    return cleaned


def clean_payload(kind: str, payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict) or not payload:
        raise AnswerError("payload must be a non-empty JSON object")
    if kind == "pairwise" and not ("a" in payload and "b" in payload):
        raise AnswerError('a pairwise item needs "a" and "b" in its payload')
    return payload


def clean_answer(spec: Spec, value: Any) -> Any:
    kind = spec.kind
    if kind in ("single_label", "pairwise"):
        if not isinstance(value, str) or value not in spec.choices:
            raise AnswerError(f"Choose one of: {', '.join(spec.choices)}.")
        return value
    if kind == "multi_label":
        if not isinstance(value, list) or not all(isinstance(label, str) for label in value):
            raise AnswerError("Give a list of labels.")
        unknown = [label for label in value if label not in spec.labels]
        if unknown:
            raise AnswerError(f"Not a label of this project: {unknown[0]!r}.")
        if len(set(value)) != len(value):
            raise AnswerError("Give each label at most once.")
        return sorted(value, key=spec.labels.index)
    if kind == "rating":
        if isinstance(value, bool) or not isinstance(value, int):
            raise AnswerError(f"Give a whole number from {spec.scale_min} to {spec.scale_max}.")
        if not spec.scale_min <= value <= spec.scale_max:
            raise AnswerError(f"Give a whole number from {spec.scale_min} to {spec.scale_max}.")
        return value
    if kind == "free_text":
        if not isinstance(value, str) or not value.strip():
            raise AnswerError("Write an answer.")
        text = value.strip()
        if len(text) > spec.text_max_length:
            raise AnswerError(f"Use at most {spec.text_max_length} characters.")
        return text
    raise AnswerError(f"Unknown kind {kind!r}.")


def matches_gold(spec: Spec, answer: Any, gold: Any) -> bool:
    """Whether a cleaned answer equals a cleaned gold answer (free text ignores case)."""
    if spec.kind == "free_text":
        return " ".join(str(answer).split()).casefold() == " ".join(str(gold).split()).casefold()
    return bool(answer == gold)
