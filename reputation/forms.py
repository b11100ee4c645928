from __future__ import annotations

from django import forms

from reputation.models import Penalty


class VisibilityForm(forms.Form):
    show_display_name = forms.BooleanField(
        required=False, label="Show my display name on my public profile"
    )


class AppealForm(forms.Form):
    text = forms.CharField(
        label="Why is this penalty wrong?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="You can appeal once; a moderator reads it and decides.",
    )


class PenaltyForm(forms.Form):
    person = forms.UUIDField(label="Person's public id", help_text="From their public profile URL.")
    reason = forms.ChoiceField(choices=Penalty.Reason.choices)
    explanation = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The person reads this: say what happened and why it is penalised.",
    )
    weight = forms.FloatField(min_value=0.001, max_value=10, initial=5.0)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("upheld", "Uphold: the penalty stands"), ("overturned", "Overturn")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="Reason for the person"
    )
