"""A stand-in for the province's one-stop platform API: real HTTP on 127.0.0.1, OpenCPS-shaped JSON.

It speaks the shape of ``data/platform_mapping.yml`` (OpenCPS v2 ``GET /o/rest/v2/dossiers``: ``start``/``end``
offsets, answer ``{"total": N, "data": [...]}``, DossierDataModel field names, dates "dd/MM/yyyy HH:mm:ss"),
so the real client (httpx in ``bot.intake.platform_sync``) talks to it as to a province's server. It runs in a
thread (the sync client is synchronous)::

    with PlatformStandIn(token="t") as api:          # port 0: the OS picks a free port
        api.put(api.dossier("000.00.12.H49-261101-0001", status="processing"))
        config = PlatformConfig(url=api.url, mapping_path=..., token="t")

Paging: ``start``/``end`` offsets as OpenCPS; or, when the request has ``size``, next-page tokens (``pageToken``
in, ``nextPageToken`` out) as other platforms do. Filtering "changed since" is off unless ``since_param`` is given (OpenCPS documents no such filter; a test
that wants one names it, and passes the same name in its mapping). Answers are sorted by modification time,
oldest first, then by dossier number.

Faults: ``api.fail_next(n, kind)`` makes the next ``n`` requests fail with ``429`` (``Retry-After`` header
when ``retry_after`` is given), ``500``/``502``/``503`` (JSON error body), or ``"drop"`` (the connection is
closed without an answer). A wrong or missing token answers 401. ``api.before_answer`` (a callable taking
the request number) runs before each page is computed, to change data in the middle of a sync.
``api.requests`` records ``(params, status)`` of every request.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from base64 import b64encode
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, urlparse

DATE_FORMAT = "%d/%m/%Y %H:%M:%S"
BASE_PATH = "/o/rest/v2"


class PlatformStandIn:
    """The platform's dossier list endpoint, with authentication, paging and fault injection."""

    def __init__(self, token: Optional[str] = "test-token", username: Optional[str] = None, password: Optional[str] = None,
                 since_param: Optional[str] = None) -> None:
        self.token, self.since_param = token, since_param
        self.basic = "Basic " + b64encode(f"{username}:{password}".encode()).decode() if username else None
        self.items: Dict[str, Dict[str, Any]] = {}
        self.requests: List[Tuple[Dict[str, str], int]] = []
        self.faults: List[Tuple[Any, Optional[int]]] = []
        self.before_answer: Optional[Callable[[int], None]] = None
        self.clock = dt.datetime(2026, 11, 2, 8, 0)
        self.lock = threading.Lock()
        self.server: Optional[ThreadingHTTPServer] = None

    # data ------------------------------------------------------------------------------------
    def dossier(self, number: str, status: str = "processing", **fields: Any) -> Dict[str, Any]:
        """A fictional OpenCPS-shaped dossier (override any field)."""
        base = {
            "dossierNo": number, "serviceCode": "1.004873", "serviceName": "Cấp Giấy xác nhận tình trạng hôn nhân",
            "applicantName": "Người Thử Nghiệm", "contactTelNo": "0120 000 " + number[-4:], "applicantIdNo": "0001900" + number[-5:],
            "receiveDate": "02/11/2026 09:00:00", "dueDate": "05/11/2026 17:00:00", "finishDate": "",
            "dossierStatus": status, "dossierStatusText": "", "applicantNote": "", "govAgencyName": "UBND phường Thử Nghiệm",
            "lastActionUser": "Cán bộ Một cửa", "online": "false",
        }
        base.update(fields)
        return base

    def put(self, item: Dict[str, Any], modified: Optional[dt.datetime] = None) -> Dict[str, Any]:
        """Add or change a dossier; its ``modifiedDate`` is ``modified`` or the next minute of the clock."""
        with self.lock:
            if modified is None:
                self.clock += dt.timedelta(minutes=1)
                modified = self.clock
            stored = {**item, "modifiedDate": modified.strftime(DATE_FORMAT)}
            self.items[item["dossierNo"]] = stored
            return stored

    def fail_next(self, n: int = 1, kind: Any = 500, retry_after: Optional[int] = None) -> None:
        """The next ``n`` requests fail with ``kind`` (429, 500, 502, 503 or "drop")."""
        with self.lock:
            self.faults.extend([(kind, retry_after)] * n)

    # server ----------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The base URL to give as MOTCUA_PLATFORM_URL."""
        assert self.server is not None, "start the stand-in first"
        return f"http://127.0.0.1:{self.server.server_address[1]}{BASE_PATH}"

    def __enter__(self) -> "PlatformStandIn":
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()

    def answer(self, path: str, params: Dict[str, str], authorization: Optional[str]) -> Tuple[int, Dict[str, str], Optional[bytes]]:
        """Status, headers and body for one GET (body None: drop the connection)."""
        with self.lock:
            number = len(self.requests) + 1
            fault = self.faults.pop(0) if self.faults else None
        if path != BASE_PATH + "/dossiers":
            return self._record(params, 404, {}, {"message": "Not found"})
        allowed = {f"Bearer {self.token}" if self.token else None, self.basic} - {None}
        if authorization not in allowed:
            return self._record(params, 401, {}, {"message": "Unauthorized"})
        if fault is not None:
            kind, retry_after = fault
            if kind == "drop":
                self._record(params, 0, {}, None)
                return 0, {}, None
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            return self._record(params, int(kind), headers, {"message": f"stand-in fault {kind}"})
        if self.before_answer is not None:
            self.before_answer(number)
        with self.lock:
            items = sorted(self.items.values(), key=lambda i: (dt.datetime.strptime(i["modifiedDate"], DATE_FORMAT), i["dossierNo"]))
        if self.since_param and params.get(self.since_param):
            since = dt.datetime.strptime(params[self.since_param], DATE_FORMAT)
            items = [i for i in items if dt.datetime.strptime(i["modifiedDate"], DATE_FORMAT) >= since]
        if "size" in params:  # next-page-token paging: the token is an opaque string carrying the offset
            start = int(params["pageToken"].removeprefix("tok-")) if params.get("pageToken") else 0
            end = start + int(params["size"])
            body = {"total": len(items), "data": items[start:end], "nextPageToken": f"tok-{end}" if end < len(items) else None}
            return self._record(params, 200, {}, body)
        start = int(params.get("start", 0))
        end = int(params.get("end", start + 15))
        return self._record(params, 200, {}, {"total": len(items), "data": items[start:end]})

    def _record(self, params: Dict[str, str], status: int, headers: Dict[str, str], body: Any) -> Tuple[int, Dict[str, str], Optional[bytes]]:
        with self.lock:
            self.requests.append((params, status))
        return status, headers, None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")

    def data_requests(self) -> List[Dict[str, str]]:
        """Parameters of the requests answered with 200."""
        return [params for params, status in self.requests if status == 200]


def _handler(api: PlatformStandIn) -> type:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            url = urlparse(self.path)
            params = {k: v[-1] for k, v in parse_qs(url.query).items()}
            status, headers, body = api.answer(url.path, params, self.headers.get("Authorization"))
            if body is None:
                self.close_connection = True
                return
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    return Handler
