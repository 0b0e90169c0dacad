"""The sender: drains the outbox (bot/outbox.py) through the channels, within each platform's limits, once per notice.

How a notice goes out:

1. :meth:`bot.delivery.outbox.Outbox.claim` takes due rows in one ``BEGIN IMMEDIATE`` transaction, each with a lease
   (``claimed_until``), a fresh ``attempt_id`` (its ``outbox_attempts`` row is written in the same transaction,
   before any API call) and a pacing slot ``send_at``. Slots come from ``outbox_pace``, shared by every sender
   process: for Telegram at most ``MOTCUA_SENDER_TELEGRAM_RATE`` (default 29) messages a second overall and one
   message per chat per ``MOTCUA_SENDER_TELEGRAM_CHAT_INTERVAL`` (default 1.05 s). Source of the limits: the Bot
   FAQ, https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this ("avoid sending more than
   one message per second" to one chat; bulk notifications "not more than 30 messages per second or so"). The
   defaults stay a little under them so network jitter does not push two sends into one window. We pace
   ourselves because PTB's ``AIORateLimiter`` throttles overall and per *group* only, never per private chat
   (https://docs.python-telegram-bot.org/en/stable/telegram.ext.aioratelimiter.html), and it cannot coordinate
   two processes. Zalo: no per-second limit was found in Zalo's documentation; its 48-hour reply window and
   quotas come back from ``ZaloSender`` as :class:`bot.delivery.errors.WindowClosed`. The default Zalo pace
   (``MOTCUA_SENDER_ZALO_RATE``, 10/s, one message a second per user) is our own caution, not a platform figure.
   Rows of a smaller ``priority`` are claimed first (replies and alerts before broadcasts; bot/delivery/outbox.py).
2. At its slot the notice is sent with the channel's :class:`bot.delivery.errors.ChannelSender` as one
   :class:`bot.delivery.reply.Reply` (notices are built to fit one message).
3. The outcome is written in its own short transaction right after the API answers, and only if this attempt
   still holds the row (``attempt_id`` matches): ok -> ``delivered``; ``retry_after`` (429) -> pending again after
   at least that long, and the chat gets no slot before then; a transient error (5xx, network, time-out) ->
   pending again after exponential back-off with jitter (``MOTCUA_SENDER_BACKOFF`` base 2 s, doubled per attempt,
   capped at ``MOTCUA_SENDER_MAX_BACKOFF`` 600 s, drawn uniformly from its upper half), ``failed`` after
   ``MOTCUA_SENDER_MAX_ATTEMPTS`` (12: about half an hour of trying); ``permanent`` + ``other_channel`` (blocked bot,
   Zalo window closed) -> the next account of the same person that consented and whose channel this process can
   send on (asked of the injected ``directory``, the people's :class:`bot.people.users.Users`), the move and its reason kept in ``route``; otherwise ``failed``
   with the reason. Nothing is dropped silently. An account without consent gets nothing (``failed``,
   "no consent"): consent is checked again at send time, so a ``/huy`` between enqueue and send is respected.

Exactly once, and where it is only "at least once" (honestly):

- A restart, a crash or a second sender process never sends a *delivered* notice again: a row leaves
  ``sending`` only through its own attempt, and another sender can take it only after its lease ran out.
  Two senders never hold one row at once (the claim's ``UPDATE ... WHERE <claimable>`` is checked by
  ``rowcount`` inside the write lock). A sender does not start a send whose lease would run out before the
  send's time-out (``MOTCUA_SENDER_LEASE`` 60 s > ``MOTCUA_SENDER_TIMEOUT`` 30 s).
- A sender that crashed does not hold its rows for the whole lease when the next one starts on the same host:
  a claim first ends the leases of workers (``host:pid``) whose process no longer exists.
- ``calling_at`` is written (and the row checked to be still ours) just before each API call, so after a crash
  the rows that were claimed but not yet sent are known to be safe to send (``abandoned`` attempts).
- The window that cannot be closed: the platform accepted the message but we did not record it — the process
  was killed (``kill -9``, power loss) between the API's answer and the commit, or the request timed out on our
  side after the platform had taken it. Telegram's Bot API has no idempotency key and no way to ask whether a
  message was sent, so such a notice is sent again (a duplicate is better than a lost status change). It is
  narrowed and made visible: the outcome is committed immediately after each answer (no batching); at most
  ``MOTCUA_SENDER_IN_FLIGHT`` sends are open at once; the read time-out is long (30 s) so a slow answer is
  waited for instead of retried; a connect or pool time-out (request never sent) is not counted as doubtful;
  and every attempt whose outcome we never learnt is marked ``in_doubt`` (``outbox.in_doubt``,
  ``outbox_attempts.outcome``), so a duplicate can only be one of those and they can be counted.
- ``SIGTERM``/Ctrl+C stop claiming and let the sends already under way finish and be recorded.

Run it with ``motcua send`` (until the outbox is drained, or ``--forever``) or inside ``motcua scheduler``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Protocol, Set

from bot.delivery.errors import DeliveryError
from bot.delivery.outbox import REPLY_EVENT, Claimed, Outbox, Pace
from bot.delivery.reply import Reply
from bot.metrics import DELIVERIES

log = logging.getLogger(__name__)


class Directory(Protocol):
    """What the sender asks of the people's accounts (bot.people.users.Users answers it)."""

    def consented(self, account_id: int) -> bool:
        """True when the account agrees to notifications now."""

    def get(self, account_id: int) -> Any:
        """The account ``account_id``."""

    def push_account(self, account: Any, *, exclude: Iterable[int] = (), channels: Iterable[str] = ()) -> Any:
        """The person's next account that can be sent to, or None."""


