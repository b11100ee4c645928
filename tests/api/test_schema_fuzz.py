"""The OpenAPI schema tells the truth: property-based requests against every operation,
then sequences that follow the schema's links, as every role, answer without a server
error and as the schema documents (status code, content type, headers, body).

Generation is derandomized, so a run is reproducible; each failure is reported once per
operation, check and status, with a curl command that repeats it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from hypothesis.errors import Flaky
from rest_framework.throttling import SimpleRateThrottle
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.engine.errors import is_inconsistent_replay
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Per operation and role: enough to reach every documented status of this API in a few
# minutes for the whole matrix on two cores. An operation that refuses the role (401/403)
# for every probe is refused before any input is read, so it gets no more than the probes.
PROBES_PER_OPERATION = 4
EXAMPLES_PER_OPERATION = 10
LINK_SCENARIOS = 16
LINK_RUNS = 4
STEPS_PER_SCENARIO = 6
SETTINGS = hypothesis.settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    # Failures are collected, not raised, so there is nothing to shrink.
    phases=[Phase.explicit, Phase.generate],
)


@schemathesis.serializer("application/x-ndjson")
def _json_lines(context: Any, value: Any) -> bytes:
    lines = value if isinstance(value, list) else [value]
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


@dataclass
class Findings:
    requests: int = 0
    statuses: set[int] = field(default_factory=set)
    # (operation, failure, status) -> (message, curl command of the first request that failed)
    failures: dict[tuple[str, str, int], tuple[str, str]] = field(default_factory=dict)

    def validate(self, case: Any, response: Any, headers: dict[str, str]) -> None:
        self.requests += 1
        self.statuses.add(response.status_code)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            failures: Iterable[Failure] = group.exceptions
        except Failure as failure:
            failures = [failure]
        else:
            return
        for failure in failures:
            key = (case.operation.label, f"{failure.code} {failure.title}", response.status_code)
            self.failures.setdefault(key, (failure.message, case.as_curl_command(headers)))

    def report(self) -> str:
        return "\n".join(
            f"{operation} -> {status}: {kind}\n    {message[:300]!r}\n    {curl[:600]}"
            for (operation, kind, status), (message, curl) in sorted(self.failures.items())
        )


def case_strategies(schema: Any) -> list[st.SearchStrategy[Any]]:
    """One strategy per operation, valid and invalid input alike; built once and shared by
    the roles (with derandomized generation each role meets the same inputs anyway)."""
    return [
        st.one_of(
            result.ok().as_strategy(generation_mode=mode)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        )
        for result in schema.get_all_operations()
    ]


def fuzz_operations(
    strategies: list[st.SearchStrategy[Any]], headers: dict[str, str], findings: Findings
) -> None:
    for strategy in strategies:
        findings.statuses.clear()
        _send_examples(strategy, headers, findings, PROBES_PER_OPERATION)
        if findings.statuses - {401, 403}:
            _send_examples(strategy, headers, findings, EXAMPLES_PER_OPERATION)


def _send_examples(
    strategy: st.SearchStrategy[Any], headers: dict[str, str], findings: Findings, count: int
) -> None:
    @hypothesis.settings(SETTINGS, max_examples=count)
    @hypothesis.given(case=strategy)
    def send(case: Any) -> None:
        findings.validate(case, case.call(headers=headers), headers)

    send()


def fuzz_links(schema: Any, headers: dict[str, str], findings: Findings) -> None:
    scenarios = 0

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            nonlocal scenarios
            scenarios += 1

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            findings.validate(case, response, headers)

    for _ in range(LINK_RUNS):
        try:
            Workflow.run(
                settings=hypothesis.settings(
                    SETTINGS,
                    max_examples=LINK_SCENARIOS - scenarios,
                    stateful_step_count=STEPS_PER_SCENARIO,
                )
            )
            return
        except Exception as error:
            # Which links can be followed depends on the server's answers, and those change
            # as earlier scenarios change the data; Hypothesis then stops trusting its record
            # of what it explored. A fresh run goes on with the scenarios left.
            if not (isinstance(error, Flaky) or is_inconsistent_replay(error)):
                raise
        if scenarios >= LINK_SCENARIOS:
            return


@pytest.fixture
def fuzz_schema(api_sessions: dict[str, dict[str, str]]) -> Any:
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def generous_throttles(monkeypatch: pytest.MonkeyPatch) -> None:
    # Thousands of requests a minute from one session would be throttled after the first
    # hundred; the throttles themselves are tested where they are configured.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": None, "user": None})


@pytest.mark.long
@pytest.mark.timeout(1200)
def test_api_answers_as_its_schema_says(
    api_sessions: dict[str, dict[str, str]], fuzz_schema: Any, generous_throttles: None
) -> None:
    """One pass per role over the same data, in `ROLE_ACCOUNTS` order, so later roles meet
    what earlier ones created (the moderator last: deciding cases changes everyone's view)."""
    mismatches: dict[str, str] = {}
    started = time.monotonic()
    strategies = case_strategies(fuzz_schema)
    for role, headers in api_sessions.items():
        role_started = time.monotonic()
        findings = Findings()
        fuzz_operations(strategies, headers, findings)
        single = findings.requests
        fuzz_links(fuzz_schema, headers, findings)
        print(
            f"\n[{role}] {single} requests + {findings.requests - single} along links, "
            f"{len(findings.failures)} mismatches, {time.monotonic() - role_started:.1f}s"
        )
        # Both halves really ran: the schema still has operations and links to follow.
        assert single > 0
        assert findings.requests > single
        if findings.failures:
            mismatches[role] = findings.report()
    print(f"[all roles] {time.monotonic() - started:.1f}s")
    assert not mismatches, "\n".join(f"as {role}:\n{report}" for role, report in mismatches.items())
