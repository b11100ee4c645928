from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django_countries.fields import CountryField


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. The e-mail address is the login; `public_id` is what URLs and clients see."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField("e-mail address", unique=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Set only by accounts.services.users.user_set_verified, which the KYC decision calls:
    # never from a form, an admin field or the API.
    verified_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]
        permissions = [
            ("work_tasks", "Can work the task feed"),
            ("vote_kyc_checks", "Can vote on redacted KYC checks"),
            ("review_kyc_cases", "Can review and decide KYC cases"),
            ("moderate_community", "Can moderate chat rooms and workshops"),
            ("publish_projects", "Can publish task projects"),
        ]

    # Set when the password was replaced since the last save: the post_save handler in
    # accounts.signals then ends the person's live sockets. Every way of changing a password
    # (allauth's change, set and reset flows, the admin form, `changepassword`) goes through
    # set_password() and save(), so this catches them all in one place.
    password_replaced: bool = False

    def __str__(self) -> str:
        return f"user {self.public_id}"

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self.password_replaced = True

    def set_unusable_password(self) -> None:
        super().set_unusable_password()
        self.password_replaced = True

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


def avatar_path(instance: Profile | None, filename: str) -> str:
    # A random name: the uploader's file name may carry personal data.
    return f"avatars/{uuid.uuid4().hex}.png"


class Profile(models.Model):
    """Public-facing details a person chooses to show. Every user has exactly one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(max_length=60, blank=True)
    country = CountryField(blank=True)
    languages = models.JSONField(default=list, blank=True)
    avatar = models.ImageField(upload_to=avatar_path, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"profile of {self.user_id}"


class Notification(models.Model):
    """Something a person was told (`accounts.services.notifications.notification_send`),
    kept with its read state for the bell and `/notifications/`.

    It carries text meant for its recipient alone and a link path inside the site: nobody
    else's personal data, no secret in the link (links are mailed and end up in logs).
    Read ones are deleted after NOTIFICATIONS_READ_RETENTION_DAYS (accounts.tasks).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # Set by callers that may run twice (a job delivered again): one notification per
    # person and key. Internal, never shown.
    once_key = models.CharField(max_length=120, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "once_key"],
                condition=~models.Q(once_key=""),
                name="accounts_notif_once_unique",
            )
        ]
        indexes = [
            # The list, newest first, per person.
            models.Index(fields=["recipient", "-id"], name="accounts_notif_recipient_idx"),
            # The bell's count reads only the unread rows.
            models.Index(
                fields=["recipient"],
                name="accounts_notif_unread_idx",
                condition=models.Q(read_at__isnull=True),
            ),
            # The retention purge.
            models.Index(
                fields=["read_at"],
                name="accounts_notif_read_at_idx",
                condition=models.Q(read_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"notification {self.public_id} ({self.kind})"


class NotificationSetting(models.Model):
    """A person's choice for one kind, where it differs from the kind's default
    (accounts.notification_kinds); no row means the default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    kind = models.CharField(max_length=40)
    email = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="accounts_notif_setting_unique")
        ]

    def __str__(self) -> str:
        return f"notification setting {self.kind} of {self.user_id}"
