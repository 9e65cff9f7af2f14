"""Legacy archive: move scripts into `archive/<group>/` with their provenance in `archive/MANIFEST.toml`,
refuse while something still references them, restore them byte-identical, never delete anything.

    python -m tools.archive_legacy legacy/train_old.py --reason "replaced by voxrank-train fit"   # dry run
    python -m tools.archive_legacy legacy/train_old.py --reason "..." --apply
    python -m tools.archive_legacy --restore train_old.py --apply
"""
