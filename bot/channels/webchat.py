"""Web chat channel: an aiohttp app serving one chat page and a JSON endpoint over the assistant.

``POST /api/chat`` takes ``{"user": "<id>", "text": "<message>"}`` (and, when the citizen picked an image or a file,
``"attachment": {"name", "type", "size"}``: what the page says about it; the file itself is never uploaded, the answer
is :data:`bot.phrases.FILE_REPLY`, as on Telegram and Zalo, then the answer to the text if there is one) and answers
``{"replies": [{"text": ..., "buttons": [{"title": ..., "payload": ...}]}]}``; a button click posts
its payload as the text. Errors are JSON ``{"error": "<Vietnamese message>"}`` with a 4xx/5xx status.
Conversations are kept under ``<prefix><user>`` so web users never share an id with another channel.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Union

from aiohttp import web

from bot.channels.http import json_response
from bot.channels.ratelimit import RateLimiter, Verdict
from bot.delivery.reply import Reply
from bot.phrases import FILE_REPLY

log = logging.getLogger(__name__)

PAGE = Path(__file__).resolve().parent / "static" / "webchat.html"
MAX_USER_CHARS = 64

ERR_JSON = "Dữ liệu gửi lên không đúng định dạng JSON."
ERR_OBJECT = "Dữ liệu gửi lên phải là một đối tượng JSON có trường \"user\" và \"text\"."
ERR_USER = f"Trường \"user\" phải là chuỗi từ 1 đến {MAX_USER_CHARS} ký tự in được."
ERR_TEXT = "Trường \"text\" phải là một chuỗi ký tự."
ERR_ATTACHMENT = "Trường \"attachment\" phải là một đối tượng {\"name\", \"type\", \"size\"} mô tả ảnh hoặc tệp."
MAX_ATTACHMENT_NAME = 255
ERR_TOO_LARGE = "Tin nhắn quá dài, anh/chị vui lòng rút gọn giúp em."
ERR_INTERNAL = "Xin lỗi, hệ thống đang gặp sự cố nên chưa trả lời được. Anh/chị vui lòng thử lại sau ít phút."
ERR_NOT_FOUND = "Không tìm thấy địa chỉ này."
ERR_METHOD = "Phương thức không được hỗ trợ ở địa chỉ này."

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# set by bot.channels.operations.mount: the full health check (model, database, scheduler, outbox) behind /healthz
HEALTH = web.AppKey("motcua_health", Callable[[], Awaitable[web.Response]])
LIMITER = web.AppKey("motcua_limiter", object)  # the app's RateLimiter or None, for what is mounted on the app


def _error(status: int, message: str, headers: Optional[Dict[str, str]] = None) -> web.Response:
    response = json_response({"error": message}, status=status, headers={"Cache-Control": "no-store", **(headers or {})})
    if status == 413:  # the body was not read to its end: this connection cannot carry another request
        response.force_close()
    return response


async def read_json_object(request: web.Request, not_object: str = ERR_OBJECT) -> Union[Dict[str, Any], web.Response]:
    """The request's JSON object, or the 413/400 answer to send instead (the web chat's and the kiosk's API;
    ``not_object`` says which fields the object needs)."""
    try:
        raw = await request.read()  # bounded by client_max_size, also for chunked bodies
    except web.HTTPRequestEntityTooLarge:
        return _error(413, ERR_TOO_LARGE)
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _error(400, ERR_JSON)
    if not isinstance(body, dict):
        return _error(400, not_object)
    return body


def _page_headers(html: str) -> Dict[str, str]:
    """Security headers for the page: its inline script and style are allowed by hash, nothing else loads."""
    def hashes(tag: str) -> str:
        bodies = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.S)
        return " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in bodies)

    csp = (f"default-src 'none'; script-src {hashes('script')}; style-src {hashes('style')}; "
           "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'")
    return {"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache"}


def _valid_attachment(value: Any) -> bool:
    """``{"name": str, "type": str, "size": int}`` as the page sends it (the description of a file, never its bytes)."""
    if not isinstance(value, dict) or set(value) - {"name", "type", "size"}:
        return False
    name, kind, size = value.get("name", ""), value.get("type", ""), value.get("size", 0)
    return (isinstance(name, str) and len(name) <= MAX_ATTACHMENT_NAME and isinstance(kind, str) and len(kind) <= 100
            and isinstance(size, int) and not isinstance(size, bool) and size >= 0)
def too_fast(verdict: Verdict) -> web.Response:
    """The 429 of a message over its account's or its address's limit (bot/channels/ratelimit.py)."""
    return _error(429, verdict.text, {"Retry-After": str(max(1, int(verdict.wait + 0.999)))})


def _valid_user(user: Any) -> bool:
    return isinstance(user, str) and 0 < len(user) <= MAX_USER_CHARS and user.isprintable() and bool(user.strip())


@web.middleware
async def _json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer 404/405 under /api/ in JSON like every other API error."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        if request.path.startswith("/api/"):
            return _error(404, ERR_NOT_FOUND)
        raise
    except web.HTTPMethodNotAllowed:
        if request.path.startswith("/api/"):
            return _error(405, ERR_METHOD)
        raise


def create_app(assistant: Any, *, max_body: int = 16_384, prefix: str = "web:", page: Path = PAGE,
               limiter: Optional[RateLimiter] = None) -> web.Application:
    """The web chat application over ``assistant`` (anything with ``async handle(user_id, text) -> replies``).

    ``limiter``: the deployment's rate limits (``motcua serve`` passes one; None: no limit). The app keeps it as
    ``app[LIMITER]`` for the kiosk and the webhooks mounted on it."""
    html = page.read_text(encoding="utf-8")
    page_headers = _page_headers(html)

    async def index(request: web.Request) -> web.Response:
        """Serve the chat page."""
        return web.Response(text=html, content_type="text/html", charset="utf-8", headers=page_headers)

    async def healthz(request: web.Request) -> web.Response:
        """The deployment's health (bot/channels/operations.py) when mounted; else that the server is up."""
        check = request.app.get(HEALTH)
        return await check() if check is not None else json_response({"status": "ok"})

    async def chat(request: web.Request) -> web.Response:
        """Pass one message to the assistant and return its replies as JSON."""
        if (request.content_length or 0) > max_body:
            return _error(413, ERR_TOO_LARGE)
        body = await read_json_object(request)
        if isinstance(body, web.Response):
            return body
        user, text = body.get("user"), body.get("text")
        if not _valid_user(user):
            return _error(400, ERR_USER)
        if not isinstance(text, str):
            return _error(400, ERR_TEXT)
        attachment = body.get("attachment")
        if attachment is not None and not _valid_attachment(attachment):
            return _error(400, ERR_ATTACHMENT)
        if limiter is not None:
            verdict = limiter.check(prefix + user, request.remote)
            if not verdict.allowed:
                return too_fast(verdict)
        try:
            notes = [Reply(FILE_REPLY)] if attachment is not None else []
            replies = notes + (list(await assistant.handle(prefix + user, text)) if text.strip() or not notes else [])
        except Exception:
            log.exception("web chat: the assistant failed on a message from %r", user)
            return _error(500, ERR_INTERNAL)
        payload: List[Dict[str, Any]] = [
            {"text": r.text, "buttons": [{"title": b["title"], "payload": b["payload"]} for b in r.buttons]} for r in replies
        ]
        return json_response({"replies": payload}, headers={"Cache-Control": "no-store"})

    app = web.Application(client_max_size=max_body, middlewares=[_json_errors])
    app[LIMITER] = limiter
    app.add_routes([web.get("/", index), web.get("/healthz", healthz), web.post("/api/chat", chat)])
    return app


async def serve(app_or_assistant: Any, host: str = "127.0.0.1", port: int = 8080, *, max_body: int = 16_384,
                prefix: str = "web:") -> web.AppRunner:
    """Start the web chat on ``host:port`` in the running event loop; stop it with :func:`stop`.

    ``app_or_assistant``: an app from :func:`create_app` (``motcua serve`` mounts the Telegram and Zalo webhooks on
    it first), or an assistant to build one for. ``port=0`` picks a free port: read it from ``runner.addresses[0][1]``.
    """
    app = app_or_assistant if isinstance(app_or_assistant, web.Application) else create_app(
        app_or_assistant, max_body=max_body, prefix=prefix)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    log.info("web chat listening on %s", ", ".join(f"http://{a[0]}:{a[1]}/" for a in runner.addresses))
    return runner


async def stop(runner: Optional[web.AppRunner]) -> None:
    """Stop a web chat started by :func:`serve` (closes its sockets and open connections)."""
    if runner is not None:
        await runner.cleanup()
