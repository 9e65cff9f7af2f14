"""Hot reload on a real server while requests run: a new version is swapped in, a broken one rejected."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import httpx

from voxrank.serving.repository import READY_FILE
from voxrank.serving.tone_model import publish_tone_model

from .conftest import MODEL, StartServer, metric_value, wait_until


class RequestLoop:
    """Sends requests back to back from a thread and keeps every status and version it saw."""

    def __init__(self, base_url: str, audio: bytes) -> None:
        self.statuses: list[int] = []
        self.versions: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(base_url, audio), daemon=True)
        self._thread.start()

    def _run(self, base_url: str, audio: bytes) -> None:
        with httpx.Client(base_url=base_url, timeout=60) as http:
            while not self._stop.is_set():
                response = http.post("/v1/diarize", content=audio, headers={"content-type": "audio/wav"})
                self.statuses.append(response.status_code)
                if response.status_code == 200:
                    self.versions.add(response.json()["version"])

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(60)


def publish_corrupted(repository: Path, version: str, scratch: Path) -> None:
    """A version whose model.onnx was damaged on shared storage after publication, appearing atomically."""
    published = publish_tone_model(scratch, MODEL, version).path
    model_file = published / "model.onnx"
    model_file.write_bytes(model_file.read_bytes()[:-16] + bytes(16))
    staging = repository / MODEL / f".{version}.copying"
    shutil.copytree(published, staging, ignore=shutil.ignore_patterns(READY_FILE))
    staging.rename(repository / MODEL / version)
    shutil.copyfile(published / READY_FILE, repository / MODEL / version / READY_FILE)


def serving_version(client: httpx.Client) -> str:
    return client.get(f"/v1/models/{MODEL}").json()["version"]


def test_new_version_swaps_in_and_broken_version_is_rejected_while_requests_run(
    start_server: StartServer, repository: Path, conversation_wav: bytes, tmp_path: Path
) -> None:
    with start_server(reload="watch") as url, httpx.Client(base_url=url, timeout=30) as client:
        loop = RequestLoop(url, conversation_wav)
        wait_until(lambda: len(loop.statuses) >= 3, what="requests on 1.0.0")

        publish_tone_model(repository, MODEL, "1.1.0")
        wait_until(lambda: serving_version(client) == "1.1.0", what="the swap to 1.1.0")
        wait_until(lambda: "1.1.0" in loop.versions, what="a request served by 1.1.0")

        publish_corrupted(repository, "1.2.0", tmp_path / "scratch")
        wait_until(
            lambda: "1.2.0" in client.get(f"/v1/models/{MODEL}").json()["rejected_versions"], what="rejection"
        )
        served_before = len(loop.statuses)
        wait_until(lambda: len(loop.statuses) >= served_before + 3, what="requests after the rejection")
        loop.stop()

        detail = client.get(f"/v1/models/{MODEL}").json()
        assert detail["version"] == "1.1.0"
        assert detail["state"] == "ready"
        assert detail["last_reload"]["outcome"] == "rejected"
        assert "sha256" in detail["last_reload"]["error"]
        assert detail["available_versions"] == ["1.0.0", "1.1.0", "1.2.0"]
        assert set(loop.statuses) == {200}
        assert loop.versions == {"1.0.0", "1.1.0"}
        assert metric_value(client, "voxrank_model_reloads_total", f'model="{MODEL}",outcome="rejected"') == 1
        assert metric_value(client, "voxrank_model_reloads_total", f'model="{MODEL}",outcome="loaded"') == 2
        assert (
            metric_value(client, "voxrank_model_serving", f'model="{MODEL}",provider="cpu",version="1.1.0"')
            == 1
        )
        assert client.get("/readyz").status_code == 200


def test_polling_picks_up_a_model_published_after_startup(
    start_server: StartServer, tmp_path: Path, conversation_wav: bytes
) -> None:
    empty = tmp_path / "later"
    with (
        start_server(model_repository=empty, reload="poll", poll_interval_s=0.2) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        assert client.get("/readyz").status_code == 503
        publish_tone_model(empty, MODEL, "2.0.0")
        wait_until(lambda: client.get("/readyz").status_code == 200, what="readiness after publication")
        response = client.post("/v1/diarize", content=conversation_wav, headers={"content-type": "audio/wav"})
        assert response.json()["version"] == "2.0.0"
