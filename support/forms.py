from __future__ import annotations

from django import forms

from support.models import Topic
from support.services import MAX_BODY


class ContactForm(forms.Form):
    topic = forms.ChoiceField(choices=[("", "Choose a topic"), *Topic.choices])
    body = forms.CharField(
        label="Your message",
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text="Do not send identity documents or passwords here.",
    )
    reply_to = forms.EmailField(
        label="Your e-mail address",
        required=False,
        help_text="We answer to this address.",
    )
