"""Zalo OA access tokens: refreshed before they expire, stored atomically, never refreshed twice.

What Zalo does (sources):

- ``POST {oauth}/v4/oa/access_token`` with header ``secret_key: <app secret>`` and the form fields
  ``refresh_token``, ``app_id``, ``grant_type=refresh_token`` answers ``{"access_token", "refresh_token",
  "expires_in": "90000"}`` (seconds, sent as a string). Sources: chatwoot/chatwoot
  ``app/models/channel/zalo_oa.rb`` (``refresh_post``) and
  https://www.hexasync.vn/zalo-oa-api-huong-dan-cach-lay-access-token-tu-refresh-token/
- The access token lives 25 hours; the refresh token 3 months and **can be used once** (same hexasync page:
  "Refresh token chỉ có thể sử dụng 1 lần").
- A refused refresh comes back as ``error_name`` / ``error_reason`` / ``error_description`` (with a numeric
  ``error``), sometimes at HTTP 200: https://github.com/ChatbotXIO/ChatbotX/pull/1019. The numeric code for a
  refresh token that was already used is not in any documentation we could reach, so *any* answer without a
  new pair counts as a refusal.

How this module uses that:

- The pair lives in the table ``zalo_tokens`` of the store's SQLite file (one row per app id). The pair from
  the settings (``MOTCUA_ZALO_ACCESS_TOKEN`` / ``MOTCUA_ZALO_REFRESH_TOKEN``) only seeds the row; afterwards the
  stored pair wins. When the operator puts a *different* refresh token in the settings (after authorising the
  OA again), it replaces the stored pair.
- A token is refreshed :data:`REFRESH_MARGIN` seconds before ``expires_in`` runs out, and at once when Zalo
  rejects it (``-216``/``-220``). The initial pair from the settings has no known expiry: it is used until Zalo
  rejects it.
- Never two refreshes: an ``asyncio.Lock`` serialises refreshes in this process; inside it the stored row is
  read again (another sender may have refreshed already: then its new token is used), and the refresh is
  *claimed* in the database with a compare-and-set on the old refresh token, so another process sharing the
  SQLite file cannot spend the same refresh token either.

Crash safety (the choice, documented): the claim is written **before** the request goes out
(``state = 'refreshing'``, ``claimed_at = now``), in its own transaction. The new pair is written in one
transaction when it arrives (``state = 'valid'``). So a crash between Zalo issuing the new pair and our storing
it leaves the row in ``refreshing``, never in ``valid`` with a spent refresh token as if nothing happened.
What happens next: while the claim is younger than :data:`CLAIM_LEASE`, every sender gets a transient
:class:`DeliveryError` (the outbox retries later). After the lease, one sender may try the old refresh token
**once more**: if the crash came before the request reached Zalo, that refresh succeeds and nothing is lost; if
Zalo had already rotated it, Zalo refuses and the row goes to ``reauth``. A network error or a 5xx (the outcome
is unknown) is treated the same way. In ``reauth`` every send fails at once with a permanent
:class:`DeliveryError` (``other_channel=True``, so the outbox uses the person's other channels) and the log says
that the OA must be authorised again; no further refresh is attempted with that token. A refusal recorded
under one app secret is retried once after the app secret in the settings changes (a wrong secret is
refused without spending the token).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Callable, Optional

import httpx
import sqlite_utils

from bot.db import transaction
from bot.delivery.errors import DeliveryError
from bot.timeutil import utc_iso

log = logging.getLogger(__name__)

REFRESH_MARGIN = 300.0   # refresh this many seconds before the access token expires
CLAIM_LEASE = 60.0       # a 'refreshing' claim older than this is taken over (crash or lost answer)
CLAIM_WAIT = 5.0         # how long a sender waits for another process's refresh before giving up for now
TOKEN_PATH = "/v4/oa/access_token"
REAUTH = "Zalo OA cần được cấp quyền lại cho ứng dụng (refresh token bị từ chối): {detail}"
NO_TOKEN = "Chưa có access token Zalo: đặt MOTCUA_ZALO_ACCESS_TOKEN và MOTCUA_ZALO_REFRESH_TOKEN."


def _fingerprint(value: str) -> str:
    """A short hash of a secret, to notice that the settings changed without storing the secret twice."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class TokenRow:
    """The stored pair and where its refresh stands."""

    access_token: str
    refresh_token: str
    expires_at: Optional[float]
    state: str               # 'valid' | 'refreshing' | 'reauth'
    claimed_at: Optional[float]
    seed: str
    refused_with: Optional[str]
    note: str


