"""Contract tests: schemathesis over /openapi.json against a real `civicdesk serve` on each
database, a few generated requests per operation, staff routes with an admin token. No response
may be a 5xx, use an undocumented status code, or break its documented schema."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.live import LiveServer, served_backend

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]
EXAMPLES = 4  # per operation and database: bounded, so `make test` stays quick
SEEN: Counter[str] = Counter()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def contract_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with served_backend(request.param, tmp_path_factory.mktemp(f"contract-{request.param}")) as server:
        server.env["CONTRACT_TOKEN"] = server.staff("contract-admin", "admin", "contract admin password 1")
        yield server


@pytest.mark.slow
def test_api_contract(contract_server: LiveServer) -> None:
    """Every operation, EXAMPLES generated requests each; every failure is collected and listed."""
    api = schemathesis.openapi.from_url(f"{contract_server.url}/openapi.json")
    headers = {"Authorization": f"Bearer {contract_server.env['CONTRACT_TOKEN']}"}
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    operations = 0
    for result in api.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            try:
                response = case.call_and_validate(headers=headers, checks=CHECKS, timeout=30)
                statuses[response.status_code] += 1
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect all, report at the end
                found = [line.strip() for line in str(exc).splitlines() if line.strip().startswith("- ")]
                failures.append(f"{case.operation.label}: {' '.join(found) or str(exc)[:300]} | "
                                f"{str(exc).split('[', 1)[-1][:160]!r}")

        run()
    print(f"contract: {operations} operations, responses by status {dict(sorted(statuses.items()))}, "
          f"{len(failures)} failures")
    assert operations >= 40
    assert not failures, "\n".join(sorted(set(failures))[:60])
