"""The page in headless Chromium: upload a WAV, see the API's turns as a timeline, play a turn, screenshot."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from voxrank.serving.tone_model import expected_turns

from .conftest import CONVERSATION

REPOSITORY_ROOT = Path(__file__).resolve().parents[4]
SCREENSHOTS = Path("bench-results/screenshots")
WAIT_S = 60
PIXEL_TOLERANCE = 2.0
RECORDING_S = 2.0


def api_answer(server: str, audio: Path) -> dict[str, Any]:
    response = httpx.post(
        f"{server}/v1/diarize", files={"file": (audio.name, audio.read_bytes(), "audio/wav")}, timeout=60
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def shown_turns(browser: Any) -> list[dict[str, Any]]:
    return [
        {
            "start": float(turn.get_attribute("data-start")),
            "end": float(turn.get_attribute("data-end")),
            "speaker": turn.get_attribute("data-speaker"),
            "colour": turn.value_of_css_property("background-color"),
            "element": turn,
        }
        for turn in browser.find_elements(By.CSS_SELECTOR, "#timeline .turn")
    ]


def player_state(browser: Any) -> dict[str, Any]:
    state: dict[str, Any] = browser.execute_script(
        "const p = document.querySelector('#player'); return {time: p.currentTime, paused: p.paused};"
    )
    return state


def save_screenshot(browser: Any, tmp_path: Path, name: str) -> Path:
    shot = tmp_path / name
    assert browser.save_screenshot(str(shot)), "Chromium did not write the screenshot"
    # Also where people look for results, when the test runs inside the repository.
    if (REPOSITORY_ROOT / "noxfile.py").exists():
        published = REPOSITORY_ROOT / SCREENSHOTS / name
        published.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, published)
    return shot


def test_upload_draws_the_api_turns_and_a_clicked_turn_plays(
    server: str, conversation_wav: Path, browser: Any, tmp_path: Path
) -> None:
    answer = api_answer(server, conversation_wav)
    assert len(answer["turns"]) == len(expected_turns(CONVERSATION))
    wait = WebDriverWait(browser, WAIT_S)

    browser.get(f"{server}/")
    wait.until(lambda page: page.find_element(By.ID, "ready").text == "ready: yes")
    browser.find_element(By.ID, "audio-file").send_keys(str(conversation_wav))
    wait.until(lambda page: page.find_elements(By.CSS_SELECTOR, "#timeline .turn"))

    turns = shown_turns(browser)
    assert [(t["start"], t["end"], t["speaker"]) for t in turns] == sorted(
        [(t["start"], t["end"], t["speaker"]) for t in answer["turns"]], key=lambda turn: (turn[2], turn[0])
    )
    colours = {turn["speaker"]: turn["colour"] for turn in turns}
    assert all(colours[turn["speaker"]] == turn["colour"] for turn in turns), "one colour per speaker"
    assert len(set(colours.values())) == answer["num_speakers"], "every speaker has its own colour"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#timeline .lane")) == answer["num_speakers"]
    assert_turns_placed_in_proportion(browser, turns, answer["duration_s"])

    clicked = next(turn for turn in turns if turn["start"] > 0)
    clicked["element"].click()
    wait.until(lambda page: not player_state(page)["paused"])
    assert "playing" in clicked["element"].get_attribute("class")
    assert clicked["start"] - 0.05 <= player_state(browser)["time"] <= clicked["end"]
    # It stops by itself at the end of the turn.
    wait.until(lambda page: player_state(page)["paused"])
    assert player_state(browser)["time"] == pytest.approx(clicked["end"], abs=0.25)

    shot = save_screenshot(browser, tmp_path, "timeline.png")
    assert shot.stat().st_size > 10_000
    assert_nothing_external_and_no_console_errors(browser, server)


def assert_turns_placed_in_proportion(browser: Any, turns: list[dict[str, Any]], duration_s: float) -> None:
    track = browser.find_element(By.CSS_SELECTOR, "#timeline .track").rect
    for turn in turns:
        box = turn["element"].rect
        assert box["x"] == pytest.approx(
            track["x"] + track["width"] * turn["start"] / duration_s, abs=PIXEL_TOLERANCE
        )
        width = track["width"] * (turn["end"] - turn["start"]) / duration_s
        assert box["width"] == pytest.approx(width, abs=PIXEL_TOLERANCE)


def assert_nothing_external_and_no_console_errors(browser: Any, server: str) -> None:
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name);")
    assert loaded, "the page loaded its assets"
    assert all(url.startswith(server) for url in loaded), loaded
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors


def test_recommendations_show_the_api_message_when_no_two_tower_model_is_served(
    server: str, browser: Any
) -> None:
    response = httpx.post(f"{server}/v1/recommendations", json={"user_id": "u1", "k": 5}, timeout=60)
    assert response.status_code >= 400, "the server has no two-tower model, so it cannot recommend"
    wait = WebDriverWait(browser, WAIT_S)

    browser.get(f"{server}/")
    browser.find_element(By.ID, "user-id").send_keys("u1")
    top_k = browser.find_element(By.ID, "top-k")
    top_k.clear()
    top_k.send_keys("5")
    browser.find_element(By.ID, "recommend").click()
    wait.until(lambda page: "error" in page.find_element(By.ID, "recommend-status").get_attribute("class"))

    status = browser.find_element(By.ID, "recommend-status").text
    if response.status_code == 404 and response.json()["detail"] == "Not Found":
        assert status == "This server has no recommendations endpoint."
    else:
        assert status == response.json()["detail"]
    assert browser.find_elements(By.CSS_SELECTOR, "#recommendations li") == []


def test_models_table_and_health_show_what_the_api_reports(server: str, browser: Any) -> None:
    models = httpx.get(f"{server}/v1/models", timeout=10).json()["models"]
    wait = WebDriverWait(browser, WAIT_S)

    browser.get(f"{server}/")
    wait.until(lambda page: page.find_elements(By.CSS_SELECTOR, "#models tr.model"))

    rows = {
        row.get_attribute("data-name"): [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
        for row in browser.find_elements(By.CSS_SELECTOR, "#models tr.model")
    }
    assert set(rows) == {model["name"] for model in models}
    for model in models:
        name, task, version, state, provider, _ = rows[model["name"]]
        assert (name, task, version, state, provider) == (
            model["name"],
            model["task"],
            model["version"],
            model["state"],
            model["provider"],
        )
    assert browser.find_element(By.ID, "live").text == "live: yes"
    assert browser.find_element(By.ID, "ready").text == "ready: yes"


def test_a_recording_is_sent_as_wav_and_diarized(server: str, browser: Any) -> None:
    wait = WebDriverWait(browser, WAIT_S)
    browser.get(f"{server}/")
    record = browser.find_element(By.ID, "record")
    wait.until(lambda page: page.find_element(By.ID, "ready").text == "ready: yes")

    record.click()
    wait.until(lambda page: record.text == "■ Stop")
    time.sleep(RECORDING_S)
    record.click()
    wait.until(lambda page: page.find_element(By.ID, "diarize-status").text.startswith("recording.wav:"))

    summary = browser.find_element(By.ID, "diarize-summary").text
    seconds = float(re.search(r"Audio\s+([\d.]+) s", summary).group(1))  # type: ignore[union-attr]
    assert RECORDING_S - 0.5 <= seconds <= RECORDING_S + 2.0
    assert record.text == "● Record"
