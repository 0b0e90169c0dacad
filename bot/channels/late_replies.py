"""Answers that could not be sent at once go through the outbox: a citizen's reply is never dropped.

A channel answers a message directly (Telegram's ``send_reply``, Zalo's ``send_replies``). When the platform refuses
for a while (flood control with ``retry_after``, a time-out, a 5xx), the answer and the ones after it are written to
the outbox as ``reply:`` notices of priority :data:`bot.delivery.outbox.REPLY` (claimed before alerts and broadcasts),
and the sender (bot/delivery/sender.py) delivers them with its pacing and retries: the one place that retries a send.
A ``reply:`` notice answers the citizen's own message, so it needs no consent to notifications. A permanent failure
(the user blocked the bot) is logged and not queued: nothing could reach them on that account.

The key (the platform's update or message id) makes the queueing idempotent: a platform that delivers the same
update twice does not queue its answer twice.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional, Sequence

from bot.delivery.errors import DeliveryError
from bot.delivery.outbox import MAX_TEXT, REPLY, REPLY_EVENT, attachment_spec
from bot.delivery.reply import Reply
from bot.delivery.text import split_text

log = logging.getLogger(__name__)


def _spec(folder: Path, event: str, attachment: Any) -> str:
    """Keep a reply's in-memory file on disk for the sender (``<database folder>/outbox-files``), named after its
    notice, so queueing the same answer again rewrites the same file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha1(event.encode()).hexdigest()[:16]}-{Path(attachment.filename).name}"
    path.write_bytes(attachment.content)
    return attachment_spec(path, attachment.kind, attachment.caption, attachment.mime_type)


def queue_replies(store: Any, channel: str, channel_user_id: str, replies: Sequence[Reply], key: str,
                  not_before: Optional[float] = None) -> int:
    """Write ``replies`` to the outbox for ``channel_user_id`` (one notice per message); how many were queued."""
    account = store.users.find(channel, str(channel_user_id)) or store.users.seen(channel, str(channel_user_id))
    folder = Path(store.path).parent / "outbox-files"
    queued = 0
    for index, reply in enumerate(replies):
        pieces = split_text(reply.text or "", MAX_TEXT) or [""]
        files = list(reply.attachments)
        for part, text in enumerate(pieces):
            last, event = part == len(pieces) - 1, f"{REPLY_EVENT}:{key}:{index}.{part}"
            attachment = _spec(folder, event, files[0]) if last and files else None
            body = text.strip() or (files[0].caption if last and files else "") or "…"
            queued += store.outbox.enqueue(account, event, body,
                                           list(reply.buttons) if last else [], not_before=not_before,
                                           priority=REPLY, attachment=attachment)
        for extra, attachment in enumerate(files[1:], start=1):  # one file a notice
            event = f"{REPLY_EVENT}:{key}:{index}.f{extra}"
            queued += store.outbox.enqueue(account, event, attachment.caption or attachment.filename, [], not_before=not_before,
                                           priority=REPLY, attachment=_spec(folder, event, attachment))
    return queued


async def send_now_or_later(send: Callable[[Reply], Awaitable[Any]], replies: Sequence[Reply], *, store: Any, channel: str,
                            channel_user_id: str, key: str, clock: Callable[[], float]) -> int:
    """Send ``replies`` in order with ``send`` (raising :class:`DeliveryError`); from the first that fails for a while,
    queue the rest in the outbox. Returns how many were sent at once."""
    for index, reply in enumerate(replies):
        try:
            await send(reply)
        except DeliveryError as error:
            if error.permanent:
                log.warning("%s: an answer to %s could not be delivered (%s)", channel, channel_user_id, error.reason)
                return index
            wait = float(error.retry_after or 0.0)
            queued = queue_replies(store, channel, channel_user_id, replies[index:], key, not_before=clock() + wait)
            log.info("%s: %d answer(s) to %s queued for the sender (%s)", channel, queued, channel_user_id, error.reason)
            return index
    return len(replies)
