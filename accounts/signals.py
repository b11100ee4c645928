from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.models import Profile, User
from accounts.services.sockets import sockets_close_for_session, sockets_close_for_user


@receiver(post_save, sender=User)
def create_profile(sender: type[User], instance: User, created: bool, **kwargs: Any) -> None:
    # Every creation path (allauth, admin, createsuperuser, factories) gets a profile, so
    # readers can rely on `user.profile` existing.
    if created and not kwargs.get("raw"):
        Profile.objects.get_or_create(user=instance)


@receiver(post_save, sender=User)
def end_sockets_on_password_change(
    sender: type[User], instance: User, created: bool, **kwargs: Any
) -> None:
    # A socket authenticates once, at its handshake; without this, one opened before a
    # password change (say, by whoever the change is meant to lock out) would keep
    # receiving the person's events.
    if instance.password_replaced:
        instance.password_replaced = False
        if not created:
            sockets_close_for_user(user_id=instance.pk)


@receiver(user_logged_out)
def end_sockets_on_logout(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    # Sent before the session is flushed, so the key is still the one the sockets joined.
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        sockets_close_for_session(session_key=session_key)
