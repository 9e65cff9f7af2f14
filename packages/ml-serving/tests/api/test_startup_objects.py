"""What startup loads is frozen out of the cyclic collector while the server runs, and released after."""

from __future__ import annotations

import gc

import httpx
from threadpoolctl import threadpool_info

from .conftest import StartServer


def test_startup_objects_are_frozen_while_serving_and_released_at_shutdown(
    start_server: StartServer, conversation_wav: bytes
) -> None:
    gc.unfreeze()
    with start_server() as url:
        frozen = gc.get_freeze_count()
        response = httpx.post(
            f"{url}/v1/diarize", content=conversation_wav, headers={"content-type": "audio/wav"}, timeout=30
        )
        assert response.status_code == 200
    assert frozen > 1000  # modules, the ONNX Runtime session, the app: far more than a handful
    assert gc.get_freeze_count() == 0


def test_blas_runs_single_threaded_while_serving_and_is_restored_after(start_server: StartServer) -> None:
    def blas_threads() -> set[int]:
        return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}

    before = blas_threads()
    with start_server(blas_threads=1) as url:
        assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
        assert blas_threads() == {1}
    assert blas_threads() == before
