"""The kiosk screen at the service centre's entrance: ``GET /kiosk`` on the web chat's server.

A visitor taps a big button for a common procedure (the tiles of ``data/counters.yml``) or types "Tôi cần làm…";
the screen shows the counter to go to, what to bring, and a slip to print or read. Routes:

``GET /kiosk``
    The page (tiles rendered from the loaded counters; its inline script and style allowed by hash, as the web chat's).
``GET /api/kiosk/slip/<procedure id>``
    ``{"slip": {...}}`` (:func:`bot.catalogue.counters.slip`), straight from the catalogue: no assistant, no state.
``POST /api/kiosk/ask``
    ``{"session": "<id>", "text": "<message>"}`` in, ``{"replies": [...], "slip": {...} | null}`` out: the same
    assistant as the web chat, under the conversation ``kiosk:<session>``. The page makes a new random session id
    for each visitor (after 60 s idle, or "Về trang đầu") and keeps it in memory only. ``slip`` is the slip of the
    one procedure the replies' buttons are about, if there is one.

What is kept: nothing in the browser (no cookie, no local or session storage); on the server, only what the web
chat keeps for any conversation (Rasa's tracker of ``kiosk:<session>``, and a message the assistant could not
place, in ``unknown_messages``), under an id that names no one and is never reused. See docs/kiosk.md.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import re
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from aiohttp import web

from bot.catalogue.counters import slip
from bot.channels.http import json_response
from bot.channels.webchat import ERR_INTERNAL, ERR_TEXT, LIMITER, MAX_USER_CHARS, _error, _page_headers, read_json_object, too_fast
from bot.services import Services
from bot.timeutil import now_vn
from bot.workdays import WorkCalendar, default_calendar

log = logging.getLogger(__name__)

PAGE = Path(__file__).resolve().parent / "static" / "kiosk.html"
PREFIX = "kiosk:"
PROCEDURE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,119}$")
PAYLOAD = re.compile(r"^/\w+(\{.*\})$", re.S)

ERR_OBJECT = "Dữ liệu gửi lên phải là một đối tượng JSON có trường \"session\" và \"text\"."
ERR_SESSION = f"Trường \"session\" phải là chuỗi từ 1 đến {MAX_USER_CHARS} ký tự in được."
ERR_PROCEDURE = "Không tìm thấy thủ tục này. Anh/chị chọn thủ tục khác hoặc hỏi quầy hướng dẫn."
ERR_NO_LAYOUT = "Phường chưa có sơ đồ quầy. Anh/chị vui lòng hỏi quầy hướng dẫn."
CENTRE = "Bộ phận Một cửa"


def procedure_of(replies: List[Dict[str, Any]]) -> Optional[str]:
    """The one procedure the replies' buttons are about (their payloads ``/intent{"procedure": id, ...}``), or None
    when they name none or several (a choice between procedures)."""
    found = set()
    for reply in replies:
        for button in reply.get("buttons") or []:
            match = PAYLOAD.match(str(button.get("payload") or ""))
            if not match:
                continue
            try:
                data = json.loads(match.group(1))
            except ValueError:
                continue
            if isinstance(data, dict) and isinstance(data.get("procedure"), str):
                found.add(data["procedure"])
    return found.pop() if len(found) == 1 else None


def _tiles_html(services: Services) -> str:
    layout = services.catalogue.counters()
    if layout is None:
        return ""
    buttons = []
    for tile in layout.tiles:
        procedure = services.catalogue.procedure(tile.procedure)
        if procedure is None:
            continue
        counter = layout.for_procedure(procedure)
        buttons.append(
            f'<button type="button" class="tile" data-procedure="{html.escape(tile.procedure)}">'
            f'<span class="tile-label">{html.escape(tile.label)}</span>'
            f'<span class="tile-counter">Quầy {counter.number}</span></button>')
    return "\n".join(buttons)


def mount(app: web.Application, assistant: Any, services: Services, *, clock: Callable[[], dt.datetime] = now_vn,
          calendar: Callable[[], WorkCalendar] = default_calendar, page: Path = PAGE) -> None:
    """Add the kiosk's page and API to the web chat's ``app`` (from :func:`bot.channels.webchat.create_app`).

    ``assistant``: anything with ``async handle(user_id, text) -> replies``; ``clock``: the moment a slip is made."""
    template = page.read_text(encoding="utf-8")
    headers = _page_headers(template)  # the placeholders are outside the script and the style: the hashes hold

    def slip_of(procedure_id: str) -> Optional[Dict[str, Any]]:
        layout = services.catalogue.counters()
        procedure = services.catalogue.procedure(procedure_id) if PROCEDURE_ID.match(procedure_id) else None
        if layout is None or procedure is None:
            return None
        return slip(layout, procedure, clock(), calendar())

    async def kiosk_page(request: web.Request) -> web.Response:
        """Serve the kiosk page with the tiles of the loaded counters."""
        layout = services.catalogue.counters()
        text = template.replace("{{CENTRE}}", html.escape(layout.centre if layout else CENTRE))
        text = text.replace("{{TILES}}", _tiles_html(services))
        return web.Response(text=text, content_type="text/html", charset="utf-8", headers=headers)

    async def slip_route(request: web.Request) -> web.Response:
        """The slip of one procedure, from the catalogue."""
        if services.catalogue.counters() is None:
            return _error(404, ERR_NO_LAYOUT)
        data = slip_of(request.match_info["procedure"])
        if data is None:
            return _error(404, ERR_PROCEDURE)
        return json_response({"slip": data}, headers={"Cache-Control": "no-store"})

    async def ask(request: web.Request) -> web.Response:
        """Pass the visitor's words (or a reply button's payload) to the assistant under the kiosk session."""
        body = await read_json_object(request, ERR_OBJECT)
        if isinstance(body, web.Response):
            return body
        session, text = body.get("session"), body.get("text")
        if not (isinstance(session, str) and 0 < len(session) <= MAX_USER_CHARS and session.isprintable() and session.strip()):
            return _error(400, ERR_SESSION)
        if not isinstance(text, str):
            return _error(400, ERR_TEXT)
        limiter = request.app.get(LIMITER)  # the web chat's (bot/channels/ratelimit.py): by session and by address
        if limiter is not None:
            verdict = limiter.check(PREFIX + session, request.remote)
            if not verdict.allowed:
                return too_fast(verdict)
        try:
            replies = await assistant.handle(PREFIX + session, text)
        except Exception:
            log.exception("kiosk: the assistant failed on a message")
            return _error(500, ERR_INTERNAL)
        payload = [{"text": r.text, "buttons": [{"title": b["title"], "payload": b["payload"]} for b in r.buttons]}
                   for r in replies]
        procedure = procedure_of(payload)
        return json_response({"replies": payload, "slip": slip_of(procedure) if procedure else None},
                             headers={"Cache-Control": "no-store"})

    app.add_routes([web.get("/kiosk", kiosk_page), web.get("/api/kiosk/slip/{procedure}", slip_route),
                    web.post("/api/kiosk/ask", ask)])
