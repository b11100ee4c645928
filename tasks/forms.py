from __future__ import annotations

from typing import Any

from django import forms

from tasks import kinds, results


class ProjectForm(forms.Form):
    title = forms.CharField(max_length=120)
    kind = forms.ChoiceField(
        choices=[
            ("single_label", "Single label"),
            ("multi_label", "Multiple labels"),
            ("pairwise", "Pairwise preference (A or B)"),
            ("rating", "Rating scale"),
            ("free_text", "Free text"),
        ]
    )
    instructions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        help_text="Markdown. Scripts, styles and unknown tags are removed.",
    )
    labels = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="One label per line (label projects). After publishing you can only add.",
    )
    scale_min = forms.IntegerField(initial=1, required=False)
    scale_max = forms.IntegerField(initial=5, required=False)
    text_max_length = forms.IntegerField(initial=2000, required=False)
    overlap = forms.IntegerField(initial=3, help_text="Distinct pioneers per item.")
    reward = forms.IntegerField(initial=1, help_text="Points per accepted answer.")
    reservation_timeout = forms.IntegerField(initial=600, help_text="Seconds to hold an item.")
    min_level = forms.IntegerField(initial=1, help_text="Lowest reputation level that may work.")
    gold_rate = forms.FloatField(initial=0.1, help_text="Share of gold items, 0 to 0.5.")
    gold_min_accuracy = forms.FloatField(initial=0.7)
    gold_min_answers = forms.IntegerField(initial=3)
    review_rate = forms.FloatField(
        required=False,
        help_text="Share of answers peers review, 0 to 1. Empty: all for free text and "
        "ratings, none for labels.",
    )

    # Fields that mean something only for some kinds: the page shows them for those kinds
    # alone (static/js/project-form.js reads `data-kinds`), and the service gets them only
    # for those kinds.
    KIND_FIELDS: dict[str, tuple[str, ...]] = {
        "labels": ("single_label", "multi_label"),
        "scale_min": ("rating",),
        "scale_max": ("rating",),
        "text_max_length": ("free_text",),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, shown_for in self.KIND_FIELDS.items():
            self.fields[name].widget.attrs["data-kinds"] = " ".join(shown_for)

    def service_fields(self, *, editing: bool) -> dict[str, Any]:
        """What the service takes: labels as a list, fields of other kinds and empty
        optional numbers left out."""
        data = dict(self.cleaned_data)
        data["labels"] = [line.strip() for line in data["labels"].splitlines() if line.strip()]
        for name, shown_for in self.KIND_FIELDS.items():
            if data["kind"] not in shown_for:
                data.pop(name)
        for name in ("scale_min", "scale_max", "text_max_length", "review_rate"):
            if name in data and data[name] is None:
                data.pop(name)
        if editing:
            data.pop("kind")
        return data


class ResultsFilterForm(forms.Form):
    method = forms.ChoiceField(
        choices=[("", "Default"), *[(m, m.replace("_", "-")) for m in results.METHODS]],
        required=False,
    )
    label = forms.CharField(required=False)
    min_confidence = forms.FloatField(min_value=0, max_value=1, required=False)
    max_confidence = forms.FloatField(min_value=0, max_value=1, required=False)


def answer_from_post(kind: str, post: Any) -> Any:
    """The answer as JSON from a work-page form; the service validates it."""
    if kind == "multi_label":
        return post.getlist("value")
    value = post.get("value")
    if kind == "rating":
        try:
            return int(value)
        except (TypeError, ValueError):
            return value
    return value


__all__ = ["ProjectForm", "ResultsFilterForm", "answer_from_post", "kinds"]
