"""A short, derandomized schemathesis run over `GET /openapi.json`, in process: no endpoint answers a 500.

Every operation of the document gets a few generated requests, with the highest role's key (so they reach the
parsing) and with a wrong one. The wider run (more examples, every check, a live server) is `bench/fuzz_api.sh`.
"""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from tests.harness.gateway import SUPERVISOR_KEY, make_gateway

EXAMPLES = 25


def test_no_generated_request_is_a_server_error(sqlite_url, tmp_path):
    gw = make_gateway(sqlite_url, tmp_path, WECHAT_TOKEN="fuzz-token")
    schema = schemathesis.openapi.from_wsgi("/openapi.json", gw.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    # Positive cases get past validation into the views; negative ones (wrong types, out-of-range numbers,
    # missing fields) are where the parsing must say 4xx.
    for operation, mode in ((op, mode) for op in operations for mode in GenerationMode):
        @given(case=operation.as_strategy(mode))
        @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case):
            for key in (SUPERVISOR_KEY, "wrong-key"):
                case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=[not_a_server_error])

        try:
            fuzz()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # nothing to get wrong: an operation without parameters or body
    gw.runtime.engine.dispose()
