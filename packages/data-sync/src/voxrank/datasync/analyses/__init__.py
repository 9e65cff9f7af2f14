"""Data-quality analyses of a synced catalog; each writes Markdown and JSON (and a PNG where it helps)."""
