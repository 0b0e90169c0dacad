"""What every channel's sending side promises the outbox sender: one ``send`` call and clear failures.

A channel adapter (Telegram, Zalo) exposes an object with ``channel`` (``"telegram"``/``"zalo"``) and
``async send(channel_user_id, reply)`` that delivers one :class:`bot.conversation.engine.Reply` (text split to the
platform's limits, buttons, attachments) or raises :class:`DeliveryError`. The sender (bot/sender.py)
decides what to do with a failure: wait ``retry_after`` and retry, back off on a transient error, or
give up on this channel when ``permanent`` (and try another channel of the same person when
``other_channel`` says it may).
"""

from __future__ import annotations

from typing import Optional, Protocol, runtime_checkable


class DeliveryError(Exception):
    """A send that did not happen."""

    def __init__(self, reason: str, *, retry_after: Optional[float] = None, permanent: bool = False,
                 other_channel: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.permanent = permanent
        self.other_channel = other_channel


class WindowClosed(DeliveryError):
    """Zalo: the user's last message is older than the free reply window and no quota is left."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, permanent=True, other_channel=True)


@runtime_checkable
class ChannelSender(Protocol):
    """The sending side of a channel."""

    channel: str

    async def send(self, channel_user_id: str, reply) -> None:
        """Deliver one reply to one account, or raise :class:`DeliveryError`."""