class TokenStore:
    """The ``zalo_tokens`` table: one row per app id, every change in one transaction."""

    def __init__(self, db: sqlite_utils.Database, app_id: str) -> None:
        self.db = db
        self.app_id = app_id

    def load(self) -> Optional[TokenRow]:
        """The stored row, or None."""
        rows = list(self.db.query("select * from zalo_tokens where app_id = ?", [self.app_id]))
        if not rows:
            return None
        r = rows[0]
        return TokenRow(r["access_token"], r["refresh_token"], r["expires_at"], r["state"], r["claimed_at"], r["seed"],
                        r["refused_with"], r["note"] or "")

    def seed(self, access_token: str, refresh_token: str, seed: str, now: float) -> None:
        """Store the pair from the settings (first start, or the operator authorised the OA again)."""
        with transaction(self.db.conn):
            self.db.execute(
                "insert or replace into zalo_tokens (app_id, access_token, refresh_token, expires_at, state, claimed_at,"
                " seed, refused_with, note, updated_at) values (?, ?, ?, null, 'valid', null, ?, null, 'from settings', ?)",
                [self.app_id, access_token, refresh_token, seed, utc_iso(now)],
            )

    def claim(self, refresh_token: str, now: float, lease: float) -> bool:
        """Mark the refresh of ``refresh_token`` as started; False when another sender holds it (or it is spent)."""
        with transaction(self.db.conn):
            cursor = self.db.execute(
                "update zalo_tokens set state = 'refreshing', claimed_at = ?, updated_at = ?"
                " where app_id = ? and refresh_token = ?"
                " and (state = 'valid' or (state = 'refreshing' and coalesce(claimed_at, 0) < ?))",
                [now, utc_iso(now), self.app_id, refresh_token, now - lease],
            )
        return cursor.rowcount == 1

    def save(self, old_refresh_token: str, access_token: str, refresh_token: str, expires_at: Optional[float], now: float) -> bool:
        """Replace the pair whose refresh token was ``old_refresh_token`` with the new one, in one transaction."""
        with transaction(self.db.conn):
            cursor = self.db.execute(
                "update zalo_tokens set access_token = ?, refresh_token = ?, expires_at = ?, state = 'valid',"
                " claimed_at = null, refused_with = null, note = 'refreshed', updated_at = ?"
                " where app_id = ? and refresh_token = ?",
                [access_token, refresh_token, expires_at, utc_iso(now), self.app_id, old_refresh_token],
            )
        return cursor.rowcount == 1

    def refuse(self, refresh_token: str, secret_fp: str, note: str, now: float) -> None:
        """Record that Zalo refused ``refresh_token``: the OA must be authorised again."""
        with transaction(self.db.conn):
            self.db.execute(
                "update zalo_tokens set state = 'reauth', claimed_at = null, refused_with = ?, note = ?, updated_at = ?"
                " where app_id = ? and refresh_token = ?",
                [secret_fp, note[:500], utc_iso(now), self.app_id, refresh_token],
            )

    def reopen(self, now: float) -> None:
        """Allow one more refresh after a refusal (the app secret in the settings changed since)."""
        with transaction(self.db.conn):
            self.db.execute(
                "update zalo_tokens set state = 'valid', refused_with = null, note = 'app secret changed', updated_at = ?"
                " where app_id = ? and state = 'reauth'",
                [utc_iso(now), self.app_id],
            )


