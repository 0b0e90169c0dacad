"""``motcua sync``: pull changed dossiers from the province's one-stop platform over HTTP (httpx) into SQLite.

Everything platform-specific (path, paging, names of fields, status codes, date formats) is in the mapping
file (``data/platform_mapping.yml``, whose comments say which real platform its default shape follows).

Crash-safe and idempotent: each page is upserted together with the cursor in one SQLite transaction
(``Dossiers.upsert(..., also=...)``), so a run that dies mid-way resumes at the first page it did not commit,
and a page read twice changes nothing. The cursor (table ``platform_sync_state``) is

* with a "changed since" filter (``request.since_param``): the newest modification time committed and how
  many dossiers carry exactly that time (keyset paging: a dossier changed during the run moves to the end
  of the list and is read there, none is skipped);
* without one: the offset reached by an unfinished full pass (back to 0 when a pass ends);
* with next-page tokens: the token of the next page, until the pass ends.

429 and 5xx answers and network errors are retried with exponential back-off (``Retry-After`` wins when
the platform sends it); 401/403 stop at once with a clear message.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import httpx
import yaml

from bot import yamltext
from bot.dossiers.records import COLUMNS, DossierError, iso, normalise
from bot.intake.vocabulary import flag, online_level, submission
from bot.services import Services
from bot.settings import Settings
from bot.workdays import VN_TZ

STATE_TABLE = "platform_sync_state"
RETRY_STATUSES = {429, 500, 502, 503, 504}


class SyncError(RuntimeError):
    """The sync cannot go on (settings, credentials, the platform's answers); the message says why."""


@dataclass(frozen=True)
class PlatformConfig:
    """Where the platform is and how to log in; read from ``settings.env`` (``MOTCUA_PLATFORM_*``)."""

    url: str
    mapping_path: Path
    token: Optional[str] = field(default=None, repr=False)  # secrets stay out of any log that prints the config
    username: Optional[str] = None
    password: Optional[str] = field(default=None, repr=False)
    timeout: float = 30.0
    retries: int = 5
    backoff: float = 1.0

    @classmethod
    def from_settings(cls, settings: Settings) -> "PlatformConfig":
        """MOTCUA_PLATFORM_URL (required), _TOKEN or _USER + _PASSWORD, _MAPPING, _TIMEOUT, _RETRIES."""
        env = settings.env
        url = (env.get("MOTCUA_PLATFORM_URL") or "").strip()
        if not url:
            raise SyncError("Chưa đặt MOTCUA_PLATFORM_URL (địa chỉ API của hệ thống một cửa của tỉnh).")
        mapping = Path(env.get("MOTCUA_PLATFORM_MAPPING") or "data/platform_mapping.yml")
        return cls(
            url=url.rstrip("/"),
            mapping_path=mapping if mapping.is_absolute() else settings.root / mapping,
            token=env.get("MOTCUA_PLATFORM_TOKEN") or None,
            username=env.get("MOTCUA_PLATFORM_USER") or None,
            password=env.get("MOTCUA_PLATFORM_PASSWORD") or None,
            timeout=float(env.get("MOTCUA_PLATFORM_TIMEOUT") or 30),
            retries=int(env.get("MOTCUA_PLATFORM_RETRIES") or 5),
        )


@dataclass
class Mapping:
    """The mapping file: request shape, response paths, field names, statuses, value translations."""

    path: str
    params: Dict[str, Any]
    headers: Dict[str, str]
    page_size: int
    pagination: Dict[str, Any]
    since_param: Optional[str]
    since_format: str
    since_inclusive: bool
    auth: Dict[str, Any]
    items: str
    total: Optional[str]
    next_token: Optional[str]
    date_formats: List[str]
    fields: Dict[str, str]
    statuses: Dict[str, str]
    values: Dict[str, Dict[str, Any]]
    procedures: Dict[str, str]

    @classmethod
    def load(cls, path: Path) -> "Mapping":
        """Read and check a mapping file; errors name the file and the key."""
        try:
            data = yamltext.load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as error:
            raise SyncError(f"{path}: không đọc được tệp ánh xạ: {error}") from None
        request, response = data.get("request") or {}, data.get("response") or {}
        fields = {str(k): str(v) for k, v in (data.get("fields") or {}).items()}
        for column in fields.values():
            if column not in COLUMNS:
                raise SyncError(f"{path}: fields: '{column}' không phải cột của bảng hồ sơ")
        if "code" not in fields.values() or "status" not in fields.values():
            raise SyncError(f"{path}: fields phải có trường ứng với 'code' và 'status'")
        pagination = request.get("pagination") or {"style": "offset", "start_param": "start", "end_param": "end"}
        if pagination.get("style") not in ("offset", "page", "token"):
            raise SyncError(f"{path}: request.pagination.style phải là offset, page hoặc token")
        if pagination["style"] == "token" and not response.get("next_token"):
            raise SyncError(f"{path}: style token cần response.next_token")
        return cls(
            path=str(request.get("path") or ""),
            params=dict(request.get("params") or {}),
            headers={str(k): str(v) for k, v in (request.get("headers") or {}).items()},
            page_size=int(request.get("page_size") or 100),
            pagination=pagination,
            since_param=request.get("since_param") or None,
            since_format=str(request.get("since_format") or "%Y-%m-%dT%H:%M:%S%z"),
            since_inclusive=bool(request.get("since_inclusive", True)),
            auth=dict(data.get("auth") or {"scheme": "bearer"}),
            items=str(response.get("items") or "data"),
            total=response.get("total") or None,
            next_token=response.get("next_token") or None,
            date_formats=list((data.get("dates") or {}).get("formats") or ["%Y-%m-%dT%H:%M:%S%z"]),
            fields=fields,
            statuses={str(k): str(v) for k, v in (data.get("statuses") or {}).items()},
            values={str(k): {str(a): b for a, b in (v or {}).items()} for k, v in (data.get("values") or {}).items()},
            procedures={str(k): str(v) for k, v in (data.get("procedures") or {}).items()},
        )

    def parse_date(self, value: Any) -> Optional[str]:
        """A platform date as stored (ISO, +07:00 when the platform gives no offset)."""
        if value is None or str(value).strip() == "":
            return None
        text = str(value).strip()
        for fmt in self.date_formats:
            try:
                moment = dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
            return iso(moment if moment.tzinfo else moment.replace(tzinfo=VN_TZ))
        raise DossierError("date", f"ngày giờ không đọc được: {text!r}")

    def to_row(self, item: Dict[str, Any]) -> Dict[str, Any]:
        """One platform dossier as an upsert row; raises :class:`DossierError` for a bad or unknown value."""
        row: Dict[str, Any] = {}
        implied_level: Optional[str] = None
        for name, column in self.fields.items():
            found, value = dig(item, name)
            if not found:
                continue
            if column in ("received_at", "due_at", "finished_at", "updated_at"):
                try:
                    value = self.parse_date(value)
                except DossierError as error:
                    raise DossierError(column, error.problem) from None
            elif column == "status":
                if str(value) not in self.statuses:
                    raise DossierError("status", f"mã trạng thái {value!r} chưa có trong tệp ánh xạ (statuses)")
                value = self.statuses[str(value)]
            elif column in self.values and value is not None:
                value = self.values[column].get(str(value).lower(), self.values[column].get(str(value), value))
            if value is not None and column == "submission_channel":  # "Trực tuyến toàn trình", "online/full", "Bưu chính"
                value, level = submission(value)
                implied_level = level or implied_level
            elif value is not None and column == "online_level":
                value = online_level(value)
            elif value is not None and column in ("paid_online", "result_digitised", "dossier_digitised"):
                value = flag(value)
            row[column] = value
        if implied_level and not row.get("online_level"):
            row["online_level"] = implied_level
        code = str(row.get("procedure_code") or "")
        if code in self.procedures:
            row["procedure_id"] = self.procedures[code]
        return normalise(row)


def dig(item: Any, path: str) -> Tuple[bool, Any]:
    """``dig({"a": {"b": 1}}, "a.b") == (True, 1)``; (False, None) when a key is missing."""
    value = item
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


@dataclass
class SyncReport:
    """What one ``motcua sync`` run did."""

    pages: int = 0
    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    status_changes: int = 0
    retries: int = 0
    skipped: List[Tuple[str, str]] = field(default_factory=list)  # (code or "?", reason)

    def summary(self) -> str:
        """One Vietnamese line for the command line."""
        return (f"Đã đọc {self.fetched} hồ sơ ({self.pages} trang): {self.inserted} mới, {self.updated} cập nhật "
                f"({self.status_changes} đổi trạng thái), {self.unchanged} không đổi, {len(self.skipped)} bỏ qua.")


class _State:
    """The cursor in ``platform_sync_state`` (one row per platform name)."""

    def __init__(self, store: Services, name: str) -> None:
        self.store, self.name = store, name
        store.db.execute(
            f"create table if not exists {STATE_TABLE} (name text primary key, since text, since_count integer not null default 0, "
            "offset integer not null default 0, page_token text, updated_at text)"
        )
        store.db.execute(f"insert or ignore into {STATE_TABLE} (name) values (?)", [name])
        store.db.conn.commit()

    def read(self) -> Dict[str, Any]:
        return next(iter(self.store.db.query(f"select * from {STATE_TABLE} where name = ?", [self.name])))

    def statement(self, since: Optional[str], since_count: int, offset: int, token: Optional[str]) -> Tuple[str, List[Any]]:
        """The UPDATE that moves the cursor (committed with the page it follows)."""
        return (
            f"update {STATE_TABLE} set since = ?, since_count = ?, offset = ?, page_token = ?, updated_at = ? where name = ?",
            [since, since_count, offset, token, iso(dt.datetime.now(VN_TZ)), self.name],
        )


class PlatformClient:
    """Pages of dossiers from the platform, with authentication and retries."""

    def __init__(self, config: PlatformConfig, mapping: Mapping, client: Optional[httpx.Client] = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.config, self.mapping, self.sleep = config, mapping, sleep
        headers = {"Accept": "application/json", **mapping.headers}
        auth = None
        if config.username and config.password:
            auth = httpx.BasicAuth(config.username, config.password)
        elif config.token:
            scheme = mapping.auth.get("scheme", "bearer")
            if scheme == "header":
                headers[str(mapping.auth.get("header_name") or "X-Api-Key")] = config.token
            else:
                headers["Authorization"] = f"Bearer {config.token}"
        self.headers, self.auth = headers, auth
        self.client = client or httpx.Client(timeout=config.timeout)
        self.retries_done = 0

    def close(self) -> None:
        """Close the HTTP connections."""
        self.client.close()

    def page(self, params: Dict[str, Any]) -> Dict[str, Any]:
        """GET one page (fixed params + ``params``), retrying 429/5xx and network errors."""
        url = self.config.url + self.mapping.path
        query = {**self.mapping.params, **params}
        for attempt in range(self.config.retries + 1):
            wait = self.config.backoff * (2 ** attempt)
            try:
                response = self.client.get(url, params=query, headers=self.headers, auth=self.auth or httpx.USE_CLIENT_DEFAULT)
            except httpx.TransportError as error:
                problem = f"lỗi mạng: {error.__class__.__name__}"
            else:
                if response.status_code in (401, 403):
                    raise SyncError(f"Hệ thống một cửa từ chối đăng nhập (HTTP {response.status_code}): kiểm tra MOTCUA_PLATFORM_TOKEN "
                                    "hoặc MOTCUA_PLATFORM_USER/PASSWORD.")
                if response.status_code not in RETRY_STATUSES:
                    if response.status_code >= 400:
                        raise SyncError(f"Hệ thống một cửa trả lỗi HTTP {response.status_code} cho {response.request.url}")
                    try:
                        return response.json()
                    except ValueError:
                        raise SyncError(f"Hệ thống một cửa trả về dữ liệu không phải JSON ({response.request.url})") from None
                problem = f"HTTP {response.status_code}"
                wait = _retry_after(response) or wait
            if attempt == self.config.retries:
                raise SyncError(f"Hệ thống một cửa chưa trả lời được sau {self.config.retries + 1} lần thử ({problem}).")
            self.retries_done += 1
            self.sleep(min(wait, 300.0))
        raise AssertionError("unreachable")


def _retry_after(response: httpx.Response) -> Optional[float]:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def sync(store: Services, config: PlatformConfig, mapping: Optional[Mapping] = None, client: Optional[httpx.Client] = None,
         progress: bool = False, sleep: Callable[[float], None] = time.sleep, max_pages: Optional[int] = None,
         name: str = "platform") -> SyncReport:
    """Pull every dossier changed since the stored cursor; returns what was done (see the module docstring)."""
    mapping = mapping or Mapping.load(config.mapping_path)
    platform = PlatformClient(config, mapping, client, sleep)
    state = _State(store, name)
    report = SyncReport()
    bar = None
    try:
        while max_pages is None or report.pages < max_pages:
            cursor = state.read()
            data = platform.page(_page_params(mapping, cursor))
            found, items = dig(data, mapping.items)
            if not found or not isinstance(items, list):
                raise SyncError(f"Câu trả lời không có danh sách hồ sơ ở '{mapping.items}'.")
            total = dig(data, mapping.total)[1] if mapping.total else None
            if progress and bar is None:
                bar = _progress_bar(total if isinstance(total, int) else None)
            rows = []
            for item in items:
                try:
                    rows.append(mapping.to_row(item))
                except DossierError as error:
                    report.skipped.append((str(dig(item, _field_of(mapping, "code"))[1] or "?"), str(error)))
            finished, move = _next_cursor(mapping, cursor, items, rows, data)
            counts = store.dossiers.upsert(rows, "platform", also=[state.statement(*move)])
            report.pages += 1
            report.fetched += len(items)
            report.inserted += counts.inserted
            report.updated += counts.updated
            report.unchanged += counts.unchanged
            report.status_changes += counts.status_changes
            if bar is not None:
                bar.update(len(items))
            if finished:
                break
    finally:
        report.retries = platform.retries_done
        if bar is not None:
            bar.close()
        if client is None:
            platform.close()
    return report


def _field_of(mapping: Mapping, column: str) -> str:
    return next(name for name, col in mapping.fields.items() if col == column)


def _page_params(mapping: Mapping, cursor: Dict[str, Any]) -> Dict[str, Any]:
    """Query parameters of the next page from the stored cursor."""
    params: Dict[str, Any] = {}
    style = mapping.pagination["style"]
    if mapping.since_param and cursor["since"]:
        params[mapping.since_param] = dt.datetime.fromisoformat(cursor["since"]).astimezone(VN_TZ).strftime(mapping.since_format)
    offset = cursor["offset"] + (cursor["since_count"] if mapping.since_param and mapping.since_inclusive else 0)
    if style == "offset":
        params[mapping.pagination.get("start_param", "start")] = offset
        params[mapping.pagination.get("end_param", "end")] = offset + mapping.page_size
    elif style == "page":
        params[mapping.pagination.get("page_param", "page")] = offset // mapping.page_size + int(mapping.pagination.get("first_page", 1))
        params[mapping.pagination.get("size_param", "size")] = mapping.page_size
    else:
        params[mapping.pagination.get("size_param", "size")] = mapping.page_size
        if cursor["page_token"]:
            params[mapping.pagination.get("token_param", "pageToken")] = cursor["page_token"]
    return params


def _next_cursor(mapping: Mapping, cursor: Dict[str, Any], items: List[Any], rows: List[Dict[str, Any]],
                 data: Dict[str, Any]) -> Tuple[bool, Tuple[Optional[str], int, int, Optional[str]]]:
    """Whether the pass is over, and the cursor (since, since_count, offset, token) after this page."""
    since, since_count, offset, token = cursor["since"], cursor["since_count"], cursor["offset"], cursor["page_token"]
    style = mapping.pagination["style"]
    if style == "token":
        previous, token = token, dig(data, mapping.next_token)[1] if mapping.next_token else None
        if token and token == previous:
            raise SyncError("Hệ thống một cửa trả lại cùng một mã trang tiếp theo: dừng để không đọc lặp mãi.")
        finished = not token or not items
    else:
        finished = len(items) < mapping.page_size
    if mapping.since_param:  # keyset: move "since" to the newest time read, count the dossiers at exactly that time
        stamps = [_stamp(mapping, item) for item in items]
        if any(b < a for a, b in zip(stamps, stamps[1:]) if a and b):
            raise SyncError("Hệ thống một cửa không trả hồ sơ theo thời gian sửa đổi tăng dần: thêm tham số sắp xếp vào "
                            "request.params của tệp ánh xạ.")
        known = [s for s in stamps if s]
        if items and not known:
            raise SyncError("Các hồ sơ không có thời gian sửa đổi đọc được: không đồng bộ tăng dần được (xem fields/dates của tệp ánh xạ).")
        if known and known[-1] != since:
            since, since_count = known[-1], sum(1 for s in known if s == known[-1])
        elif known:
            since_count += len(known)
        offset = 0
    elif style != "token":
        offset = 0 if finished else offset + len(items)
    if finished:
        token = None
    return finished, (since, since_count, offset, token)


def _stamp(mapping: Mapping, item: Any) -> Optional[str]:
    name = next((n for n, c in mapping.fields.items() if c == "updated_at"), None)
    if name is None:
        raise SyncError("Tệp ánh xạ thiếu trường ứng với 'updated_at' (bắt buộc khi có since_param).")
    try:
        return mapping.parse_date(dig(item, name)[1])
    except DossierError:
        return None


def _progress_bar(total: Optional[int]) -> Any:
    """A tqdm bar on stderr ("Đồng bộ: 40%|████ | 100/250 hồ sơ")."""
    from tqdm import tqdm

    return tqdm(total=total, unit=" hồ sơ", desc="Đồng bộ", leave=True)


def run_command(settings: Settings, mapping_file: Optional[str] = None, progress: bool = True) -> int:
    """``motcua sync``: one pass, the summary on stdout, problems on stderr; exit code 0, 1 (skipped rows) or 2."""
    import sys

    try:
        config = PlatformConfig.from_settings(settings)
        if mapping_file:
            path = Path(mapping_file)
            config = PlatformConfig(**{**config.__dict__, "mapping_path": path if path.is_absolute() else Path.cwd() / path})
        report = sync(Services.open(settings.db_path), config, progress=progress)
    except SyncError as error:
        print(f"Lỗi đồng bộ: {error}", file=sys.stderr)
        return 2
    print(report.summary())
    for code, reason in report.skipped:
        print(f"  Bỏ qua {code}: {reason}", file=sys.stderr)
    return 1 if report.skipped else 0
