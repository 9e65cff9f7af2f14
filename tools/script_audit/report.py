"""The audit as Markdown for people and as JSON for tools; both are written from the same dictionary."""

from __future__ import annotations

import json
from pathlib import Path

from tools.script_audit.duplicates import RENAMED_FLOOR

REPORT_NAME = "script-audit"


def _table(headers: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines.extend("| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows)
    return [*lines, ""]


def _code(path: str) -> str:
    return f"`{path}`"


def _count_rows(counts: dict[str, int], total: int) -> list[list[object]]:
    return [[name, count, f"{100 * count / total:.0f}%" if total else "-"] for name, count in counts.items()]


def _action(entry: dict) -> str:
    return f"merge into {_code(entry['target'])}" if entry["action"] == "merge" else entry["action"]


def render_markdown(data: dict) -> str:
    summary = data["summary"]
    total = summary["scripts"]
    lines = [
        f"# Script audit of `{data['root']}`",
        "",
        f"Generated {data['generated']}; near-duplicate threshold {data['threshold']}.",
        "",
        f"**{total} scripts** audited, {summary['skipped']} skipped; "
        f"{summary['exact_groups']} group(s) of byte-identical copies, "
        f"{summary['normalised_groups']} group(s) identical apart from whitespace and comments, "
        f"{summary['near_pairs']} near-duplicate pair(s). "
        f"Recommended: keep {summary['by_action']['keep']}, merge {summary['by_action']['merge']}, "
        f"archive {summary['by_action']['archive']}.",
        "",
        "## Scripts by language",
        "",
        *_table(["language", "scripts", "share"], _count_rows(summary["by_language"], total)),
        "## Scripts by purpose",
        "",
        *_table(["purpose", "scripts", "share"], _count_rows(summary["by_purpose"], total)),
        "## Duplicate families: what to keep",
        "",
    ]
    lines += _families(data["families"])
    lines += ["## Exact duplicates (same bytes)", ""]
    lines += _groups(data["exact_groups"], "No byte-identical copies.")
    lines += ["## Same code apart from whitespace and comments", ""]
    lines += _groups(data["normalised_groups"], "No copies that differ only in whitespace or comments.")
    lines += [
        "## Near duplicates",
        "",
        "Similarity is the Jaccard index of 5-token shingles. *similar code* compares the tokens as written; "
        "*renamed identifiers* compares them with names, strings and numbers abstracted (copies whose "
        f"variables were renamed), and needs at least {RENAMED_FLOOR}.",
        "",
    ]
    if data["near_duplicates"]:
        rows = [
            [_code(p["first"]), _code(p["second"]), f"{p['score']:.2f}", p["kind"]]
            for p in data["near_duplicates"]
        ]
        lines += _table(["script", "similar to", "similarity", "kind"], rows)
    else:
        lines += [f"No pairs at or above {data['threshold']}.", ""]
    lines += ["## Every script, with the recommended action", ""]
    rows = [
        [
            _code(e["path"]),
            e["language"],
            e["lines"],
            e["purpose"],
            _action(e),
            e["reason"],
            "; ".join(e["evidence"]),
        ]
        for e in data["scripts"]
    ]
    lines += _table(["script", "language", "lines", "purpose", "action", "why", "purpose evidence"], rows)
    if data["skipped"]:
        lines += ["## Skipped files", ""]
        lines += _table(
            ["file", "language", "reason"],
            [[_code(s["path"]), s["language"], s["reason"]] for s in data["skipped"]],
        )
    return "\n".join(lines)


def _families(families: list[dict]) -> list[str]:
    if not families:
        return ["No duplicates: every script is kept.", ""]
    lines = []
    for family in families:
        lines.append(f"- keep {_code(family['keep'])}")
        lines.extend(f"  - archive {_code(path)} (same code)" for path in family["archive"])
        lines.extend(f"  - merge {_code(path)} into it (near duplicate)" for path in family["merge"])
    return [*lines, ""]


def _groups(groups: list[list[str]], empty: str) -> list[str]:
    if not groups:
        return [empty, ""]
    lines = []
    for number, group in enumerate(groups, start=1):
        lines.append(f"{number}. {len(group)} copies: " + ", ".join(_code(path) for path in group))
    return [*lines, ""]


def write_reports(data: dict, out_dir: Path) -> tuple[Path, Path]:
    """Write `script-audit.md` and `script-audit.json` into `out_dir` (created if needed)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    markdown = out_dir / f"{REPORT_NAME}.md"
    as_json = out_dir / f"{REPORT_NAME}.json"
    markdown.write_text(render_markdown(data) + "\n", encoding="utf-8")
    as_json.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return markdown, as_json
