"""The web chat page in a real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright,
over the real trained assistant served by ``serve()`` on a free loopback port.

Skipped only when the ``playwright`` package or /usr/bin/chromium is absent."""

import asyncio
import importlib.util
import os
from typing import Any, Awaitable, Callable

import pytest

from bot.channels import webchat

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]

if importlib.util.find_spec("playwright") is None:
    pytest.skip("playwright is not installed (pip install playwright; no browser download needed)", allow_module_level=True)
if not os.access(CHROMIUM, os.X_OK):
    pytest.skip(f"{CHROMIUM} is absent (apt-get install -y chromium)", allow_module_level=True)

from playwright.async_api import async_playwright, expect  # noqa: E402

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture(scope="module")
async def page_url(assistant):
    """The web chat over the real assistant on 127.0.0.1, port chosen by the OS."""
    runner = await webchat.serve(assistant, "127.0.0.1", 0)
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}/"
    await webchat.stop(runner)


async def _in_browser(url: str, scenario: Callable[[Any], Awaitable[None]]) -> None:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 390, "height": 780}, locale="vi-VN")
            page = await context.new_page()
            errors: list = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            await page.goto(url)
            await scenario(page)
            assert not errors, f"the page logged errors: {errors}"
        finally:
            await browser.close()


@pytest.fixture
def browse(page_url):
    """Run ``scenario(page)`` in Chromium on the chat page.

    Playwright gets its own event loop in a worker thread: importing Rasa (sanic) installs uvloop's loop
    policy, under which the test session's loop cannot start the browser's subprocess. The server keeps
    answering on the session loop meanwhile.
    """
    async def run(scenario: Callable[[Any], Awaitable[None]]) -> None:
        await asyncio.to_thread(asyncio.run, _in_browser(page_url, scenario))

    return run


async def test_question_typed_and_sent_gets_the_answer(browse):
    async def scenario(page):
        bots = page.locator("#messages .bot")
        await expect(bots).to_have_count(1)  # the greeting
        await page.fill("#input", "đăng ký khai sinh cần gì")
        await page.click("#send")
        await expect(page.locator("#messages .user")).to_have_text(["đăng ký khai sinh cần gì"])
        await expect(page.locator("#messages .bot", has_text="Đăng ký khai sinh").first).to_be_visible(timeout=60_000)
        assert await page.input_value("#input") == ""

    await browse(scenario)


async def test_enter_sends_and_a_chip_click_asks_its_payload(browse):
    async def scenario(page):
        await page.fill("#input", "đăng ký khai sinh cần gì")
        await page.press("#input", "Enter")
        chip = page.locator("#messages .chip", has_text="Lệ phí").first
        await expect(chip).to_be_visible(timeout=60_000)
        before = await page.locator("#messages .bot").count()
        await chip.click()
        await expect(page.locator("#messages .user").last).to_have_text("Lệ phí")
        await expect(page.locator("#messages .bot").nth(before)).to_contain_text("Lệ phí", timeout=60_000)

    await browse(scenario)


async def test_markup_in_a_message_is_shown_as_text(browse):
    async def scenario(page):
        text = "<img src=x onerror=window.pwned=1><b>đậm</b>"
        await page.fill("#input", text)
        await page.click("#send")
        await expect(page.locator("#messages .user")).to_have_text([text])
        await expect(page.locator("#messages .bot").nth(1)).to_be_visible(timeout=60_000)
        await expect(page.locator("#messages .typing")).to_have_count(0, timeout=60_000)
        assert await page.locator("#messages img, #messages b").count() == 0
        assert await page.evaluate("window.pwned") is None

    await browse(scenario)


async def test_user_id_is_kept_in_local_storage(browse):
    async def scenario(page):
        first = await page.evaluate("localStorage.getItem('motcua.user')")
        assert first and len(first) <= 64
        await page.reload()
        assert await page.evaluate("localStorage.getItem('motcua.user')") == first

    await browse(scenario)
