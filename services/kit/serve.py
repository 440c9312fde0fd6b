"""Run a service app under uvicorn with its settings' host, port, log level and log format."""

from __future__ import annotations

from typing import Any

import uvicorn

from services.kit import logs


def serve(app: Any, settings: Any) -> None:
    runtime = getattr(getattr(app, "state", None), "runtime", None)
    service = getattr(runtime, "name", None) or getattr(app, "title", "pishkhan")
    # LOG_FORMAT=json (or a log_format setting) in production; readable text by default
    logs.configure(service, level=settings.log_level, fmt=getattr(settings, "log_format", None))
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower(),
                proxy_headers=True, log_config=None)
