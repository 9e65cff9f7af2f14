"""The deployment files and docs name only settings that exist, and the README documents all of them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from voxrank.serving.settings import ServingSettings

PACKAGE = Path(__file__).resolve().parents[1]
ROOT = PACKAGE.parents[1]
SETTINGS = {f"VOXRANK_{name.upper()}" for name in ServingSettings.model_fields}
DEPLOYMENT_FILES = [
    ROOT / "docker-compose.yml",
    ROOT / "docker-compose.gpu.yml",
    ROOT / "docs" / "DEPLOYMENT.md",
    PACKAGE / "Dockerfile",
]


@pytest.mark.parametrize("path", DEPLOYMENT_FILES, ids=lambda path: path.name)
def test_deployment_files_name_only_real_settings(path: Path) -> None:
    named = set(re.findall(r"VOXRANK_[A-Z0-9_]+", path.read_text()))
    assert named, f"{path.name} configures nothing"
    assert named <= SETTINGS, f"{path.name} names unknown settings {sorted(named - SETTINGS)}"


def test_readme_documents_every_setting() -> None:
    readme = (PACKAGE / "README.md").read_text()
    section = readme.split("### Configuration", 1)[1].split("\n## ", 1)[0]
    table = set(re.findall(r"^\| `(VOXRANK_[A-Z0-9_]+)` \|", section, re.MULTILINE))
    assert table == SETTINGS


def test_compose_builds_the_serving_image_and_the_gpu_override_makes_it_strict() -> None:
    cpu = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["serving"]
    gpu = yaml.safe_load((ROOT / "docker-compose.gpu.yml").read_text())["services"]["serving"]

    assert (ROOT / cpu["build"]["context"] / cpu["build"]["dockerfile"]) == PACKAGE / "Dockerfile"
    assert cpu["volumes"] == ["./model-repository:/models:ro"]
    assert cpu["environment"]["VOXRANK_MODEL_REPOSITORY"] == "/models"
    assert gpu["build"]["args"]["EXTRAS"] == "gpu"
    assert gpu["environment"]["VOXRANK_STRICT_PROVIDERS"] == "true"
    settings = ServingSettings(providers=yaml.safe_load(gpu["environment"]["VOXRANK_PROVIDERS"]))
    assert settings.providers[0] == "cuda"
    assert gpu["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]


def test_the_image_serves_on_all_interfaces_from_the_mounted_repository() -> None:
    dockerfile = (PACKAGE / "Dockerfile").read_text()
    assert "VOXRANK_HOST=0.0.0.0" in dockerfile
    assert "VOXRANK_MODEL_REPOSITORY=/models" in dockerfile
    assert re.search(r"^USER 10001$", dockerfile, re.MULTILINE)
    assert 'ENTRYPOINT ["voxrank-serve"]' in dockerfile
