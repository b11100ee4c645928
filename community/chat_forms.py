"""Forms of the chat pages. They shape input only; the rules are the services'."""

from __future__ import annotations

from django import forms

from community.chat_text import MAX_LENGTH


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Message",
        max_length=MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": MAX_LENGTH}),
        help_text="Markdown: **bold**, _italic_, `code`, [links](https://…), lists, > quotes.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason", max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


MUTE_LENGTHS = [
    (10, "10 minutes"),
    (60, "1 hour"),
    (24 * 60, "1 day"),
    (7 * 24 * 60, "1 week"),
]


class MuteForm(forms.Form):
    minutes = forms.TypedChoiceField(label="For", choices=MUTE_LENGTHS, coerce=int)
    everywhere = forms.BooleanField(label="In every room, not only this one", required=False)
    reason = forms.CharField(
        label="Reason (the person is told)",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SlowModeForm(forms.Form):
    seconds = forms.IntegerField(
        label="Seconds between one person's messages (0: off)", min_value=0, max_value=3600
    )
