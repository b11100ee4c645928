from __future__ import annotations

from django import forms

from kyc.models import DocumentType, ReasonCode


class CaseForm(forms.Form):
    document_type = forms.ChoiceField(choices=DocumentType.choices)
    surname = forms.CharField(max_length=80, help_text="As printed on the document.")
    given_names = forms.CharField(max_length=120)
    birth_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    nationality = forms.CharField(max_length=3, help_text="3-letter code, e.g. KEN")
    issuing_state = forms.CharField(max_length=3, help_text="3-letter code of the issuing country")
    document_number = forms.RegexField(r"^[A-Za-z0-9]{1,20}$", max_length=20)
    expiry_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    mrz = forms.CharField(
        required=False,
        label="Machine-readable zone",
        help_text="The 2 or 3 lines of letters, digits and < at the bottom of the document.",
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "class": "mono"}),
    )
    id_front = forms.FileField(
        required=False,
        label="Document front",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    id_back = forms.FileField(
        required=False,
        label="Document back (identity cards)",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    selfie = forms.FileField(
        required=False,
        label="Selfie",
        help_text="Your face, well lit, no glasses.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "user"}),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            ("approve", "Approve"),
            ("reject", "Reject"),
            ("request_resubmission", "Ask for resubmission"),
        ],
        widget=forms.RadioSelect,
    )
    reason_codes = forms.MultipleChoiceField(
        choices=ReasonCode.choices, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Internal note."
    )
    resubmission_reasons = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown to the pioneer: exactly what to fix.",
    )


class AppealForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