class TokenManager:
    """Hands out a working access token and refreshes it once when needed (see the module docstring)."""

    def __init__(self, *, app_id: str, app_secret: str, access_token: str, refresh_token: str, oauth_url: str,
                 db: sqlite_utils.Database, http: httpx.AsyncClient, margin: float = REFRESH_MARGIN,
                 lease: float = CLAIM_LEASE, wait: float = CLAIM_WAIT, clock: Callable[[], float] = time.time,
                 poll: float = 0.1) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.oauth_url = oauth_url.rstrip("/")
        self.http = http
        self.margin = margin
        self.lease = lease
        self.wait = wait
        self.clock = clock
        self.poll = poll
        self.store = TokenStore(db, app_id)
        self._lock = asyncio.Lock()
        self._env_pair = (access_token.strip(), refresh_token.strip())
        self._secret_fp = _fingerprint(app_secret)
        self._seeded = False
        self._unfinished: set = set()  # refresh tokens whose exchange this manager started without an answer

    # reading -----------------------------------------------------------------------------
    def current(self) -> TokenRow:
        """The stored row, seeded from the settings on first use (or when the operator put a new pair there)."""
        row = self.store.load()
        access, refresh = self._env_pair
        if refresh and (row is None or row.seed != _fingerprint(refresh)):
            if row is not None and not self._seeded:
                log.warning("zalo: a new token pair in the settings replaces the stored one")
            self.store.seed(access, refresh, _fingerprint(refresh), self.clock())
            row = self.store.load()
        elif row is None and access:
            self.store.seed(access, refresh, _fingerprint(""), self.clock())
            row = self.store.load()
        if row is None:
            raise DeliveryError(NO_TOKEN, permanent=True, other_channel=True)
        if row.state == "reauth" and row.refused_with and row.refused_with != self._secret_fp:
            self.store.reopen(self.clock())
            row = self.store.load()
        self._seeded = True
        return row

    def _expiring(self, row: TokenRow) -> bool:
        return row.expires_at is not None and self.clock() >= row.expires_at - self.margin

    def _reauth(self, row: TokenRow) -> DeliveryError:
        return DeliveryError(REAUTH.format(detail=row.note or "không rõ lý do"), permanent=True, other_channel=True)

    async def access_token(self) -> str:
        """A token to call the OA API with: refreshed first when it expires within the margin."""
        row = self.current()
        if row.state == "reauth":
            raise self._reauth(row)
        if row.state == "refreshing" or self._expiring(row):
            return await self._refresh(row.access_token, proactive=True)
        return row.access_token

    async def refresh_after_rejection(self, rejected: str) -> str:
        """Zalo rejected ``rejected`` (-216/-220): a new token, refreshing at most once for all senders."""
        return await self._refresh(rejected, proactive=False)

    # refreshing --------------------------------------------------------------------------
    async def _refresh(self, stale: str, *, proactive: bool) -> str:
        async with self._lock:
            row = self.current()
            if row.state == "reauth":
                raise self._reauth(row)
            if row.state == "valid" and row.access_token != stale:
                return row.access_token  # another sender refreshed while we waited for the lock
            if row.state == "valid" and proactive and not self._expiring(row):
                return row.access_token
            if not self.store.claim(row.refresh_token, self.clock(), self.lease):
                return await self._wait_for_other(stale)
            if row.state == "refreshing":
                log.warning("zalo: taking over an unfinished token refresh (crash or lost answer): trying its refresh token once more")
            return await self._exchange(row.refresh_token)

    async def _wait_for_other(self, stale: str) -> str:
        """Another process holds the claim: wait a little for its new pair (not for our own unanswered one)."""
        for _ in range(max(1, int(self.wait / self.poll))):
            row = self.current()
            if row.state == "refreshing" and row.refresh_token in self._unfinished:
                break
            if row.state == "valid" and row.access_token != stale:
                return row.access_token
            if row.state == "reauth":
                raise self._reauth(row)
            if row.state == "valid":
                break
            await asyncio.sleep(self.poll)
        raise DeliveryError("Đang làm mới access token Zalo ở nơi khác; thử lại sau.", retry_after=self.lease)

    async def _exchange(self, refresh_token: str) -> str:
        """Spend ``refresh_token`` (already claimed) for a new pair and store it."""
        self._unfinished.add(refresh_token)
        try:
            response = await self.http.post(
                self.oauth_url + TOKEN_PATH,
                headers={"secret_key": self.app_secret},
                data={"refresh_token": refresh_token, "app_id": self.app_id, "grant_type": "refresh_token"},
            )
        except httpx.HTTPError as error:  # the outcome is unknown: the claim stays (see the module docstring)
            raise DeliveryError(f"Không làm mới được access token Zalo (lỗi mạng: {error!r}).", retry_after=self.lease) from error
        if response.status_code >= 500 or response.status_code == 429:  # no answer about the token: outcome unknown
            raise DeliveryError(f"Không làm mới được access token Zalo (HTTP {response.status_code}).", retry_after=self.lease)
        try:
            body = json.loads(response.text)
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        self._unfinished.discard(refresh_token)
        access, new_refresh = body.get("access_token"), body.get("refresh_token")
        if isinstance(access, str) and access and isinstance(new_refresh, str) and new_refresh:
            try:
                expires_in: Optional[float] = float(str(body.get("expires_in")))
            except ValueError:
                expires_in = None  # unknown expiry: used until Zalo rejects it
            now = self.clock()
            self.store.save(refresh_token, access, new_refresh, now + expires_in if expires_in else None, now)
            log.info("zalo: access token refreshed (expires in %s s)", expires_in)
            return access
        detail = " / ".join(str(body[k]) for k in ("error", "error_name", "error_reason", "error_description", "message") if body.get(k))
        detail = detail or f"HTTP {response.status_code}: {response.text[:200]}"
        self.store.refuse(refresh_token, self._secret_fp, detail, self.clock())
        log.error("zalo: the refresh token was refused (%s): authorise the OA again and put the new pair in the settings", detail)
        raise self._reauth(self.current())
