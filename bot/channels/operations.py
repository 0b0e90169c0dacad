"""``GET /healthz`` and ``GET /metrics`` on the web chat's server, for whoever keeps the ward's machine running.

``GET /healthz``
    ``{"status": "ok"|"fail", "failing": [...], "checks": {"model", "database", "scheduler", "outbox"}}``
    (:func:`bot.health.check`): HTTP 200 when every part is healthy, 503 naming the failing parts otherwise.
    A load balancer, Docker's ``HEALTHCHECK`` or a systemd watchdog script reads the status code.
``GET /metrics``
    Prometheus' text format: the counters and histograms of :mod:`bot.metrics` (every worker process with
    ``--workers N``) and the outbox gauges read from the database (:func:`bot.health.outbox_families`).

Neither names a person: counts, times and the parts' states only. Both answer without the assistant, so a
stuck model still gets a ``/healthz`` answer (503 ``model``). Put them behind the ward's reverse proxy, or
keep the server on 127.0.0.1, if Prometheus scrapes from the same machine.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Optional

from aiohttp import web

from bot.channels.http import json_response
from bot.channels.webchat import HEALTH
from bot.health import HealthConfig, check, model_state, outbox_exposition
from bot.metrics import exposition

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # prometheus_client.CONTENT_TYPE_LATEST


def mount(app: web.Application, assistant: Any, config: HealthConfig, *, started: Optional[float] = None) -> None:
    """Give ``app`` (from :func:`bot.channels.webchat.create_app`) the full ``/healthz`` and a ``/metrics`` route.

    ``assistant``: anything with ``handle``; its ``health()`` (``Assistant``, ``WorkerPool``) says if the model is
    loaded. ``started``: when the process started (Unix seconds), for the scheduler's first run after a start."""
    since = time.time() if started is None else started

    async def healthz() -> web.Response:
        report = await asyncio.to_thread(check, config, model_state(assistant), started=since)
        return json_response(report, status=200 if report["status"] == "ok" else 503, headers={"Cache-Control": "no-store"})

    async def metrics(request: web.Request) -> web.Response:
        """Every metric of the deployment in Prometheus' text format."""
        def render() -> bytes:
            try:
                outbox = outbox_exposition(config.db_path)
            except Exception as error:  # noqa: BLE001 - the process metrics still answer; the comment says why
                outbox = f"# outbox gauges unavailable: {type(error).__name__}\n".encode()
            return exposition() + outbox

        body = await asyncio.to_thread(render)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE, "Cache-Control": "no-store"})

    app[HEALTH] = healthz
    app.add_routes([web.get("/metrics", metrics)])
