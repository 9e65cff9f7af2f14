"""tools/check_docs.py: published figures must match a committed result file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools import check_docs

RESULT = {
    "schema_version": "voxrank-bench/1",
    "measurements": [
        {
            "name": "diarization-fastcnn",
            "latency": {"p50_ms": 1.234, "p99_ms": 1.93, "quantiles_ms": [0.5, 99.0]},
            "throughput_per_s": 812.4,
            "figures": {"rtf": 0.00412},
        },
        {"name": "POST /v1/diarize", "latency": {"p99_ms": 21.7}, "throughput_per_s": 2310.0},
    ],
    "comparisons": [{"ratio": 3.14, "subject_ms": 1.2, "baseline_ms": 3.8}],
}


def _repository(tmp_path: Path, documents: dict[str, str]) -> Path:
    (tmp_path / "docs" / "results").mkdir(parents=True)
    (tmp_path / "docs" / "results" / "cpu-test.json").write_text(json.dumps(RESULT), encoding="utf-8")
    for name, text in documents.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def _unbacked(tmp_path: Path, text: str) -> list[str]:
    root = _repository(tmp_path, {"docs/PERF.md": text})
    return [figure.text for figure in check_docs.unbacked(root, root / "docs" / "results")]


@pytest.mark.parametrize(
    "text",
    [
        "fastcnn P99 is 1.93 ms on one core",
        "P50 1.2 ms",  # rounding to what the text shows
        "a median of 1234 µs",
        "throughput 2,310 requests/s at concurrency 8",
        "812 windows/s",
        "end-to-end P99 21.7 ms",
        "an RTF of 0.0041",
        "real-time factor: 0.00412",
        "ONNX Runtime is 3.1x faster than eager",
        "| diarization-fastcnn | 1.234 | 1.93 |",  # numbers without a unit are not figures
    ],
)
def test_backed_figures_pass(tmp_path: Path, text: str) -> None:
    assert _unbacked(tmp_path, text) == []


@pytest.mark.parametrize(
    ("text", "figure"),
    [
        ("P99 was 4.48 ms here", "4.48 ms"),
        ("and 1428 ms there", "1428 ms"),
        ("10-20 ms on a T4", "20 ms"),
        ("serves 5,000 requests/s", "5,000 requests/s"),
        ("RTF 0.02 on one core", "RTF 0.02"),
        ("runs 12x faster", "12x faster"),
        ("P50 1.3 ms", "1.3 ms"),  # 1.234 does not round to 1.3
        ("inference takes 4.2 ms per window", "4.2 ms"),  # time spent per window is a latency
    ],
)
def test_unbacked_figures_fail(tmp_path: Path, text: str, figure: str) -> None:
    assert _unbacked(tmp_path, text) == [figure]


@pytest.mark.parametrize(
    "text",
    [
        "target: P99 <= 2 ms",
        "P99 ≤ 25 ms at concurrency 8",
        "under 100 ms end to end",
        "at least 2,000 items/s",
        "a request timeout of 30 ms",
        "the fake API adds 20 ms per request <!-- check-docs: ignore -->",
        "frames of 20 ms, K=3",
        "one strided convolution, 20 ms hop",
        "a 5000 ms window every 2500 ms",
        "(20 ms frames)",
    ],
)
def test_bounds_targets_and_marked_settings_are_not_measurements(tmp_path: Path, text: str) -> None:
    assert _unbacked(tmp_path, text) == []


def test_list_values_do_not_back_figures(tmp_path: Path) -> None:
    assert _unbacked(tmp_path, "P99 is 99.0 ms") == ["99.0 ms"]  # only inside quantiles_ms


def test_readmes_anywhere_are_checked_but_archive_is_not(tmp_path: Path) -> None:
    root = _repository(
        tmp_path,
        {
            "packages/x/README.md": "latency 7.5 ms",
            "archive/old/README.md": "latency 4.48 ms",
            "docs/notes/deep.md": "P99 9 ms",
        },
    )
    found = {(str(f.path), f.text) for f in check_docs.unbacked(root, root / "docs" / "results")}
    assert found == {("packages/x/README.md", "7.5 ms"), ("docs/notes/deep.md", "9 ms")}


def test_main_exits_non_zero_and_names_the_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _repository(tmp_path, {"README.md": "# voxrank\n\nP99 4.48 ms\n"})
    assert check_docs.main(["--root", str(root)]) == 1
    assert "README.md:3: latency figure '4.48 ms'" in capsys.readouterr().out
    (root / "README.md").write_text("# voxrank\n\nP99 1.93 ms\n", encoding="utf-8")
    assert check_docs.main(["--root", str(root)]) == 0
