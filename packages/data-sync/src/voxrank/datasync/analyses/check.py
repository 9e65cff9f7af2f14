"""`check` and `diagnose`: orphans, missing indexes, schema drift, stuck partitions, each with a fix.

The database is opened without migrating it, so that drift is seen rather than repaired behind the
user's back.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, Table, func, inspect, select

from voxrank.datasync import runs
from voxrank.datasync.analyses.output import Analysis, markdown_table
from voxrank.datasync.storage import schema
from voxrank.datasync.storage.database import current_revision, head_revision
from voxrank.datasync.storage.page_writer import utcnow

STALE_LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Finding:
    check: str
    severity: str
    """ok | warning | error"""
    detail: str
    fix: str = ""


def check_revision(engine: Engine) -> Finding:
    current, head = current_revision(engine), head_revision()
    if current == head:
        return Finding("schema revision", "ok", f"at head {head}")
    return Finding(
        "schema revision", "error", f"database at {current}, package expects {head}",
        "run any `voxrank-sync run`/`status` once: it applies the pending migrations",
    )  # fmt: skip


def check_schema_drift(engine: Engine) -> list[Finding]:
    inspector = inspect(engine)
    present = set(inspector.get_table_names())
    findings = []
    for table in schema.metadata.sorted_tables:
        if table.name not in present:
            findings.append(
                Finding("schema drift", "error", f"table {table.name} is missing", "voxrank-sync status")
            )
            continue
        columns = {column["name"] for column in inspector.get_columns(table.name)}
        expected = set(table.columns.keys())
        if expected - columns:
            missing = ", ".join(sorted(expected - columns))
            findings.append(
                Finding(
                    "schema drift",
                    "error",
                    f"{table.name} lacks {missing}",
                    "restore the column from migrations",
                )
            )
        if columns - expected:
            extra = ", ".join(sorted(columns - expected))
            findings.append(
                Finding(
                    "schema drift",
                    "warning",
                    f"{table.name} has columns the schema does not know: {extra}",
                    "add them through an alembic migration or drop them",
                )
            )
    return findings or [Finding("schema drift", "ok", "tables and columns match the schema")]


def check_indexes(engine: Engine) -> list[Finding]:
    inspector = inspect(engine)
    present_tables = set(inspector.get_table_names())
    findings = []
    for table in schema.metadata.sorted_tables:
        if table.name not in present_tables:
            continue
        existing = {tuple(index["column_names"]) for index in inspector.get_indexes(table.name)}
        for index in table.indexes:
            columns = tuple(column.name for column in index.columns)
            if columns not in existing:
                findings.append(
                    Finding(
                        "missing index",
                        "warning",
                        f"{index.name} on {table.name}({', '.join(columns)})",
                        f"CREATE INDEX {index.name} ON {table.name} ({', '.join(columns)});",
                    )
                )
    return findings or [Finding("missing index", "ok", "every index of the schema exists")]


def _orphans(engine: Engine, child: Table, column: str, parent: Table, parent_column: str) -> int:
    query = (
        select(func.count())
        .select_from(child.outerjoin(parent, child.c[column] == parent.c[parent_column]))
        .where(parent.c[parent_column].is_(None))
    )
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def check_orphans(engine: Engine) -> list[Finding]:
    relations: list[tuple[Table, str, Table, str]] = [
        (schema.review_summaries, "content_id", schema.items, "content_id"),
        (schema.prices, "content_id", schema.items, "content_id"),
        (schema.item_payloads, "content_id", schema.items, "content_id"),
        (schema.item_people, "content_id", schema.items, "content_id"),
        (schema.checkpoints, "partition_id", schema.partitions, "id"),
        (schema.partitions, "run_id", schema.sync_runs, "id"),
    ]
    for entity, link_table, column in schema.ENTITY_LINKS.values():
        relations.append((link_table, "content_id", schema.items, "content_id"))
        relations.append((link_table, column, entity, "id"))
    findings = []
    for child, column, parent, parent_column in relations:
        count = _orphans(engine, child, column, parent, parent_column)
        if count:
            findings.append(
                Finding(
                    "orphans",
                    "error",
                    f"{count} rows of {child.name}.{column} point to no {parent.name}",
                    f"DELETE FROM {child.name} WHERE {column} NOT IN "
                    f"(SELECT {parent_column} FROM {parent.name});",
                )
            )
    return findings or [Finding("orphans", "ok", "no orphan rows")]


def check_runs(engine: Engine) -> list[Finding]:
    partitions, sync_runs = schema.partitions, schema.sync_runs
    stale_before = utcnow() - STALE_LEASE
    with engine.connect() as connection:
        stuck = connection.execute(
            select(
                partitions.c.run_id, partitions.c.id, partitions.c.worker, partitions.c.heartbeat_at
            ).where(partitions.c.status == "running", partitions.c.heartbeat_at < stale_before)
        ).all()
        failed = connection.execute(
            select(sync_runs.c.id, sync_runs.c.scope, sync_runs.c.error).where(sync_runs.c.status == "failed")
        ).all()
    findings = [
        Finding(
            "stuck partition",
            "warning",
            f"partition {row.id} of run {row.run_id} held by {row.worker}, silent since {row.heartbeat_at}",
            "voxrank-sync resume (takes over partitions of dead workers)",
        )
        for row in stuck
    ]
    findings += [
        Finding(
            "failed run", "warning", f"run {row.id} ({row.scope}) failed: {row.error}", "voxrank-sync resume"
        )
        for row in failed
    ]
    return findings or [Finding("runs", "ok", "no stuck partitions or failed runs")]


def check_quarantine(engine: Engine) -> Finding:
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(schema.quarantine)).scalar_one()
    if not count:
        return Finding("quarantine", "ok", "no quarantined records")
    return Finding(
        "quarantine", "warning", f"{count} records failed validation",
        "voxrank-sync diagnose lists the reasons; fix the parser or report the API change",
    )  # fmt: skip


def run_checks(engine: Engine) -> list[Finding]:
    findings = [check_revision(engine)]
    if findings[0].severity == "error" and current_revision(engine) is None:
        return findings
    findings += check_schema_drift(engine)
    findings += check_indexes(engine)
    findings += check_orphans(engine)
    findings += check_runs(engine)
    findings.append(check_quarantine(engine))
    return findings


def _findings_markdown(findings: list[Finding]) -> str:
    return markdown_table(
        ["check", "severity", "detail", "suggested fix"],
        [[f.check, f.severity, f.detail, f"`{f.fix}`" if f.fix else ""] for f in findings],
    )


def build_check(engine: Engine) -> Analysis:
    findings = run_checks(engine)
    problems = [finding for finding in findings if finding.severity != "ok"]
    data = {"findings": [asdict(finding) for finding in findings], "problems": len(problems)}
    markdown = f"# Database check\n\n{len(problems)} problem(s).\n\n" + _findings_markdown(findings)
    return Analysis("check", data, markdown)


def _run_details(engine: Engine) -> list[dict[str, Any]]:
    sync_runs, partitions = schema.sync_runs, schema.partitions
    details = []
    with engine.connect() as connection:
        rows = connection.execute(select(sync_runs).order_by(sync_runs.c.id)).all()
        statuses = Counter(
            (row.run_id, row.status)
            for row in connection.execute(select(partitions.c.run_id, partitions.c.status))
        )
    for row in rows:
        count, pages, done = runs.plan_progress(engine, row.id)
        details.append(
            {
                "run": row.id, "scope": row.scope, "mode": row.mode, "status": row.status,
                "partitions": count, "pages_done": done, "pages_planned": pages,
                "partition_status": {s: n for (run_id, s), n in statuses.items() if run_id == row.id},
                "error": row.error,
            }
        )  # fmt: skip
    return details


def _quarantine_reasons(engine: Engine, limit: int = 10) -> list[dict[str, Any]]:
    quarantine = schema.quarantine
    query = (
        select(quarantine.c.reason, func.count().label("records"))
        .group_by(quarantine.c.reason)
        .order_by(func.count().desc())
        .limit(limit)
    )
    with engine.connect() as connection:
        return [{"reason": row.reason, "records": row.records} for row in connection.execute(query)]


def build_diagnosis(engine: Engine) -> Analysis:
    findings = run_checks(engine)
    run_details = _run_details(engine) if findings[0].severity == "ok" else []
    reasons = _quarantine_reasons(engine) if findings[0].severity == "ok" else []
    data = {
        "database": engine.url.render_as_string(hide_password=True),
        "findings": [asdict(finding) for finding in findings],
        "runs": run_details,
        "quarantine_reasons": reasons,
    }
    markdown = f"# Diagnosis of {data['database']}\n\n## Findings\n\n" + _findings_markdown(findings)
    markdown += "\n## Runs\n\n" + markdown_table(
        ["run", "scope", "mode", "status", "pages done / planned", "partitions by status", "error"],
        [
            [d["run"], d["scope"], d["mode"], d["status"], f"{d['pages_done']}/{d['pages_planned']}",
             d["partition_status"], d["error"] or ""]
            for d in run_details
        ],
    )  # fmt: skip
    markdown += "\n## Quarantine reasons\n\n" + markdown_table(
        ["reason", "records"], [[r["reason"], r["records"]] for r in reasons]
    )
    return Analysis("diagnose", data, markdown)
