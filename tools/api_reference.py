"""Generate docs/API_REFERENCE.md from the served OpenAPI document and the command-line tools' --help.

The HTTP part comes from `create_app(...).openapi()` with default settings (no server is started); the
command-line part runs each console script and every subcommand with `--help` (click's plain format, so
the Markdown holds no box drawing). Needs every package installed: `nox -s docs` does that and runs this.

    python -m tools.api_reference            # write docs/API_REFERENCE.md
    python -m tools.api_reference --check    # exit 1 when docs/API_REFERENCE.md is out of date
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.package_graph import ROOT

OUTPUT = Path("docs/API_REFERENCE.md")
SCRIPTS = ("voxrank-sync", "voxrank-serve", "voxrank-train", "voxrank-bench")
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
HELP_ENV = {"TYPER_USE_RICH": "0", "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "100"}
HELP_TIMEOUT_S = 120
# "  name   Summary..." under "Commands:" in click's plain help; wrapped summary lines are indented deeper.
_COMMAND_LINE = re.compile(r"^  (?P<name>[A-Za-z0-9][\w-]*)(?:\s{2,}.*)?$")

Document = Mapping[str, Any]


class ReferenceSourceError(RuntimeError):
    """Something the reference is generated from is missing or broken; the message says what."""


# ---- HTTP API -------------------------------------------------------------------------------------------


def served_openapi() -> dict[str, Any]:
    """The OpenAPI document of the app that `voxrank-serve serve` runs, with default settings."""
    try:
        from voxrank.serving.api.app import create_app
        from voxrank.serving.settings import ServingSettings
    except ImportError as error:
        raise ReferenceSourceError(
            f"the HTTP reference needs voxrank-ml-serving installed ({error})"
        ) from error
    # model_validate skips the VOXRANK_* environment: the reference documents the defaults.
    document: dict[str, Any] = create_app(ServingSettings.model_validate({})).openapi()
    return document


def render_openapi(document: Document) -> str:
    info = document.get("info", {})
    lines = ["## HTTP API", "", f"{info.get('title', 'API')} {info.get('version', '')}".rstrip(), ""]
    if info.get("description"):
        lines += [info["description"].strip(), ""]
    lines += [
        "The live document is served at `/openapi.json` (interactive at `/docs`). With API keys configured "
        "(`VOXRANK_API_KEYS`), every `/v1` route also wants the key in the header named by "
        "`VOXRANK_API_KEY_HEADER` (`X-API-Key` by default). The web page at `/` and the `/ui/*` routes it "
        "uses are not part of the document: packages/ml-serving/README.md describes them.",
        "",
    ]
    for tag, operations in _operations_by_tag(document).items():
        lines += [f"### {tag.capitalize()}", ""]
        for method, path, operation in operations:
            lines += _render_operation(method, path, operation)
    schemas = document.get("components", {}).get("schemas", {})
    if schemas:
        lines += ["### Schemas", ""]
        for name in sorted(schemas):
            lines += _render_schema(name, schemas[name])
    return "\n".join(lines)


def _operations_by_tag(document: Document) -> dict[str, list[tuple[str, str, Document]]]:
    grouped: dict[str, list[tuple[str, str, Document]]] = {}
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                operation = item[method]
                tag = (operation.get("tags") or ["other"])[0]
                grouped.setdefault(tag, []).append((method.upper(), path, operation))
    return grouped


def _render_operation(method: str, path: str, operation: Document) -> list[str]:
    lines = [f"#### `{method} {path}`", ""]
    if operation.get("summary"):
        lines += [operation["summary"], ""]
    if operation.get("description"):
        lines += [operation["description"].strip(), ""]
    parameters = operation.get("parameters", [])
    if parameters:
        lines += ["| Parameter | In | Type | Required | Description |", "|---|---|---|---|---|"]
        for parameter in parameters:
            schema = parameter.get("schema", {})
            description = parameter.get("description") or schema.get("description", "")
            if "default" in schema:
                description = f"{description.rstrip('.')}. Default: `{schema['default']}`.".lstrip(". ")
            lines.append(
                f"| `{parameter['name']}` | {parameter.get('in', '')} | {_type_of(schema)} | "
                f"{'yes' if parameter.get('required') else 'no'} | {_cell(description)} |"
            )
        lines.append("")
    body = operation.get("requestBody")
    if body:
        lines += _render_body(body)
    lines += ["| Status | Meaning | Body |", "|---|---|---|"]
    for status, response in operation.get("responses", {}).items():
        lines.append(f"| {status} | {_cell(response.get('description', ''))} | {_content_types(response)} |")
    return [*lines, ""]


def _render_body(body: Document) -> list[str]:
    lines = [f"Request body: {body.get('description', '')}".rstrip(), ""]
    for media_type, content in body.get("content", {}).items():
        lines.append(f"- `{media_type}`: {_type_of(content.get('schema', {}))}")
    return [*lines, ""]


def _content_types(response: Document) -> str:
    content = response.get("content", {})
    return "<br>".join(f"`{media}` {_type_of(entry.get('schema', {}))}" for media, entry in content.items())


def _render_schema(name: str, schema: Document) -> list[str]:
    lines = [f'#### <a id="{_anchor(name)}"></a>{name}', ""]
    if schema.get("description"):
        lines += [_cell(schema["description"]), ""]
    properties = schema.get("properties", {})
    if not properties:
        return [*lines, f"Type: {_type_of(schema)}", ""]
    required = set(schema.get("required", []))
    lines += ["| Field | Type | Required | Description |", "|---|---|---|---|"]
    for field, field_schema in properties.items():
        lines.append(
            f"| `{field}` | {_type_of(field_schema)} | {'yes' if field in required else 'no'} | "
            f"{_cell(field_schema.get('description', ''))} |"
        )
    lines.append("")
    for example in schema.get("examples", [])[:1]:
        lines += ["Example:", "", "```json", json.dumps(example, indent=2, ensure_ascii=False), "```", ""]
    return lines


def _type_of(schema: Document) -> str:
    """A short human type: `string`, `integer ≥ 1`, [Turn](#turn) list, `string` or null, one of ..."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{_anchor(name)})"
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            return " or ".join(dict.fromkeys(_type_of(option) for option in schema[combinator]))
    if "enum" in schema:
        return "one of " + ", ".join(f"`{value}`" for value in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    return _plain_type(schema)


def _plain_type(schema: Document) -> str:
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_type_of(schema.get('items', {}))}"
    if kind == "object" and "properties" in schema:
        fields = ", ".join(f"`{name}` {_type_of(value)}" for name, value in schema["properties"].items())
        return f"object with {fields}"
    if kind == "object" and "additionalProperties" in schema:
        values = schema["additionalProperties"]
        return f"map of {_type_of(values) if isinstance(values, dict) else 'any'}"
    text = f"`{schema['format']}` {kind}" if "format" in schema else f"`{kind}`"
    bounds = [
        f"{symbol} {schema[key]}"
        for key, symbol in (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"))
        if key in schema
    ]
    return text + (f" ({', '.join(bounds)})" if bounds else "")


def _anchor(name: str) -> str:
    return "schema-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _cell(text: str) -> str:
    """Text that stays inside one Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


# ---- Command-line tools ---------------------------------------------------------------------------------


def command_help(script: str, command: tuple[str, ...]) -> str:
    executable = shutil.which(script)
    if executable is None:
        raise ReferenceSourceError(
            f"{script} is not on PATH: install its package (nox -s docs installs them all)"
        )
    result = subprocess.run(
        [executable, *command, "--help"],
        capture_output=True,
        text=True,
        env=os.environ | HELP_ENV,
        timeout=HELP_TIMEOUT_S,
        check=False,
    )
    if result.returncode != 0:
        shown = " ".join([script, *command])
        raise ReferenceSourceError(
            f"`{shown} --help` exited {result.returncode}: {result.stderr.strip()[-2000:]}"
        )
    return result.stdout.rstrip()


def subcommands(help_text: str) -> list[str]:
    """Command names listed under `Commands:` in click's plain help."""
    names: list[str] = []
    in_commands = False
    for line in help_text.splitlines():
        if line.strip() == "Commands:":
            in_commands = True
        elif in_commands and not line.strip():
            in_commands = False
        elif in_commands and (match := _COMMAND_LINE.match(line)):
            names.append(match.group("name"))
    return names


def walk_cli(script: str, command: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """(command path, help text) of the script and every subcommand below it, depth first."""
    help_text = command_help(script, command)
    yield command, help_text
    for name in subcommands(help_text):
        yield from walk_cli(script, (*command, name))


def render_cli(script: str, pages: list[tuple[tuple[str, ...], str]]) -> str:
    lines = [f"### `{script}`", ""]
    for command, help_text in pages:
        if command:
            lines += [f"#### `{' '.join([script, *command])}`", ""]
        lines += ["```text", _without_machine_paths(help_text), "```", ""]
    return "\n".join(lines)


def _without_machine_paths(text: str) -> str:
    """Defaults that resolve to this checkout are written relative to the repository root."""
    return text.replace(f"{ROOT}{os.sep}", "").replace(str(ROOT), ".")


# ---- The document ---------------------------------------------------------------------------------------


def render_reference(openapi: Document, cli_pages: Mapping[str, list[tuple[tuple[str, ...], str]]]) -> str:
    contents = ["- [HTTP API](#http-api)"] + [f"- [`{script}`](#{script})" for script in cli_pages]
    parts = [
        "# API reference",
        "",
        "<!-- Generated by `nox -s docs` (tools/api_reference.py); edit the code, not this file. -->",
        "",
        "The HTTP API of `voxrank-serve serve` and the help of every command-line tool.",
        "",
        *contents,
        "",
        render_openapi(openapi),
        "## Command-line tools",
        "",
        *(render_cli(script, pages) for script, pages in cli_pages.items()),
    ]
    return "\n".join(parts).rstrip() + "\n"


def generate() -> str:
    return render_reference(served_openapi(), {script: list(walk_cli(script)) for script in SCRIPTS})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / OUTPUT, help="Where to write the reference.")
    parser.add_argument("--check", action="store_true", help="Exit 1 when the file differs; write nothing.")
    options = parser.parse_args(argv)
    try:
        text = generate()
    except (ReferenceSourceError, subprocess.TimeoutExpired) as error:
        print(f"api_reference: {error}", file=sys.stderr)
        return 2
    current = options.output.read_text(encoding="utf-8") if options.output.exists() else ""
    if options.check:
        if current != text:
            print(f"{options.output} is out of date: run nox -s docs", file=sys.stderr)
            return 1
        return 0
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(text, encoding="utf-8")
    print(f"wrote {options.output} ({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
