"""schemathesis generates requests from the served OpenAPI document: none may produce a 5xx, and every
response must match what the document promises (status codes, content types, bodies, headers).

The operations of this test's server state: operations, models and diarization (the recommendation
routes need towers and an item index, which their own tests set up)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

OPERATIONS = r"^/(healthz|readyz|metrics|v1/models|v1/diarize)"
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
]


def test_generated_requests_get_no_server_error_and_documented_responses(server: str, tmp_path: Path) -> None:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{server}/openapi.json",
        "--include-path-regex",
        OPERATIONS,
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        "25",
        "--seed",
        "20261121",
        "--report-dir",
        str(tmp_path),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path)

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "passed" in result.stdout
