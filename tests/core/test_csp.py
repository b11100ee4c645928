"""The Content-Security-Policy goes out with every response: pages, API, errors, docs."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.roles import Role

pytestmark = pytest.mark.django_db

# What the policy must say, directive by directive (django-csp orders them freely).
REQUIRED = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'none'"},
    "frame-ancestors": {"'none'"},
    "form-action": {"'self'"},
    "img-src": {"'self'", "data:", "blob:"},
}


def directives(response: Any) -> dict[str, set[str]]:
    header = response.get("Content-Security-Policy")
    assert header, f"{response.status_code} without a Content-Security-Policy"
    parsed: dict[str, set[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        parsed[name] = set(sources)
    return parsed


def assert_strict(response: Any) -> None:
    policy = directives(response)
    for name, sources in REQUIRED.items():
        assert policy.get(name) == sources, (name, policy.get(name))
    # Sockets and fetches to our own origin, nothing else.
    assert "'self'" in policy["connect-src"]
    assert all(s == "'self'" or s.startswith(("ws://", "wss://")) for s in policy["connect-src"])
    for sources in policy.values():
        assert "'unsafe-inline'" not in sources
        assert "'unsafe-eval'" not in sources
        assert "*" not in sources


def paths_without_arguments() -> list[str]:
    """Every route of the site that takes no argument, from the URL configuration itself,
    so a page added later is covered without touching this test."""
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            route = str(pattern.pattern)
            if "<" in route or "(?P" in route or "\\" in route:
                continue
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern):
                found.append("/" + (prefix + route).lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


def test_every_route_without_arguments_sends_the_policy(client: Any, user_factory: Any) -> None:
    staff = user_factory(roles=list(Role), verified=True)
    staff.is_staff = staff.is_superuser = True
    staff.save(update_fields=["is_staff", "is_superuser"])
    paths = paths_without_arguments()
    assert {"/", "/dashboard/", "/kyc/", "/api/docs/", "/accounts/login/"} <= set(paths)
    # This test is about the header on whatever comes back, server errors included.
    client.raise_request_exception = False
    for signed_in in (False, True):
        if signed_in:
            client.force_login(staff)
        for path in paths:
            response = client.get(path)
            assert_strict(response)


@pytest.mark.parametrize(
    "path",
    [
        "/no-such-page/",  # the 404 page
        "/api/v1/no-such-endpoint/",  # the API's 404
        "/api/v1/me/",  # the API's 401/403
        "/api/docs/?script",  # Swagger UI's start-up script, served as a file
        "/api/schema/",  # the OpenAPI document
        "/kyc/documents/00000000-0000-0000-0000-000000000000/id_front/",  # a redirect to sign in
    ],
)
def test_errors_redirects_and_api_answers_send_it_too(client: Any, path: str) -> None:
    assert_strict(client.get(path))


def test_api_docs_page_has_no_inline_script_or_style(client: Any) -> None:
    html = client.get("/api/docs/").content.decode()
    assert "<style" not in html
    for tag in html.split("<script")[1:]:
        attributes, _, rest = tag.partition(">")
        assert "src=" in attributes
        assert rest.startswith("</script>")
