"""HTTP helpers the channels' endpoints share: JSON answers in readable Vietnamese, and bounded body reads."""

from __future__ import annotations

import json
from functools import partial
from typing import List, Optional

from aiohttp import web

json_response = partial(web.json_response, dumps=partial(json.dumps, ensure_ascii=False))


async def read_body(request: web.Request, limit: int) -> Optional[bytes]:
    """The raw body, at most ``limit`` bytes (None when larger); read here so the web app's own size cap does not apply."""
    if (request.content_length or 0) > limit:
        return None
    chunks: List[bytes] = []
    size = 0
    while True:
        chunk = await request.content.readany()
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
