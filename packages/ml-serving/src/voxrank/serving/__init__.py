from voxrank.serving.__about__ import __version__

__all__ = ["__version__"]
