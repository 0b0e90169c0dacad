"""Waiting in tests without guessing how long something takes.

A test waits for a *signal* (an event, a row, a recorded call), never for a fixed time. When the signal
can only be read, not awaited, :func:`wait_until` polls it until a deadline and then fails loudly, naming
what it waited for. The deadline is a safety net for a broken build, not a timing assumption: keep it
generous (a loaded CI machine may be ten times slower than a laptop).
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Awaitable, Callable, Optional

DEFAULT_TIMEOUT = 30.0


async def wait_until(predicate: Callable[[], Any], timeout: float = DEFAULT_TIMEOUT, what: Optional[str] = None, *,
                     every: float = 0.02) -> Any:
    """Wait until ``predicate()`` is truthy and return its value; ``AssertionError`` naming ``what`` after ``timeout`` s.

    ``predicate`` may be a plain function or return an awaitable; it is looked at every ``every`` seconds.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what or _describe(predicate)}")
        await asyncio.sleep(min(every, remaining))


async def wait_for_event(event: asyncio.Event, timeout: float = DEFAULT_TIMEOUT, what: str = "an event") -> None:
    """Wait for ``event``; ``AssertionError`` naming ``what`` after ``timeout`` s."""
    await within(event.wait(), timeout, what)


async def within(awaitable: Awaitable[Any], timeout: float = DEFAULT_TIMEOUT, what: str = "an answer") -> Any:
    """The result of ``awaitable``; ``AssertionError`` naming ``what`` if it takes longer than ``timeout`` s."""
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except asyncio.TimeoutError:
        raise AssertionError(f"timed out after {timeout:g} s waiting for {what}") from None


def _describe(predicate: Callable[[], Any]) -> str:
    try:
        return inspect.getsource(predicate).strip()
    except (OSError, TypeError):
        return repr(predicate)
