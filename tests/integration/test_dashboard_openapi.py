"""A property-based run over the dashboard's OpenAPI document (schemathesis): whatever
it sends to any operation, on either store, the API answers without a server error."""

from __future__ import annotations

from itertools import product
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error

from jobsmith.dashboard import create_app
from jobsmith.queue.registry import registry
from jobsmith.store import Store
from tests.integration import dashboard_tasks
from tests.integration.test_dashboard_api import a_job_ran

EXAMPLES = 10  # per operation and mode (valid and invalid data): 20 per operation


def test_no_input_makes_a_server_error(store: Store, tmp_path: Path) -> None:
    a_job_ran(store)
    dashboard_tasks.greet.post(path=str(tmp_path / "notes"), store=store)
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(store, registry=registry))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 14
    seen: dict[str, set[int]] = {}

    for operation, mode in product(operations, schemathesis.GenerationMode):

        @given(case=operation.as_strategy(mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call()
            case.validate_response(response, checks=[not_a_server_error])
            assert response.status_code < 500, (case.path, case.body, response.text)
            if response.status_code >= 400:
                assert set(response.json()) == {"error"}, response.text
            seen.setdefault(case.operation.label, set()).add(response.status_code)

        try:
            check()
        except Unsatisfiable:  # no invalid form of an operation without inputs
            assert mode is schemathesis.GenerationMode.NEGATIVE
    assert len(seen) == len(operations)
    assert 200 in seen["GET /api/runs"] and 400 in seen["GET /api/runs"]
