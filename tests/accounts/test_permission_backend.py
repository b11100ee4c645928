"""`PermissionReadingBackend` grants exactly what Django's `ModelBackend` grants, reads it
with two statements per request, and signs nobody in itself."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission

from accounts import mfa
from accounts.backends import PermissionReadingBackend
from accounts.models import User
from accounts.roles import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    # Permissions are cached on the user object for the rest of a request.
    return User.objects.get(pk=user.pk)


def as_granted(backend: Any, user: User) -> tuple[set[str], set[str], set[str]]:
    user = fresh(user)
    return (
        backend.get_user_permissions(user),
        backend.get_group_permissions(user),
        backend.get_all_permissions(user),
    )


def test_grants_what_the_model_backend_grants(user_factory: Any) -> None:
    direct = Permission.objects.get(codename="view_kyc_documents")
    extra_group = Group.objects.create(name="extra")
    extra_group.permissions.add(Permission.objects.get(codename="publish_projects"))
    people = {
        "role": user_factory(roles=[Role.MODERATOR]),
        "roles and direct": user_factory(roles=[Role.PIONEER, Role.VALIDATOR]),
        "none": user_factory(roles=[]),
        "inactive": user_factory(roles=[Role.MODERATOR]),
        "superuser": user_factory(roles=[]),
    }
    people["roles and direct"].user_permissions.add(direct)
    people["roles and direct"].groups.add(extra_group)
    User.objects.filter(pk=people["inactive"].pk).update(is_active=False)
    User.objects.filter(pk=people["superuser"].pk).update(is_superuser=True)
    for name, person in people.items():
        ours = as_granted(PermissionReadingBackend(), person)
        assert ours == as_granted(ModelBackend(), person), name
    assert (
        "kyc.view_kyc_documents"
        in as_granted(PermissionReadingBackend(), people["roles and direct"])[0]
    )
    assert "accounts.review_kyc_cases" in as_granted(PermissionReadingBackend(), people["role"])[2]
    assert as_granted(PermissionReadingBackend(), people["inactive"])[2] == set()
    assert (
        len(as_granted(PermissionReadingBackend(), people["superuser"])[2])
        == Permission.objects.count()
    )
    # Object permissions are not granted by either.
    assert (
        PermissionReadingBackend().get_all_permissions(fresh(people["role"]), obj=people["none"])
        == set()
    )


def test_a_request_reads_permissions_once(
    user_factory: Any, django_assert_num_queries: Any
) -> None:
    moderator = fresh(user_factory(roles=[Role.MODERATOR]))
    with django_assert_num_queries(2):
        assert moderator.has_perm("accounts.review_kyc_cases")
        assert not moderator.has_perm("accounts.publish_projects")
        assert moderator.has_perm("accounts.moderate_community")


def test_a_revoked_role_is_gone_on_the_next_request(user_factory: Any) -> None:
    moderator = user_factory(roles=[Role.MODERATOR])
    assert fresh(moderator).has_perm("accounts.review_kyc_cases")
    moderator.groups.clear()
    assert not fresh(moderator).has_perm("accounts.review_kyc_cases")


def test_signs_nobody_in_and_the_model_backend_still_does(user_factory: Any) -> None:
    person = user_factory()
    backend: Any = PermissionReadingBackend()
    assert backend.authenticate(None, username=person.email, password=PASSWORD) is None
    signed_in = authenticate(None, username=person.email, password=PASSWORD)
    assert signed_in == person
    assert signed_in.backend == "django.contrib.auth.backends.ModelBackend"  # type: ignore[union-attr,attr-defined]


def test_has_totp_reads_the_authenticator(user_factory: Any) -> None:
    assert mfa.has_totp(user_factory(totp=True))
    assert not mfa.has_totp(user_factory())
