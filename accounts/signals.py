from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import Profile, User


@receiver(post_save, sender=User)
def create_profile(sender: type[User], instance: User, created: bool, **kwargs: Any) -> None:
    # Every creation path (allauth, admin, createsuperuser, factories) gets a profile, so
    # readers can rely on `user.profile` existing.
    if created and not kwargs.get("raw"):
        Profile.objects.get_or_create(user=instance)
