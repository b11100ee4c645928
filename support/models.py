"""Messages sent through the contact form, for the moderators to answer."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Topic(models.TextChoices):
    ACCOUNT = "account", "My account or sign-in"
    VERIFICATION = "verification", "Identity verification"
    TASKS = "tasks", "Tasks, reviews or points"
    PRIVACY = "privacy", "Privacy and my data"
    REPORT = "report", "Report abuse"
    OTHER = "other", "Something else"


class ContactMessage(models.Model):
    """One message to the moderators. A signed-in sender is linked to their account; an
    anonymous one leaves an address to answer to."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact_messages",
    )
    reply_to = models.EmailField(blank=True, help_text="where an anonymous sender reads answers")
    topic = models.CharField(max_length=20, choices=Topic.choices)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["handled_at", "created_at"], name="support_open_idx")]

    def __str__(self) -> str:
        return f"contact message {self.public_id}"
