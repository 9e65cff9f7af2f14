"""Script audit: inventory the scripts under a folder, find exact and near duplicates, classify each by
purpose and recommend keep / merge / archive, as a Markdown report and the same data as JSON.

    python -m tools.script_audit LEGACY_CHECKOUT --out audit-report --threshold 0.8
"""
