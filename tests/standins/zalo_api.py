"""A stand-in Zalo OA API (message API, uploads, OAuth refresh) for tests: real HTTP on 127.0.0.1, Zalo's JSON.

The real client (httpx, in :mod:`bot.channels.zalo_send` and :mod:`bot.channels.zalo_tokens`) talks to it as to
https://openapi.zalo.me and https://oauth.zaloapp.com; nothing is mocked. Start it in the running loop::

    from tests.standins.zalo_api import ZaloStandIn

    async with ZaloStandIn() as zalo:                 # port 0: the OS picks a free port
        config = zalo.config()                         # a bot.channels.zalo.ZaloConfig pointing here
        ...
        assert zalo.texts_to("2468458835296197922") == ["Xin chào"]

Endpoints (``POST`` unless said; the ``access_token`` header on the API ones, as Zalo wants):

- ``/v3.0/oa/message/cs``: a customer-service message ``{"recipient": {"user_id" | "message_id"}, "message":
  {...}}``. Accepted: ``text`` (at most 2000 characters, counted in UTF-16 units), template ``buttons`` (title at
  most 100 characters, ``oa.query.*`` payload at most 1000), ``attachment.type == "file"`` with a token from an
  upload, a ``media`` template with an ``attachment_id`` from an image upload. Answer
  ``{"error": 0, "message": "Success", "data": {"message_id", "user_id"}}``.
- ``/v2.0/oa/upload/file`` (multipart ``file``; PDF/DOC/DOCX up to 5 MB) → ``data.token``;
  ``/v2.0/oa/upload/image`` (JPG/PNG up to 1 MB) → ``data.attachment_id``.
- ``GET /v3.0/oa/user/detail?data={"user_id": ...}`` → ``data.display_name`` (set names in ``profiles``).
- ``/v4/oa/access_token`` (form ``refresh_token``, ``app_id``, ``grant_type=refresh_token``; header
  ``secret_key``): issues a new pair each time (``expires_in`` as a string, like Zalo) and spends the refresh
  token; a spent or unknown one gets Zalo's OAuth error shape ``{"error", "error_name", "error_reason",
  "error_description"}`` at HTTP 200 (shape: https://github.com/ChatbotXIO/ChatbotX/pull/1019 and
  phithu/rn-zalo issue 10; the numeric code -14014 is this stand-in's choice, Zalo's is not documented).

Like Zalo, failures answer **HTTP 200** with ``error`` ≠ 0 (codes from the Zalo error table): an unknown or
expired access token ``-216`` "Access token is invalid" (a token stops working ``expires_in`` seconds after it
was issued, on the stand-in's clock), a message too long ``-210``, a bad parameter ``-201``, a user whose window
was closed with ``close_window`` ``-230``.

Controls: ``issue_pair()`` (a fresh valid pair, e.g. for the settings), ``expire_access_tokens()`` (every
issued access token stops working now), ``advance(seconds)`` (move the stand-in's clock), ``close_window(uid,
code=-230)``, ``fail_next(n=1, kind="error", code=-200, delay=3.0, endpoint="api")`` with kinds ``"error"``
(HTTP 200, ``error`` = ``code``), ``"http500"``, ``"slow"`` (answers normally after ``delay`` seconds) for the
next ``n`` calls to ``endpoint`` ``"api"`` (message and uploads) or ``"oauth"``.

What the client did: ``calls`` (every request as :class:`Call`: ``path``, ``headers``, ``json``, ``form``,
``files``, ``status``, ``response``), ``calls_to(path)``, ``messages`` / ``messages_to(uid)`` (the accepted
CS bodies), ``texts_to(uid)``, ``files_to(uid)`` (the :class:`Upload` objects sent as file messages),
``refresh_tokens_sent`` (every refresh token presented, in order), ``wait_for(predicate, timeout, what)`` (fails naming what).

Posting events to our webhook as Zalo does: ``zalo.text_event(uid, text)``, ``tap_event(uid, button)``,
``media_event(uid, "user_send_sticker")``, ``follow_event(uid)``, ``unfollow_event(uid)``,
``chatnow_event(uid)`` build event dicts (timestamp now, in milliseconds, as a string; a fresh ``msg_id``);
``zalo.signed(event)`` returns ``(body_bytes, headers)`` with ``X-ZEvent-Signature`` = ``mac=`` +
sha256(app id + body + timestamp + OA secret key); ``sign(body_bytes, timestamp)`` signs a raw body (for ids
written as bare JSON numbers); ``await zalo.post_event(http, url, event)`` posts it and returns the response.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from aiohttp import web

from tests.waiting import wait_until

TEXT_LIMIT = 2000
FILE_TYPES = (".pdf", ".doc", ".docx")
IMAGE_TYPES = (".jpg", ".jpeg", ".png")
QUERY_TYPES = ("oa.query.show", "oa.query.hide")


@dataclass
class Call:
    """One request the client made."""

    path: str
    headers: Dict[str, str]
    json: Any = None
    form: Dict[str, str] = field(default_factory=dict)
    files: List["Upload"] = field(default_factory=list)
    status: int = 0
    response: Any = None


@dataclass
class Upload:
    """A file or image the client uploaded."""

    filename: str
    content: bytes
    content_type: str
    token: str


@dataclass
class Fault:
    kind: str
    code: int
    delay: float
    endpoint: str


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class ZaloStandIn:
    """The stand-in server; see the module docstring."""

    def __init__(self, *, app_id: str = "1234567890123456789", app_secret: str = "app-secret-key",
                 oa_secret: str = "oa-secret-key", oa_id: str = "579745863508352884", expires_in: int = 90000) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.oa_secret = oa_secret
        self.oa_id = oa_id
        self.expires_in = expires_in
        self.calls: List[Call] = []
        self.messages: List[Dict[str, Any]] = []
        self.refresh_tokens_sent: List[str] = []
        self.access_tokens: Dict[str, float] = {}   # token -> expires at (stand-in clock)
        self.refresh_tokens: Dict[str, bool] = {}   # token -> still usable
        self.uploads: Dict[str, Upload] = {}
        self.closed_windows: Dict[str, int] = {}
        self.profiles: Dict[str, str] = {}          # user id -> display name (default "Người dùng <last 4 digits>")
        self._faults: List[Fault] = []
        self._offset = 0.0
        self._ids = itertools.count(1)
        self._runner: Optional[web.AppRunner] = None
        self.url = ""

    # lifecycle --------------------------------------------------------------------------
    async def start(self) -> "ZaloStandIn":
        """Listen on 127.0.0.1 at a free port."""
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.add_routes([
            web.post("/v3.0/oa/message/cs", self._message),
            web.post("/v2.0/oa/upload/file", partial_upload(self, "file")),
            web.post("/v2.0/oa/upload/image", partial_upload(self, "image")),
            web.post("/v4/oa/access_token", self._oauth),
            web.get("/v3.0/oa/user/detail", self._profile),
        ])
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "ZaloStandIn":
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    # controls ---------------------------------------------------------------------------
    def now(self) -> float:
        """The stand-in's clock (real time plus what ``advance`` added)."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the stand-in's clock forward (tokens expire on it)."""
        self._offset += seconds

    def issue_pair(self) -> Tuple[str, str]:
        """A new valid (access token, refresh token)."""
        n = next(self._ids)
        access, refresh = f"AT-{n}-{hashlib.sha256(str(n).encode()).hexdigest()[:8]}", f"RT-{n}"
        self.access_tokens[access] = self.now() + self.expires_in
        self.refresh_tokens[refresh] = True
        return access, refresh

    def expire_access_tokens(self) -> None:
        """Every access token issued so far stops working now."""
        for token in self.access_tokens:
            self.access_tokens[token] = self.now() - 1

    def close_window(self, user_id: str, code: int = -230) -> None:
        """Messages to ``user_id`` fail with ``code`` (Zalo's answer outside the reply window)."""
        self.closed_windows[str(user_id)] = code

    def fail_next(self, n: int = 1, kind: str = "error", *, code: int = -200, delay: float = 3.0, endpoint: str = "api") -> None:
        """The next ``n`` calls to ``endpoint`` ("api" or "oauth") fail: ``error`` body, ``http500`` or ``slow``."""
        if kind not in ("error", "http500", "slow"):
            raise ValueError(f"unknown fault kind {kind!r}")
        self._faults += [Fault(kind, code, delay, endpoint) for _ in range(n)]

    def config(self, **overrides: Any) -> Any:
        """A :class:`bot.channels.zalo.ZaloConfig` pointing at this stand-in, with a freshly issued pair."""
        from bot.channels.zalo import ZaloConfig

        access, refresh = self.issue_pair()
        values = dict(app_id=self.app_id, oa_secret=self.oa_secret, app_secret=self.app_secret, access_token=access,
                      refresh_token=refresh, api_url=self.url, oauth_url=self.url)
        values.update(overrides)
        return ZaloConfig(**values)

    # what the client did ----------------------------------------------------------------
    def calls_to(self, path: str) -> List[Call]:
        """The calls to ``path``."""
        return [c for c in self.calls if c.path == path]

    def messages_to(self, user_id: str) -> List[Dict[str, Any]]:
        """The accepted CS message bodies to ``user_id``."""
        return [m for m in self.messages if str(m["recipient"].get("user_id")) == str(user_id)]

    def texts_to(self, user_id: str) -> List[str]:
        """The texts of the accepted messages to ``user_id``."""
        return [m["message"]["text"] for m in self.messages_to(user_id) if "text" in m["message"]]

    def files_to(self, user_id: str) -> List[Upload]:
        """The uploads sent to ``user_id`` as file messages."""
        out = []
        for m in self.messages_to(user_id):
            attachment = m["message"].get("attachment") or {}
            if attachment.get("type") == "file":
                out.append(self.uploads[attachment["payload"]["token"]])
        return out

    def buttons_to(self, user_id: str) -> List[Dict[str, Any]]:
        """Every template button sent to ``user_id``, in order."""
        out = []
        for m in self.messages_to(user_id):
            payload = (m["message"].get("attachment") or {}).get("payload") or {}
            out += payload.get("buttons") or []
        return out

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 30.0, what: Optional[str] = None) -> None:
        """Wait until ``predicate()`` is true; ``AssertionError`` naming ``what`` after ``timeout`` seconds."""
        await wait_until(predicate, timeout, what)

    # webhook events ---------------------------------------------------------------------
    def _base(self, name: str) -> Dict[str, Any]:
        return {"app_id": self.app_id, "event_name": name, "timestamp": str(int(self.now() * 1000))}

    def text_event(self, user_id: str, text: str, *, msg_id: Optional[str] = None) -> Dict[str, Any]:
        """A ``user_send_text`` event."""
        return {**self._base("user_send_text"), "sender": {"id": str(user_id)}, "recipient": {"id": self.oa_id},
                "message": {"msg_id": msg_id or f"msg-in-{next(self._ids)}", "text": text},
                "user_id_by_app": f"app-{user_id}"}

    def tap_event(self, user_id: str, button: Dict[str, Any]) -> Dict[str, Any]:
        """What Zalo posts when the user taps an ``oa.query.*`` button: the payload as the user's text message."""
        return self.text_event(user_id, button["payload"])

    def media_event(self, user_id: str, name: str = "user_send_sticker") -> Dict[str, Any]:
        """An image/sticker/file/location... event."""
        return {**self._base(name), "sender": {"id": str(user_id)}, "recipient": {"id": self.oa_id},
                "message": {"msg_id": f"msg-in-{next(self._ids)}",
                            "attachments": [{"type": name.rsplit("_", 1)[-1], "payload": {"url": "https://example.invalid/x"}}]}}

    def follow_event(self, user_id: str) -> Dict[str, Any]:
        """A ``follow`` event."""
        return {**self._base("follow"), "oa_id": self.oa_id, "follower": {"id": str(user_id)}, "source": "oa_profile"}

    def unfollow_event(self, user_id: str) -> Dict[str, Any]:
        """An ``unfollow`` event."""
        return {**self._base("unfollow"), "oa_id": self.oa_id, "follower": {"id": str(user_id)}, "source": "oa_profile"}

    def chatnow_event(self, user_id: str) -> Dict[str, Any]:
        """A ``user_click_chatnow`` event."""
        return {**self._base("user_click_chatnow"), "oa_id": self.oa_id, "user_id": str(user_id)}

    def sign(self, body: bytes, timestamp: str) -> str:
        """``X-ZEvent-Signature`` for a raw body, as Zalo computes it."""
        data = self.app_id.encode() + body + timestamp.encode() + self.oa_secret.encode()
        return "mac=" + hashlib.sha256(data).hexdigest()

    def signed(self, event: Dict[str, Any]) -> Tuple[bytes, Dict[str, str]]:
        """The body and headers Zalo would post for ``event``."""
        body = json.dumps(event, ensure_ascii=False).encode("utf-8")
        return body, {"Content-Type": "application/json", "X-ZEvent-Signature": self.sign(body, str(event["timestamp"]))}

    async def post_event(self, http: Any, url: str, event: Dict[str, Any]) -> Any:
        """POST ``event`` to our webhook at ``url`` as Zalo does (an ``httpx.AsyncClient`` response)."""
        body, headers = self.signed(event)
        return await http.post(url, content=body, headers=headers)

    # handlers ---------------------------------------------------------------------------
    async def _fault(self, endpoint: str, call: Call) -> Optional[web.Response]:
        """The next fault queued for ``endpoint`` (recorded on ``call``), or None; a slow fault only waits."""
        index = next((i for i, f in enumerate(self._faults) if f.endpoint == endpoint), None)
        if index is None:
            return None
        fault = self._faults.pop(index)
        if fault.kind == "slow":
            await asyncio.sleep(fault.delay)
            return None
        if fault.kind == "http500":
            answer = web.Response(status=500, text="<html><body>500 Internal Server Error</body></html>", content_type="text/html")
        else:
            answer = self._json({"error": fault.code, "message": "Send message failed" if fault.code == -200 else "Injected error"})
        call.status, call.response = answer.status, answer.text
        return answer

    async def _refused(self, request: web.Request, call: Call) -> Optional[web.Response]:
        """What an API call gets instead of its answer: an injected fault, or the error of a bad access token."""
        fault = await self._fault("api", call)
        if fault is not None:
            return fault
        error = self._token_error(request)
        return self._answer(call, error) if error else None

    @staticmethod
    def _json(body: Dict[str, Any], status: int = 200) -> web.Response:
        return web.json_response(body, status=status)

    def _token_error(self, request: web.Request) -> Optional[Dict[str, Any]]:
        token = request.headers.get("access_token", "")
        expires = self.access_tokens.get(token)
        if expires is None or self.now() >= expires:
            return {"error": -216, "message": "Access token is invalid"}
        return None

    def _record(self, request: web.Request, **kwargs: Any) -> Call:
        call = Call(path=request.path, headers=dict(request.headers), **kwargs)
        self.calls.append(call)
        return call

    def _answer(self, call: Call, body: Dict[str, Any], status: int = 200) -> web.Response:
        call.status, call.response = status, body
        return self._json(body, status)

    async def _message(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        call = self._record(request, json=body)
        refused = await self._refused(request, call)
        if refused is not None:
            return refused
        problem = self._check_message(body)
        if problem:
            return self._answer(call, {"error": problem[0], "message": problem[1]})
        user_id = str(body["recipient"].get("user_id") or "")
        if user_id in self.closed_windows:
            code = self.closed_windows[user_id]
            return self._answer(call, {"error": code, "message": "User has not interacted with the OA in the past 7 days"})
        self.messages.append(body)
        return self._answer(call, {"error": 0, "message": "Success",
                                   "data": {"message_id": f"msg-out-{next(self._ids)}", "user_id": user_id}})

    def _check_message(self, body: Any) -> Optional[Tuple[int, str]]:
        """Zalo's checks on a CS message body: (code, message) of the first problem, or None."""
        if not isinstance(body, dict) or not isinstance(body.get("recipient"), dict) or not isinstance(body.get("message"), dict):
            return -201, "recipient/message is invalid!"
        recipient, message = body["recipient"], body["message"]
        if not isinstance(recipient.get("user_id"), str) and not isinstance(recipient.get("message_id"), str):
            return -201, "user_id is invalid!"
        text, attachment = message.get("text"), message.get("attachment")
        if text is None and attachment is None:
            return -201, "message is invalid!"
        if text is not None and (not isinstance(text, str) or not text.strip()):
            return -201, "text is invalid!"
        if isinstance(text, str) and _utf16_len(text) > TEXT_LIMIT:
            return -210, "Parameter exceeds allowable limit"
        if attachment is not None:
            if not isinstance(attachment, dict):
                return -201, "attachment is invalid!"
            payload = attachment.get("payload") or {}
            if attachment.get("type") == "file":
                if payload.get("token") not in self.uploads:
                    return -201, "token is invalid!"
            elif attachment.get("type") == "template":
                for element in payload.get("elements") or []:
                    if element.get("attachment_id") not in self.uploads:
                        return -201, "attachment_id is invalid!"
                for button in payload.get("buttons") or []:
                    title = button.get("title")
                    if not isinstance(title, str) or not title or len(title) > 100:
                        return -201, "button title is invalid!"
                    if button.get("type") in QUERY_TYPES:
                        if not isinstance(button.get("payload"), str) or len(button["payload"]) > 1000:
                            return -201, "button payload is invalid!"
                    elif button.get("type") not in ("oa.open.url", "oa.open.phone", "oa.open.sms"):
                        return -201, "button type is invalid!"
            else:
                return -233, "message type is invalid or not support"
        return None

    async def _profile(self, request: web.Request) -> web.Response:
        call = self._record(request, json=dict(request.query))
        error = self._token_error(request)
        if error:
            return self._answer(call, error)
        try:
            user_id = str(json.loads(request.query.get("data", ""))["user_id"])
        except (ValueError, KeyError, TypeError):
            return self._answer(call, {"error": -201, "message": "user_id is invalid!"})
        name = self.profiles.get(user_id, f"Người dùng {user_id[-4:]}")
        return self._answer(call, {"error": 0, "message": "Success", "data": {"user_id": user_id, "display_name": name}})

    async def _upload(self, request: web.Request, kind: str) -> web.Response:
        call = self._record(request)
        uploads: List[Upload] = []
        try:
            reader = await request.multipart()
            async for part in reader:
                if part.name == "file":
                    content = bytes(await part.read())
                    uploads.append(Upload(part.filename or "", content, part.headers.get("Content-Type", ""), ""))
        except (ValueError, AssertionError, KeyError):
            pass
        call.files = uploads
        refused = await self._refused(request, call)
        if refused is not None:
            return refused
        if len(uploads) != 1:
            return self._answer(call, {"error": -201, "message": "file is invalid!"})
        upload = uploads[0]
        name = upload.filename.lower()
        allowed, limit = (FILE_TYPES, 5 * 1024 * 1024) if kind == "file" else (IMAGE_TYPES, 1024 * 1024)
        if not name.endswith(allowed) or not upload.content:
            return self._answer(call, {"error": -201, "message": "file type is invalid!"})
        if len(upload.content) > limit:
            return self._answer(call, {"error": -210, "message": "Parameter exceeds allowable limit"})
        upload.token = f"{kind}-{next(self._ids)}-{hashlib.sha256(upload.content).hexdigest()[:12]}"
        self.uploads[upload.token] = upload
        data = {"token": upload.token} if kind == "file" else {"attachment_id": upload.token}
        return self._answer(call, {"error": 0, "message": "Success", "data": data})

    async def _oauth(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        call = self._record(request, form=form)
        fault = await self._fault("oauth", call)
        if fault is not None:
            return fault
        refresh = form.get("refresh_token", "")
        if form.get("grant_type") == "refresh_token":
            self.refresh_tokens_sent.append(refresh)
        if request.headers.get("secret_key") != self.app_secret or form.get("app_id") != self.app_id:
            return self._answer(call, {"error_name": "Invalid parameter", "error_reason": "Invalid app id or secret key",
                                       "error_description": "app_id or secret_key is invalid", "error": -14002})
        if form.get("grant_type") != "refresh_token" or not self.refresh_tokens.get(refresh):
            return self._answer(call, {"error_name": "Invalid parameter", "error_reason": "Invalid refresh token",
                                       "error_description": "Refresh token is invalid or has been used", "error": -14014})
        self.refresh_tokens[refresh] = False  # single use
        access, new_refresh = self.issue_pair()
        return self._answer(call, {"access_token": access, "refresh_token": new_refresh, "expires_in": str(self.expires_in)})


def partial_upload(standin: ZaloStandIn, kind: str) -> Callable[[web.Request], Any]:
    """The upload handler of ``kind`` ("file" or "image")."""
    async def handler(request: web.Request) -> web.Response:
        return await standin._upload(request, kind)

    return handler