def _number(env: Mapping[str, str], key: str, default: float) -> float:
    """A numeric setting, or ``default`` when unset."""
    value = (env.get(key) or "").strip()
    return float(value) if value else default


@dataclass(frozen=True)
class SenderConfig:
    """Pacing, retries and leases of the sender."""

    paces: Dict[str, Pace] = field(default_factory=lambda: {"telegram": Pace(29.0, 1.05), "zalo": Pace(10.0, 1.0)})
    horizon: float = 2.0          # claim slots at most this far ahead
    lease: float = 60.0           # a claim is ours for send_at + lease
    send_timeout: float = 30.0    # one send, end to end
    in_flight: int = 200          # claimed sends at most at once
    backoff: float = 2.0
    max_backoff: float = 600.0
    max_attempts: int = 12
    poll: float = 1.0             # how often to look for new notices when idle

    @classmethod
    def from_settings(cls, settings: Any) -> "SenderConfig":
        """The ``MOTCUA_SENDER_*`` settings of ``settings.env`` (or a plain mapping)."""
        env: Mapping[str, str] = getattr(settings, "env", settings) or {}
        config = cls(
            paces={
                "telegram": Pace(_number(env, "MOTCUA_SENDER_TELEGRAM_RATE", 29.0),
                                 _number(env, "MOTCUA_SENDER_TELEGRAM_CHAT_INTERVAL", 1.05)),
                "zalo": Pace(_number(env, "MOTCUA_SENDER_ZALO_RATE", 10.0), _number(env, "MOTCUA_SENDER_ZALO_CHAT_INTERVAL", 1.0)),
            },
            lease=_number(env, "MOTCUA_SENDER_LEASE", 60.0),
            send_timeout=_number(env, "MOTCUA_SENDER_TIMEOUT", 30.0),
            in_flight=int(_number(env, "MOTCUA_SENDER_IN_FLIGHT", 200)),
            backoff=_number(env, "MOTCUA_SENDER_BACKOFF", 2.0),
            max_backoff=_number(env, "MOTCUA_SENDER_MAX_BACKOFF", 600.0),
            max_attempts=int(_number(env, "MOTCUA_SENDER_MAX_ATTEMPTS", 12)),
        )
        config.check()
        return config

    def check(self) -> None:
        """Refuse settings that would break the exactly-once promise or the limits."""
        if self.lease <= self.send_timeout + self.horizon:
            raise ValueError("MOTCUA_SENDER_LEASE must exceed MOTCUA_SENDER_TIMEOUT plus the claim horizon (2 s)")
        for channel, pace in self.paces.items():
            if pace.per_second <= 0 or pace.chat_interval < 0:
                raise ValueError(f"sender pace for {channel} must be positive")


