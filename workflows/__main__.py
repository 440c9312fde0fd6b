"""Run the Temporal worker and the bus bridge: python -m workflows"""

from __future__ import annotations

import asyncio

import uvicorn
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.kit import logs
from workflows.process import WorkflowsProcess, sdk_runtime
from workflows.settings import WorkflowsSettings


def health_app(process: WorkflowsProcess) -> FastAPI:
    app = FastAPI(title="Pishkhan workflows")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "workflows"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        checks = await process.ready()
        ok = all(checks.values())
        return JSONResponse(status_code=200 if ok else 503,
                            content={"status": "ready" if ok else "not_ready", "checks": checks})

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(process.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app


async def main() -> None:
    settings = WorkflowsSettings()
    logs.configure("workflows", level=settings.log_level,
                   fmt=getattr(settings, "log_format", None))
    async with WorkflowsProcess(settings, runtime=sdk_runtime(settings)) as process:
        server = uvicorn.Server(uvicorn.Config(health_app(process), host=settings.host,
                                               port=settings.port,
                                               log_level=settings.log_level.lower(),
                                               log_config=None))
        await server.serve()


if __name__ == "__main__":
    asyncio.run(main())
