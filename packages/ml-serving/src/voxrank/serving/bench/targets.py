"""Which ONNX models a run measures: the latest version of each precision in a model repository."""

from __future__ import annotations

from pathlib import Path

from voxrank.serving.bench.model import ModelTarget


class NoModelsError(LookupError):
    """Nothing to benchmark: an empty repository or a model file that does not exist."""


def family_name(name: str, precision: str) -> str:
    """`diarization-fastcnn-int8` -> `diarization-fastcnn`: one name for every precision of a model."""
    return name.removesuffix(f"-{precision}")


def from_repository(
    root: Path, task: str = "diarization", names: list[str] | None = None
) -> list[ModelTarget]:
    """The newest READY version of every (model, precision) pair of `task` in the repository at `root`.

    `names` keeps the models whose repository name or precision-less family name is listed.
    """
    from voxrank.serving.repository import ModelRepository

    repository = ModelRepository(root)
    targets: dict[tuple[str, str], ModelTarget] = {}
    for name in repository.models():
        for version in repository.versions(name):
            resolved = repository.resolve(name, str(version))
            precision = str(resolved.manifest.precision)
            family = family_name(name, precision)
            if resolved.manifest.task != task or (names and not {name, family} & set(names)):
                continue
            # versions() is ascending, so a later version of the same precision replaces an earlier one.
            targets[(family, precision)] = ModelTarget(
                name=family,
                precision=precision,
                path=Path(resolved.model_path),
                version=f"{name} {resolved.version}",
                manifest=resolved.manifest,
            )
    if not targets:
        raise NoModelsError(
            f"no READY {task} models{' named ' + ', '.join(names) if names else ''} in {root}"
        )
    return [targets[key] for key in sorted(targets)]


def from_files(specs: list[str]) -> list[ModelTarget]:
    """Targets from `[NAME[:PRECISION]=]PATH` specs, for models that are not in a repository."""
    targets = []
    for spec in specs:
        label, _, path_text = spec.rpartition("=")
        path = Path(path_text)
        if not path.is_file():
            raise NoModelsError(f"model file {path} does not exist")
        name, _, precision = (label or path.stem).partition(":")
        targets.append(ModelTarget(name=name, precision=precision or "fp32", path=path))
    return targets
