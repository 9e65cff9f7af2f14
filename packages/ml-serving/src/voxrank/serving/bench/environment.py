"""The environment record every result carries: CPU, cores, memory, GPU and library versions."""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

from voxrank.serving.bench.schema import Environment

LIBRARIES = (
    "onnxruntime",
    "onnxruntime-gpu",
    "numpy",
    "scipy",
    "torch",
    "fastapi",
    "uvicorn",
    "httpx",
    "voxrank-ml-serving",
    "voxrank-ml-training",
    "voxrank-data-sync",
)


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def usable_cpu_count() -> int:
    """Cores this process may run on (the affinity mask), which containers often cut below the total."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def memory_gib() -> float | None:
    meminfo = Path("/proc/meminfo")
    if not meminfo.exists():
        return None
    match = re.search(r"MemTotal:\s+(\d+) kB", meminfo.read_text(encoding="utf-8"))
    return round(int(match.group(1)) / 2**20, 1) if match else None


def gpu_name() -> str | None:
    """The first NVIDIA GPU's name from nvidia-smi, or None when there is no driver."""
    executable = shutil.which("nvidia-smi")
    if executable is None:
        return None
    try:
        completed = subprocess.run(
            [executable, "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (subprocess.SubprocessError, OSError):
        return None
    names = [line.strip() for line in completed.stdout.splitlines() if line.strip()]
    return names[0] if names else None


def library_versions() -> dict[str, str]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def machine_label(cpu: str, cores: int, gpu: str | None) -> str:
    """A file-name-safe label naming the machine: the GPU when there is one, else the CPU and its cores."""
    hardware = gpu if gpu else f"{re.sub(r'@.*$', '', cpu)} {cores}core"
    slug = re.sub(r"\((r|tm)\)|\bcpu\b", "", hardware.lower())
    return re.sub(r"[^a-z0-9]+", "-", slug).strip("-")


def capture_environment() -> Environment:
    import onnxruntime

    cpu, cores, gpu = cpu_model(), usable_cpu_count(), gpu_name()
    return Environment(
        machine=machine_label(cpu, cores, gpu),
        hostname_hash=hashlib.sha256(platform.node().encode()).hexdigest()[:12],
        platform=platform.platform(),
        python=platform.python_version(),
        cpu_model=cpu,
        cpu_count_logical=os.cpu_count() or 1,
        cpu_count_usable=cores,
        memory_gib=memory_gib(),
        load_average_1m=round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        gpu_name=gpu,
        onnxruntime_providers=list(onnxruntime.get_available_providers()),
        libraries=library_versions(),
    )
