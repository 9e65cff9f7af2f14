"""tools.api_reference: OpenAPI to Markdown, --help of a command tree walked through real subprocesses."""

from __future__ import annotations

import os
import stat
import sys
import textwrap
from pathlib import Path

import pytest

from tools import api_reference
from tools.api_reference import (
    ReferenceSourceError,
    render_openapi,
    render_reference,
    subcommands,
    walk_cli,
)

DOCUMENT = {
    "info": {"title": "demo", "version": "1.2.3", "description": "Demo service."},
    "paths": {
        "/v1/things/{name}": {
            "get": {
                "tags": ["things"],
                "summary": "One thing.",
                "parameters": [
                    {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {
                            "anyOf": [{"type": "integer", "minimum": 1, "maximum": 9}, {"type": "null"}],
                            "default": 3,
                        },
                        "description": "How many | at most",
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The thing.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}},
                    },
                    "404": {"description": "No such thing."},
                },
            }
        },
        "/v1/things": {
            "post": {
                "tags": ["things"],
                "requestBody": {
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}
                },
                "responses": {"201": {"description": "Made."}},
            }
        },
    },
    "components": {
        "schemas": {
            "Thing": {
                "properties": {
                    "name": {"type": "string", "description": "Its name."},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "kind": {"enum": ["a", "b"]},
                },
                "required": ["name"],
                "examples": [{"name": "x", "tags": ["夏"], "kind": "a"}],
            }
        }
    },
}


def test_operations_parameters_responses_and_schemas_become_markdown() -> None:
    text = render_openapi(DOCUMENT)

    assert "demo 1.2.3" in text
    assert "### Things" in text
    assert "#### `GET /v1/things/{name}`" in text
    assert "#### `POST /v1/things`" in text
    assert "| `name` | path | `string` | yes |  |" in text
    assert (
        "| `limit` | query | `integer` (≥ 1, ≤ 9) or `null` | no | How many \\| at most. Default: `3`. |"
        in text
    )
    assert "| 200 | The thing. | `application/json` [Thing](#schema-thing) |" in text
    assert "| 404 | No such thing. |  |" in text
    assert "- `application/json`: [Thing](#schema-thing)" in text
    assert '#### <a id="schema-thing"></a>Thing' in text
    assert "| `tags` | list of `string` | no |  |" in text
    assert "| `kind` | one of `a`, `b` | no |  |" in text
    assert '"tags": [\n    "夏"\n  ]' in text


FAKE_TOOL = '''
import os, sys
command = tuple(sys.argv[1:-1])
assert sys.argv[-1] == "--help"
assert os.environ["TYPER_USE_RICH"] == "0", "help must be asked for in click's plain format"
pages = {
    (): """Usage: fake [OPTIONS] COMMAND [ARGS]...

  A fake tool.

Options:
  --help  Show this message and exit.

Commands:
  index  Index things, with a summary long enough
         to wrap onto a second line.
  serve  Serve.
""",
    ("index",): """Usage: fake index [OPTIONS] COMMAND [ARGS]...

Commands:
  build  Build the index.
""",
    ("index", "build"): """Usage: fake index build [OPTIONS]

  Reads ROOT/data/items.jsonl.
""",
}
if command == ("serve",):
    sys.exit("serve is broken")
print(pages[command].replace("ROOT", os.environ["FAKE_ROOT"]))
'''


@pytest.fixture
def fake_tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "fake-tool"
    script.write_text(f"#!{sys.executable}\n" + textwrap.dedent(FAKE_TOOL))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_ROOT", str(api_reference.ROOT))
    return "fake-tool"


def test_subcommands_are_read_from_the_commands_section_only() -> None:
    help_text = "Options:\n  --help  Help.\n\nCommands:\n  run   Run it\n        further.\n  stop  Stop.\n"

    assert subcommands(help_text) == ["run", "stop"]


def test_the_whole_command_tree_is_walked_and_a_failing_help_is_an_error(fake_tool: str) -> None:
    with pytest.raises(ReferenceSourceError, match=r"`fake-tool serve --help` exited 1: serve is broken"):
        list(walk_cli(fake_tool))


def test_help_pages_render_per_command_without_machine_paths(
    fake_tool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = list(walk_cli(fake_tool, ("index",)))
    assert [command for command, _ in pages] == [("index",), ("index", "build")]

    text = render_reference(DOCUMENT, {fake_tool: pages})

    assert "- [`fake-tool`](#fake-tool)" in text
    assert "#### `fake-tool index build`" in text
    assert "Reads data/items.jsonl." in text
    assert str(api_reference.ROOT) not in text


def test_a_missing_tool_is_named_in_the_error() -> None:
    with pytest.raises(ReferenceSourceError, match="no-such-voxrank-tool is not on PATH"):
        list(walk_cli("no-such-voxrank-tool"))


def test_check_mode_reports_an_out_of_date_file_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api_reference, "generate", lambda: "# API reference\n")
    output = tmp_path / "API_REFERENCE.md"

    assert api_reference.main(["--output", str(output), "--check"]) == 1
    assert not output.exists()
    assert api_reference.main(["--output", str(output)]) == 0
    assert output.read_text() == "# API reference\n"
    assert api_reference.main(["--output", str(output), "--check"]) == 0