@dataclass
class SenderStats:
    """What one sender did."""

    delivered: int = 0
    retried: int = 0
    rerouted: int = 0
    failed: int = 0
    in_doubt: int = 0
    lost_lease: int = 0

    def as_dict(self) -> Dict[str, int]:
        """The counters as a mapping."""
        return dict(self.__dict__)


def backoff_delay(attempts: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential back-off with jitter: uniform in the upper half of ``min(cap, base * 2**(attempts-1))``."""
    ceiling = min(cap, base * (2 ** max(0, attempts - 1)))
    return rng.uniform(ceiling / 2, ceiling)


def worker_is_dead(worker: str) -> bool:
    """True when ``worker`` (``host:pid``) was a process on this host that no longer exists (it crashed)."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def timed_out_after_sending(error: BaseException) -> bool:
    """True when ``error`` is a time-out after the request may have reached the platform (outcome unknown)."""
    seen, current = set(), error
    doubtful = False
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        name = type(current).__name__
        text = str(current).lower()
        if name in ("ConnectTimeout", "PoolTimeout") or text.startswith("pool timeout"):
            return False  # the request never left
        if name in ("ReadTimeout", "WriteTimeout", "TimedOut", "TimeoutError", "TimeoutException"):
            doubtful = True
        current = current.__cause__ or current.__context__
    return doubtful


class Sender:
    """Claims, paces, sends and records outbox notices through the given channel senders."""

    def __init__(self, outbox: Outbox, senders: Mapping[str, Any], config: Optional[SenderConfig] = None, *,
                 directory: Directory, worker: Optional[str] = None, clock: Callable[[], float] = time.time,
                 seed: Optional[int] = None) -> None:
        self.outbox = outbox
        self.senders = dict(senders)
        self.config = config or SenderConfig()
        self.config.check()
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.clock = clock
        self.rng = random.Random(seed)
        self.directory = directory
        self.stats = SenderStats()
        self._tasks: Set[asyncio.Task] = set()
        self._wake = asyncio.Event()
        self._next_local: Dict[str, float] = {}  # per channel: the earliest this process sends again (_keep_pace)

    def wake(self) -> None:
        """Look for new notices now (call after enqueueing in the same process)."""
        self._wake.set()

    async def run(self, stop: Optional[asyncio.Event] = None, *, until_drained: bool = False) -> SenderStats:
        """Send until ``stop`` is set (or, with ``until_drained``, until no notice is pending or sending)."""
        stop = stop or asyncio.Event()
        try:
            while not stop.is_set():
                self.outbox.expire_leases_of(worker_is_dead)
                claimed = self.outbox.claim(self.worker, self.config.in_flight - len(self._tasks), self.config.paces,
                                            horizon=self.config.horizon, lease=self.config.lease)
                for item in claimed:
                    task = asyncio.ensure_future(self._deliver(item))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                if until_drained and not self._tasks and self.outbox.open_count() == 0:
                    break
                await self._pause(stop, busy=bool(claimed))
        finally:
            if self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)
        return self.stats

    async def _pause(self, stop: asyncio.Event, busy: bool) -> None:
        """Wait before the next claim: half the horizon when busy, else ``poll`` or until a notice comes due if sooner."""
        delay = self.config.horizon / 2 if busy else self.config.poll
        due = self.outbox.next_due() if not busy else None
        if due is not None and due > self.clock():
            delay = min(delay, max(0.05, due - self.clock()))
        self._wake.clear()
        waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(waits, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waits:
                waiter.cancel()

    async def _deliver(self, item: Claimed) -> None:
        """Send one claimed notice at its slot and record the outcome."""
        delay = item.send_at - self.clock()
        if delay > 0:
            await asyncio.sleep(delay)
        await self._keep_pace(item.channel)
        if self.clock() + self.config.send_timeout >= item.claimed_until:
            self.outbox.release(item)  # too late to finish within the lease: let a fresh claim take it
            return
        answer = item.event.split(":", 1)[0] == REPLY_EVENT  # an answer to their own message needs no consent to notices
        if not answer and not self.directory.consented(item.account_id):
            self._fail(item, "no consent: the account has not agreed to (or withdrew from) notifications")
            return
        channel = self.senders.get(item.channel)
        if channel is not None and not self.outbox.calling(item):  # the row is no longer ours: never send then
            self.stats.lost_lease += 1
            return
        if channel is None:
            await self._failed_send(item, DeliveryError(f"no sender for channel {item.channel!r} in this process",
                                                        permanent=True, other_channel=True), doubtful=False)
            return
        try:
            await asyncio.wait_for(channel.send(item.address, Reply(text=item.text, buttons=item.buttons,
                                                                 attachments=item.attachments())),
                                   timeout=self.config.send_timeout)
        except asyncio.TimeoutError:
            await self._failed_send(item, DeliveryError(f"{item.channel}: no answer within {self.config.send_timeout:g} s"),
                                    doubtful=True)
        except DeliveryError as error:
            await self._failed_send(item, error, doubtful=timed_out_after_sending(error))
        except Exception as error:  # a bug in a channel adapter: retry a few times, then give up visibly
            log.exception("sender: unexpected error sending outbox row %s", item.id)
            await self._failed_send(item, DeliveryError(f"{item.channel}: unexpected {type(error).__name__}: {error}"),
                                    doubtful=False)
        else:
            if self.outbox.mark_delivered(item):
                self.stats.delivered += 1
                DELIVERIES.labels(item.channel, "delivered").inc()
            else:
                self.stats.lost_lease += 1
                log.error("sender: row %s was delivered after its lease ran out; another sender may send it too", item.id)

    async def _keep_pace(self, channel: str) -> None:
        """Sends that are late for their slots (this process got no CPU for a while) do not leave in one burst: each
        goes one pacing interval after this process's previous send on the channel. On time, slots are already that
        far apart and nothing waits."""
        pace = self.config.paces.get(channel)
        if pace is None:
            return
        now = self.clock()
        start = max(now, self._next_local.get(channel, now))
        self._next_local[channel] = start + 1.0 / pace.per_second  # reserved before any await: tasks queue in turn
        if start > now:
            await asyncio.sleep(start - now)

    async def _failed_send(self, item: Claimed, error: DeliveryError, doubtful: bool) -> None:
        """Decide what a failed send means: wait, back off, try another account, or give up."""
        reason = error.reason
        if error.retry_after is not None:
            until = self.clock() + float(error.retry_after) + self.rng.uniform(0.05, 0.25)
            self.outbox.pause_chat(item.channel, item.address, until)
            self._retry(item, until, f"{reason} (retry after {error.retry_after:g} s)", doubtful)
            return
        if error.permanent:
            if error.other_channel:
                other = self._other_account(item)
                if other is not None:
                    if self.outbox.reroute(item, other.id, other.channel, other.channel_user_id, reason):
                        self.stats.rerouted += 1
                        DELIVERIES.labels(item.channel, "rerouted").inc()
                    return
                reason += "; no other consenting account of this person to try"
            self._fail(item, reason)
            return
        if item.attempts >= self.config.max_attempts:
            self._fail(item, f"gave up after {item.attempts} attempts: {reason}")
            return
        delay = backoff_delay(item.attempts, self.config.backoff, self.config.max_backoff, self.rng)
        self._retry(item, self.clock() + delay, reason, doubtful)

    def _retry(self, item: Claimed, at: float, reason: str, doubtful: bool) -> None:
        """Back to pending until ``at``; a time-out after the request went out is counted as in doubt."""
        if self.outbox.retry_at(item, at, reason, outcome="timeout" if doubtful else "retry"):
            self.stats.retried += 1
            DELIVERIES.labels(item.channel, "timeout" if doubtful else "retry").inc()
            self.stats.in_doubt += int(doubtful)

    def _fail(self, item: Claimed, reason: str) -> None:
        """Give up on the notice, loudly."""
        log.warning("sender: outbox row %s (%s) failed: %s", item.id, item.event, reason)
        if self.outbox.fail(item, reason):
            self.stats.failed += 1
            DELIVERIES.labels(item.channel, "failed").inc()

    def _other_account(self, item: Claimed):
        """The person's next account to try: not tried yet, consenting, on a channel this process sends on."""
        return self.directory.push_account(self.directory.get(item.account_id), exclude=set(item.tried) | {item.account_id},
                                           channels=self.senders)

