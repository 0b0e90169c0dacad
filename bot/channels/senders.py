"""The sending side of each configured channel, for the outbox's sender (bot/delivery/sender.py)."""

from __future__ import annotations

import dataclasses
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Dict, Optional

from bot.channels.telegram import TelegramConfig, build_bot
from bot.channels.telegram_send import ButtonPayloads, TelegramSender
from bot.channels.zalo import ZaloConfig
from bot.channels.zalo_send import ZaloSender
from bot.delivery.sender import SenderConfig


@asynccontextmanager
async def channel_senders(settings: Any, services: Any, config: Optional[SenderConfig] = None) -> AsyncIterator[Dict[str, Any]]:
    """The configured channels' senders (Telegram when ``MOTCUA_TELEGRAM_TOKEN``, Zalo when ``MOTCUA_ZALO_APP_ID``), closed after."""
    config = config or SenderConfig.from_settings(settings)
    senders: Dict[str, Any] = {}
    bot = zalo = None
    try:
        telegram = TelegramConfig.from_settings(settings)
        if telegram is not None:  # PTB gives up a little before our own time-out, so its TimedOut is what we see
            bot = build_bot(dataclasses.replace(telegram, read_timeout=max(1.0, config.send_timeout - 2)))
            await bot.initialize()
            senders["telegram"] = TelegramSender(bot, ButtonPayloads(services.db))
        zalo_config = ZaloConfig.from_settings(settings)
        if zalo_config is not None:
            zalo = ZaloSender(zalo_config, services, timeout=max(1.0, config.send_timeout - 2))
            senders["zalo"] = zalo
        yield senders
    finally:
        if bot is not None:
            await bot.shutdown()
        if zalo is not None:
            await zalo.close()
