from __future__ import annotations

from django import forms
from django_countries import countries

from kyc.models import DocumentType, ReasonCode

# ICAO 9303 codes that are no ISO 3166 country but appear on real documents.
ICAO_EXTRA_CODES = {
    "D": "Germany (as on German documents)",
    "GBD": "British Overseas Territories Citizen",
    "GBN": "British National (Overseas)",
    "GBO": "British Overseas Citizen",
    "GBP": "British Protected Person",
    "GBS": "British Subject",
    "EUE": "European Union",
    "UNO": "United Nations Organization",
    "UNA": "United Nations specialized agency",
    "UNK": "Resident of Kosovo (UNMIK)",
    "XOM": "Sovereign Military Order of Malta",
    "XXA": "Stateless person",
    "XXB": "Refugee (1951 Convention)",
    "XXC": "Refugee (other)",
    "XXX": "Unspecified nationality",
    "UTO": "Utopia (ICAO specimen documents)",
}


def country_choices() -> list[tuple[str, str]]:
    """Every country by its 3-letter code, then the ICAO codes documents also carry."""
    listed = sorted(
        ((countries.alpha3(code), name) for code, name in countries), key=lambda c: c[1]
    )
    extra = sorted(ICAO_EXTRA_CODES.items(), key=lambda c: c[1])
    return [("", "Choose…"), *[(code, f"{name} ({code})") for code, name in [*listed, *extra]]]


class CaseForm(forms.Form):
    document_type = forms.ChoiceField(choices=DocumentType.choices)
    surname = forms.CharField(max_length=80, help_text="As printed on the document.")
    given_names = forms.CharField(max_length=120)
    birth_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    nationality = forms.ChoiceField(
        choices=country_choices, help_text="As printed on the document (its 3-letter code)."
    )
    issuing_state = forms.ChoiceField(
        choices=country_choices, help_text="The country that issued the document."
    )
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

    accept_photos = forms.BooleanField(
        required=False,
        label="Submit these photos anyway",
        help_text="Only if you are sure a moderator can read them: a case with unreadable "
        "photos comes back to you.",
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
