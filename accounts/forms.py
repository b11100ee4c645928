from __future__ import annotations

from django import forms
from django.conf import global_settings
from django_countries import countries

LANGUAGE_CHOICES = list(global_settings.LANGUAGES)


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        max_length=60, required=False, help_text="Shown to other members instead of your e-mail."
    )
    country = forms.ChoiceField(choices=[("", "—"), *list(countries)], required=False)
    languages = forms.MultipleChoiceField(
        choices=LANGUAGE_CHOICES,
        required=False,
        help_text="Languages you can label and review in.",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    avatar = forms.FileField(
        required=False,
        help_text="JPEG, PNG or WebP, at most 2 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
