"""Per-account rate limits: the one rule every channel applies at its entry, before the assistant works.

A token bucket per key (``"telegram:<chat id>"``, ``"zalo:<user id>"``, ``"web:<user>"``, ``"kiosk:<session>"``, and
``"ip:<address>"`` for the web chat and the kiosk, whose ids the client chooses): ``burst`` messages at once, then
``per_minute`` a minute. A message over the limit never reaches the assistant, so one account's flood costs the
others nothing but a dictionary look-up. The push channels (Telegram, Zalo) tell the account :data:`SLOW_DOWN` once
per flood, then drop the rest silently until a message gets through again; the HTTP channels answer each refused
request ``429`` with the same words and ``Retry-After``.

In memory, per process (the channels run in the parent process, also with the worker pool): a restart forgets the
buckets. Loopback addresses have no address bucket (a reverse proxy on the same machine, the tests, the benchmark).

Settings (``settings.env``, :meth:`RateConfig.from_settings`; ``0`` turns a limit off):

- ``MOTCUA_RATE_PER_MINUTE`` (30) and ``MOTCUA_RATE_BURST`` (10): per account;
- ``MOTCUA_RATE_IP_PER_MINUTE`` (300) and ``MOTCUA_RATE_IP_BURST`` (60): per address, web chat and kiosk only.
  Generous because many people share an address (the carriers' NAT, the kiosk itself).
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Optional

SLOW_DOWN = ("Anh/chị gửi tin nhanh quá, em chưa kịp trả lời. Anh/chị đợi khoảng {seconds} giây rồi nhắn tiếp "
             "giúp em nhé.")
MAX_KEYS = 50_000  # the buckets kept; the least recently used goes first (it is full again by then, or nearly)


def slow_down(seconds: float) -> str:
    """The words an account over its limit reads, with the whole seconds to wait (at least 1)."""
    return SLOW_DOWN.format(seconds=max(1, math.ceil(seconds)))


@dataclass(frozen=True)
class Limit:
    """``burst`` messages at once, refilled at ``per_minute`` a minute; ``per_minute <= 0`` or ``burst <= 0``: no limit."""

    per_minute: float
    burst: int

    @property
    def on(self) -> bool:
        return self.per_minute > 0 and self.burst > 0


@dataclass(frozen=True)
class RateConfig:
    """The limits of one deployment."""

    account: Limit = Limit(30, 10)
    address: Limit = Limit(300, 60)

    @classmethod
    def from_settings(cls, settings: Any) -> "RateConfig":
        """The limits of ``settings.env`` (defaults for what is missing; a value that is not a number is refused)."""
        env: Mapping[str, str] = getattr(settings, "env", settings) or {}

        def number(key: str, default: float) -> float:
            raw = str(env.get(key, "") or "").strip()
            if not raw:
                return default
            try:
                value = float(raw)
            except ValueError:
                raise ValueError(f"{key} phải là một số (0 để tắt giới hạn), không phải {raw!r}.") from None
            if value < 0 or math.isnan(value) or math.isinf(value):
                raise ValueError(f"{key} phải là một số không âm (0 để tắt giới hạn), không phải {raw!r}.")
            return value

        default = cls()
        return cls(
            account=Limit(number("MOTCUA_RATE_PER_MINUTE", default.account.per_minute),
                          int(number("MOTCUA_RATE_BURST", default.account.burst))),
            address=Limit(number("MOTCUA_RATE_IP_PER_MINUTE", default.address.per_minute),
                          int(number("MOTCUA_RATE_IP_BURST", default.address.burst))),
        )


@dataclass(frozen=True)
class Verdict:
    """One message's fate: ``allowed``; else ``wait`` seconds until the next would pass, and ``notify`` for the first
    refusal of a flood (the one the account is told about)."""

    allowed: bool
    wait: float = 0.0
    notify: bool = False

    @property
    def text(self) -> str:
        return slow_down(self.wait)


ALLOWED = Verdict(True)


class _Bucket:
    __slots__ = ("tokens", "at", "told")

    def __init__(self, tokens: float, at: float) -> None:
        self.tokens, self.at, self.told = tokens, at, False


class RateLimiter:
    """Token buckets by key; ``clock`` gives seconds (monotonic; tests pass a fake one)."""

    def __init__(self, config: Optional[RateConfig] = None, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = MAX_KEYS) -> None:
        self.config = config or RateConfig()
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: "OrderedDict[str, _Bucket]" = OrderedDict()

    def _take(self, key: str, limit: Limit, now: float) -> Verdict:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(limit.burst), now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            rate = limit.per_minute / 60.0
            bucket.tokens = min(float(limit.burst), bucket.tokens + max(0.0, now - bucket.at) * rate)
            bucket.at = max(bucket.at, now)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            bucket.told = False
            return ALLOWED
        wait = (1.0 - bucket.tokens) * 60.0 / limit.per_minute
        notify = not bucket.told
        bucket.told = True
        return Verdict(False, wait, notify)

    def check(self, key: str, address: Optional[str] = None) -> Verdict:
        """Count one message of ``key`` (and of ``address``, for the HTTP channels): allowed, or refused with how long
        to wait. A message refused by its address does not use up its account's allowance, and the other way round."""
        now = self.clock()
        keys = []
        if self.config.account.on:
            keys.append((f"id:{key}", self.config.account))
        if address is not None and self.config.address.on and not _loopback(address):
            keys.append((f"ip:{address}", self.config.address))
        return self._all(keys, now)

    def _all(self, keys: Iterable, now: float) -> Verdict:
        taken = []
        for key, limit in keys:
            verdict = self._take(key, limit, now)
            if not verdict.allowed:
                for done_key, done_limit in taken:  # give back what the earlier buckets lent to a refused message
                    bucket = self._buckets.get(done_key)
                    if bucket is not None:
                        bucket.tokens = min(float(done_limit.burst), bucket.tokens + 1.0)
                return verdict
            taken.append((key, limit))
        return ALLOWED


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False
