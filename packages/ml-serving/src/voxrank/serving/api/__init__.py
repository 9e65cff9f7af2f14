"""The HTTP API: `create_app(settings)` builds it, `serve(settings)` runs it under uvicorn."""
