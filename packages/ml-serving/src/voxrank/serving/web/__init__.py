"""The web page served at `/`: diarize an upload or a recording, ask for recommendations, see model health.

Static HTML, CSS and JavaScript shipped inside the wheel: no build step, and nothing loads from elsewhere.
"""

from voxrank.serving.web.routes import router

__all__ = ["router"]
