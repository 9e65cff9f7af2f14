"""`python -m voxrank.serving` is `voxrank-serve`."""

from voxrank.serving.cli import app

app()
