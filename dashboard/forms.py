from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import User


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand this cannot be undone.",
        error_messages={"required": "Tick the box to confirm."},
    )


class CloseAccountForm(ConfirmForm):
    password = forms.CharField(
        label="Your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password
