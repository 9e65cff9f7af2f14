"""Purpose of a script (ml-training, ml-testing, ml-deployment, data-sync, data-analysis, build,
utility, unknown) from weighted evidence in its path and name, its imports and its content."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tools.script_audit.inventory import Script

UNKNOWN = "unknown"
PURPOSES = ("ml-training", "ml-testing", "ml-deployment", "data-sync", "data-analysis", "build", "utility")
# Below this total a script has shown too little to be sorted; "unknown" is honest there.
MIN_SCORE = 2.5
MAX_HITS_PER_SIGNAL = 3


@dataclass(frozen=True)
class Signal:
    purpose: str
    source: str
    """"path" (folders and file name), "import" (a module or program it uses) or "content"."""
    pattern: re.Pattern[str]
    weight: float


@dataclass(frozen=True)
class Classification:
    purpose: str
    score: float
    evidence: tuple[str, ...]


_W = r"(?:^|[/_.\-\s])"  # a word start in a path, where `_`, `-` and `.` separate words
_E = r"(?:$|[/_.\-\s\d])"

# purpose -> source -> (weight per hit, patterns); imports are exact module or program names.
RULES: dict[str, dict[str, tuple[float, list[str]]]] = {
    "ml-training": {
        "path": (3, [rf"{_W}(re)?train", r"fine.?tun", r"pretrain", rf"{_W}fit{_E}", r"epoch"]),
        "import": (2, ["torch", "tensorflow", "keras", "lightning", "pytorch_lightning", "transformers",
                       "sklearn", "xgboost", "lightgbm", "accelerate", "deepspeed", "optuna",
                       "@tensorflow/tfjs"]),
        "content": (1.5, [r"\.backward\(\)", r"optimi[sz]er\.step\(", r"\bnum_epochs\b|\bfor\s+epoch\b",
                          r"\.fit\(", r"\btorchrun\b", r"DistributedDataParallel", r"lr_scheduler",
                          r"train_loader|DataLoader\("]),
    },
    "ml-testing": {
        "path": (3, [r"(?:^|/)tests?/", rf"{_W}test{_E}|_test\b|\.test\.|\.spec\.", rf"{_W}eval",
                     r"bench(mark)?", r"validat", rf"{_W}metrics?{_E}", r"smoke"]),
        "import": (3, ["pytest", "unittest", "jest", "vitest", "mocha", "chai", "hypothesis",
                       "pyannote.metrics"]),
        "content": (1.5, [r"^\s*assert\b", r"^\s*def test_", r"\bdescribe\(|\bexpect\(",
                          r"DiarizationErrorRate|\bDER\b", r"\baccuracy\b|\bprecision\b|\brecall\b",
                          r"\bevaluate\("]),
    },
    "ml-deployment": {
        "path": (3, [rf"{_W}serv(e|er|ing)", r"deploy", r"infer", r"predict", r"export", r"onnx", r"docker",
                     r"k8s|kube|helm", rf"{_W}api{_E}", r"rollout"]),
        "import": (2, ["onnxruntime", "onnx", "fastapi", "uvicorn", "flask", "gunicorn", "tritonclient",
                       "express", "onnxruntime-node", "koa", "kubectl", "docker", "helm"]),
        "content": (2, [r"torch\.onnx\.export", r"InferenceSession", r"uvicorn\.run", r"\.listen\(",
                        r"@app\.(get|post)|app\.(get|post)\(", r"\bkubectl\b", r"docker\s+(push|run)"]),
    },
    "data-sync": {
        "path": (3, [r"(?<!a)sync", r"fetch", r"crawl", r"scrap", r"download", r"ingest", rf"{_W}etl{_E}",
                     r"dmm", r"catalog", r"mirror", r"upload", rf"{_W}import{_E}"]),
        "import": (2, ["requests", "httpx", "aiohttp", "urllib", "urllib3", "axios", "node-fetch", "got",
                       "sqlalchemy", "psycopg", "psycopg2", "sqlite3", "pg", "mysql", "pymongo", "boto3",
                       "tenacity", "aiolimiter", "curl", "wget", "rsync", "psql", "aws", "gsutil"]),
        "content": (1.5, [r"https?://", r"api_?key|affiliate_id", r"INSERT\s+INTO|UPSERT|ON\s+CONFLICT",
                          r"\bfetch\(", r"\bhits\b|\bpagination\b|\bnext_?page\b|\boffset\b"]),
    },
    "data-analysis": {
        "path": (3, [r"analy[sz]", rf"{_W}stats?{_E}", r"report", r"plot", r"vi[sz]uali", rf"{_W}eda{_E}",
                     r"explor", r"dashboard", r"summar", r"inspect", r"notebook"]),
        "import": (2, ["pandas", "matplotlib", "seaborn", "plotly", "statsmodels", "scipy", "polars", "d3",
                       "chart.js", "duckdb"]),
        "content": (1.5, [r"\.groupby\(", r"\.describe\(", r"\bplt\.", r"\.plot\(", r"value_counts",
                          r"\.hist\(|histogram", r"\.corr\(|correlation", r"\.savefig\("]),
    },
    "build": {
        "path": (3, [r"build", r"setup\.py", r"webpack|rollup|vite|esbuild", r"compil", r"bundle", r"release",
                     r"install", rf"{_W}ci{_E}", r"package", r"makefile"]),
        "import": (2, ["setuptools", "distutils", "esbuild", "webpack", "rollup", "typescript", "hatchling",
                       "twine", "npm", "npx", "yarn", "pnpm", "tsc", "make", "cmake", "gcc", "pip"]),
        "content": (1.5, [r"\bnpm\s+(run|install|ci)\b", r"\bpip\s+install\b", r"python\s+-m\s+build",
                          r"\btsc\b", r"\btwine\b", r"docker\s+build", r"\bcmake\b|\bgcc\b"]),
    },
    "utility": {
        "path": (2, [r"util", r"helper", r"common", r"misc", rf"{_W}tools?{_E}", rf"{_W}lib{_E}", r"clean",
                     r"convert", r"rename", r"migrat", r"format"]),
        "import": (0.5, ["os", "sys", "shutil", "pathlib", "argparse", "glob", "fs", "path", "json", "re",
                         "find", "mv", "cp", "rm"]),
        "content": (0.5, [r"shutil\.|os\.rename|\brm\s+-rf?\b|\bfind\s+\S+\s+-name\b"]),
    },
}  # fmt: skip


def _compile(source: str, pattern: str) -> re.Pattern[str]:
    if source == "import":
        return re.compile(rf"^{re.escape(pattern)}$")
    return re.compile(pattern, re.IGNORECASE | re.MULTILINE)


SIGNALS = [
    Signal(purpose, source, _compile(source, pattern), weight)
    for purpose, sources in RULES.items()
    for source, (weight, patterns) in sources.items()
    for pattern in patterns
]

_PY_IMPORT = re.compile(
    r"^\s*(?:from\s+(\.*[\w.]+)\s+import|import\s+([\w.]+(?:\s*,\s*[\w.]+)*))", re.MULTILINE
)
_JS_IMPORT = re.compile(
    r"""require\(\s*['"]([^'"]+)['"]\s*\)|^\s*(?:import|export)\s+(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]""",
    re.MULTILINE,
)
_SH_COMMAND = re.compile(
    r"(?:^|[;&|]|\$\(|\bthen\b|\bdo\b)\s*(?:sudo\s+|exec\s+|env\s+|\w+=\S*\s+)*([\w.\-]+)"
)


def _js_module(specifier: str) -> str:
    specifier = specifier.removeprefix("node:")
    if specifier.startswith("."):
        return specifier
    parts = specifier.split("/")
    return "/".join(parts[:2]) if specifier.startswith("@") else parts[0]


def imports(script: Script) -> set[str]:
    """Top-level modules (Python, JS/TS) or programs (shell) the script uses."""
    if script.language == "python":
        found = set()
        for from_module, plain in _PY_IMPORT.findall(script.text):
            for module in (from_module or plain).split(","):
                found.add(module.strip())
                found.add(module.strip().split(".")[0])
        return {name for name in found if name and not name.startswith(".")}
    if script.language in ("javascript", "typescript"):
        return {_js_module(a or b) for a, b in _JS_IMPORT.findall(script.text)}
    lines = (line.split("#", 1)[0] for line in script.text.splitlines())
    return {command for line in lines for command in _SH_COMMAND.findall(line)}


def classify(script: Script) -> Classification:
    """The best-supported purpose, or unknown when the evidence is too thin; evidence says why."""
    modules = imports(script)
    path = script.path.lower()
    scores = dict.fromkeys(PURPOSES, 0.0)
    evidence: dict[str, list[tuple[float, str]]] = {purpose: [] for purpose in PURPOSES}
    for signal in SIGNALS:
        if signal.source == "path":
            hits = [match.group().strip("/_.- ") for match in signal.pattern.finditer(path)][:1]
        elif signal.source == "import":
            hits = sorted(module for module in modules if signal.pattern.search(module))[:MAX_HITS_PER_SIGNAL]
        else:
            hits = [match.group().strip() for match in signal.pattern.finditer(script.text)]
            hits = hits[:MAX_HITS_PER_SIGNAL]
        if hits:
            gained = signal.weight * len(hits)
            scores[signal.purpose] += gained
            evidence[signal.purpose].append((gained, f"{signal.source}: {', '.join(dict.fromkeys(hits))}"))
    best = max(PURPOSES, key=lambda purpose: scores[purpose])  # ties go to the earlier, more specific purpose
    if scores[best] < MIN_SCORE:
        return Classification(UNKNOWN, scores[best], ())
    reasons = tuple(text for _, text in sorted(evidence[best], key=lambda item: -item[0])[:4])
    return Classification(best, round(scores[best], 1), reasons)
