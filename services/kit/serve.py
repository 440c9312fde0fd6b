"""Run a service app under uvicorn with its settings' host, port and log level."""

from __future__ import annotations

import logging
from typing import Any

import uvicorn


def serve(app: Any, settings: Any) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower(),
                proxy_headers=True)
