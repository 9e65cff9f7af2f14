"""`voxrank-sync` and `python -m voxrank.datasync`.

The CLI is imported when it runs, not when this module is: multiprocessing's spawn imports the main
module again in every child it starts, and the page writer process would otherwise load the whole
CLI (typer, rich, httpx, tenacity, alembic) and carry it through the sync.
"""


def main() -> None:
    from voxrank.datasync.cli import app

    app()


if __name__ == "__main__":
    main()
