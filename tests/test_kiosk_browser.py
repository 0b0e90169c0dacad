"""The kiosk page in a real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, on a 1080×1920
portrait screen like the touch screen at the entrance.

Most tests run over a stand-in assistant (tests/standins/assistant.py) and the real database loaded from data/,
so they need no model; the idle reset runs on Playwright's fake clock (no waiting a minute). The last test goes
through the real assistant (``needs_model``). Skipped only when ``playwright`` or /usr/bin/chromium is absent.
Screenshots of the two screens are written to the test's tmp_path for a person to look at; the assertions are
what a visitor would notice (big enough buttons, nothing cut off at the side, the answer on screen), not pixels.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import os
from pathlib import Path
from typing import Any, Awaitable, Callable

import pytest

from bot.channels import kiosk, webchat
from bot.workdays import VN_TZ
from tests.standins.assistant import StandInAssistant

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
SCREEN = {"width": 1080, "height": 1920}
MOMENT = dt.datetime(2026, 11, 25, 9, 15, tzinfo=VN_TZ)  # a Wednesday morning: the counters are open
MIN_BUTTON = 120  # px: a finger finds it without aiming

if importlib.util.find_spec("playwright") is None:
    pytest.skip("playwright is not installed (pip install playwright; no browser download needed)", allow_module_level=True)
if not os.access(CHROMIUM, os.X_OK):
    pytest.skip(f"{CHROMIUM} is absent (apt-get install -y chromium)", allow_module_level=True)

from playwright.async_api import async_playwright, expect  # noqa: E402

pytestmark = pytest.mark.asyncio(loop_scope="session")

# What a visitor can see and touch: visible elements whose box leaves the screen's width, and buttons too small.
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth, out = [];
  if (document.documentElement.scrollWidth > width) out.push('page ' + document.documentElement.scrollWidth);
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.left < -0.5 || r.right > width + 0.5) out.push(el.tagName + '#' + el.id + '.' + el.className + ' ' + r.left + '-' + r.right);
  }
  return out;
}"""
SMALL_BUTTONS_JS = """(min) => [...document.querySelectorAll('button')]
  .filter(b => b.getBoundingClientRect().height > 0 && b.getBoundingClientRect().height < min)
  .map(b => b.textContent + ' ' + b.getBoundingClientRect().height)"""


async def start(services, assistant):
    app = webchat.create_app(assistant)
    kiosk.mount(app, assistant, services, clock=lambda: MOMENT)
    runner = await webchat.serve(app, "127.0.0.1", 0)
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}/kiosk"


@pytest.fixture
async def standin(store):
    """The kiosk over a stand-in assistant; yields (page url, the stand-in)."""
    assistant = StandInAssistant()
    runner, url = await start(store, assistant)
    yield url, assistant
    await webchat.stop(runner)


async def _in_browser(url: str, scenario: Callable[[Any], Awaitable[None]], fake_clock: bool) -> None:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            context = await browser.new_context(viewport=SCREEN, locale="vi-VN", has_touch=True)
            page = await context.new_page()
            errors: list = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            # a blocked inline script or style (a wrong CSP hash) shows here too
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "500" not in msg.text else None)
            if fake_clock:
                await page.clock.install()
            await page.goto(url)
            await scenario(page)
            assert await context.cookies() == []
            assert await page.evaluate("[localStorage.length, sessionStorage.length, document.cookie]") == [0, 0, ""]
            assert not errors, f"the page logged errors: {errors}"
        finally:
            await browser.close()


def browse(url: str, fake_clock: bool = False):
    """Run ``scenario(page)`` in Chromium on the kiosk page, in a worker thread with its own event loop (as the web
    chat's browser test does) while the server keeps answering on the session loop."""
    async def run(scenario: Callable[[Any], Awaitable[None]]) -> None:
        await asyncio.to_thread(asyncio.run, _in_browser(url, scenario, fake_clock))

    return run


async def on_screen(locator) -> None:
    """``locator`` is wholly inside the first screen: seen without scrolling."""
    box = await locator.bounding_box()
    assert box is not None, "not displayed"
    assert box["y"] >= 0 and box["y"] + box["height"] <= SCREEN["height"] and box["x"] >= 0 and box["x"] + box["width"] <= SCREEN["width"], box


def red_pixels(png: Path, box: dict) -> int:
    """How many pixels of the screenshot ``png`` inside ``box`` are the kiosk's red (the counter's number)."""
    from PIL import Image

    with Image.open(png) as image:
        assert image.size == (SCREEN["width"], SCREEN["height"])
        crop = image.convert("RGB").crop((int(box["x"]), int(box["y"]), int(box["x"] + box["width"]), int(box["y"] + box["height"])))
        return sum(1 for r, g, b in crop.getdata() if r > 140 and g < 80 and b < 80)


async def test_portrait_layout_big_buttons_nothing_cut_off_and_the_answer_on_screen(standin, tmp_path):
    url, assistant = standin

    async def scenario(page):
        tiles = page.locator(".tile")
        await expect(tiles).to_have_count(8)
        await page.screenshot(path=str(tmp_path / "kiosk-home.png"))
        assert await page.evaluate(SMALL_BUTTONS_JS, MIN_BUTTON) == []
        assert await page.evaluate(OVERFLOW_JS) == []
        for i in range(await tiles.count()):  # the whole home screen is seen at once
            await on_screen(tiles.nth(i))
        await on_screen(page.locator("#need"))
        await on_screen(page.locator("#ask-send"))

        await page.locator(".tile", has_text="Khai sinh").tap()
        counter = page.locator("#slip-counter")
        await expect(counter).to_have_text("Quầy 1")
        await expect(page.locator("#slip-status")).to_have_text("Đang mở cửa, đến 11:30.")
        await expect(page.locator("#slip-documents li").first).to_contain_text("Tờ khai đăng ký khai sinh")
        assert await page.evaluate("window.scrollY") == 0
        for element in ("#slip-procedure", "#slip-counter", "#slip-where", "#slip-status", "#print", "#restart"):
            await on_screen(page.locator(element))
        await on_screen(page.locator("#slip-documents li").first)
        assert await page.evaluate(SMALL_BUTTONS_JS, MIN_BUTTON) == []
        assert await page.evaluate(OVERFLOW_JS) == []
        shot = tmp_path / "kiosk-answer.png"
        await page.screenshot(path=str(shot))
        assert red_pixels(shot, await counter.bounding_box()) > 500, "the counter's number is not drawn big and red"

    await browse(url)(scenario)
    assert assistant.calls == []  # a tile needs no assistant


async def test_free_text_is_answered_with_the_slip_and_the_assistant_words(standin):
    url, assistant = standin

    async def scenario(page):
        await page.fill("#need", "tôi cần làm giấy khai sinh cho con")
        await page.press("#need", "Enter")
        await expect(page.locator("#slip-counter")).to_have_text("Quầy 1")
        await expect(page.locator(".reply").first).to_contain_text("Đăng ký khai sinh")
        await expect(page.locator(".chip")).to_have_count(2)
        assert await page.evaluate(SMALL_BUTTONS_JS, MIN_BUTTON) == []
        assert await page.evaluate(OVERFLOW_JS) == []
        await on_screen(page.locator("#slip-counter"))

    await browse(url)(scenario)
    assert len(assistant.calls) == 1
    user, text = assistant.calls[0]
    assert user.startswith("kiosk:k") and len(user) == len("kiosk:") + 25 and text == "tôi cần làm giấy khai sinh cho con"


async def test_a_choice_is_a_big_button_that_asks_again_in_the_same_session(standin):
    url, assistant = standin

    async def scenario(page):
        await page.fill("#need", "chứng thực")
        await page.click("#ask-send")
        chips = page.locator(".chip")
        await expect(chips).to_have_count(2)
        await expect(page.locator("#slip")).to_be_hidden()
        await chips.first.click()
        await expect(page.locator("#slip-counter")).to_have_text("Quầy 2")

    await browse(url)(scenario)
    assert [text for _, text in assistant.calls] == ["chứng thực", '/ask_counter{"procedure": "chung-thuc-ban-sao-tu-ban-chinh"}']
    assert len(set(assistant.users())) == 1


async def test_after_a_minute_idle_the_screen_resets_and_the_next_visitor_is_someone_new(standin):
    url, assistant = standin

    async def scenario(page):
        await page.fill("#need", "khai sinh")
        await page.press("#need", "Enter")
        await expect(page.locator("#slip-counter")).to_have_text("Quầy 1")
        await page.clock.run_for(50_500)
        await expect(page.locator("#idle-warning")).to_be_visible()
        await page.clock.run_for(9_000)
        await expect(page.locator("#answer")).to_be_visible()  # 59.5 s: not yet
        await page.clock.run_for(1_000)
        await expect(page.locator("#home")).to_be_visible()
        await expect(page.locator("#answer")).to_be_hidden()
        await expect(page.locator("#idle-warning")).to_be_hidden()
        assert await page.input_value("#need") == ""
        assert await page.locator("#replies").inner_text() == "" and await page.locator("#slip").is_hidden()
        await page.fill("#need", "khai sinh")
        await page.press("#need", "Enter")
        await expect(page.locator("#slip-counter")).to_have_text("Quầy 1")

    await browse(url, fake_clock=True)(scenario)
    first, second = assistant.users()
    assert first.startswith("kiosk:") and second.startswith("kiosk:") and first != second


async def test_a_touch_postpones_the_reset(standin):
    url, _ = standin

    async def scenario(page):
        await page.locator(".tile", has_text="Kết hôn").tap()
        await expect(page.locator("#slip-counter")).to_have_text("Quầy 1")
        await page.clock.run_for(45_000)
        await page.locator("#slip").tap()  # still reading
        await page.clock.run_for(45_000)
        await expect(page.locator("#answer")).to_be_visible()
        await page.clock.run_for(16_000)
        await expect(page.locator("#home")).to_be_visible()

    await browse(url, fake_clock=True)(scenario)


async def test_half_typed_words_are_wiped_after_a_minute(standin):
    url, assistant = standin

    async def scenario(page):
        await page.fill("#need", "tôi tên Nguyễn Văn A, số điện thoại 0912")
        await page.clock.run_for(61_000)
        assert await page.input_value("#need") == ""

    await browse(url, fake_clock=True)(scenario)
    assert assistant.calls == []


async def test_an_answer_that_arrives_after_the_reset_is_not_shown(standin):
    url, assistant = standin
    loop = asyncio.get_running_loop()
    assistant.gate = asyncio.Event()

    async def scenario(page):
        # every answer to /api/kiosk/ask is caught from the start, so an early or failed one shows as itself
        answered: asyncio.Future = asyncio.get_running_loop().create_future()

        def caught(outcome) -> None:
            if not answered.done():
                answered.set_result(outcome)

        page.on("response", lambda r: caught(r) if r.url.endswith("/api/kiosk/ask") else None)
        page.on("requestfailed", lambda r: caught(f"failed: {r.failure}") if r.url.endswith("/api/kiosk/ask") else None)
        await page.fill("#need", "khai sinh")
        await page.press("#need", "Enter")
        await expect(page.locator("#busy")).to_be_visible()
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(assistant.held.wait(), loop))  # held at the server
        await page.clock.run_for(61_000)
        await expect(page.locator("#home")).to_be_visible()
        assert not answered.done(), answered.result()
        loop.call_soon_threadsafe(assistant.gate.set)
        late = await asyncio.wait_for(answered, 30)
        assert not isinstance(late, str) and late.ok, late if isinstance(late, str) else (late.status, await late.text())
        await page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        await expect(page.locator("#home")).to_be_visible()
        assert await page.locator("#slip").is_hidden() and await page.locator("#replies").inner_text() == ""

    await browse(url, fake_clock=True)(scenario)


async def test_the_slip_prints_alone(standin):
    url, _ = standin

    async def scenario(page):
        await page.locator(".tile", has_text="Làm thẻ căn cước").click()
        await expect(page.locator("#slip-counter")).to_have_text("Quầy 6")
        await page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
        await page.click("#print")
        assert await page.evaluate("window.printed") == 1
        await page.emulate_media(media="print")
        for hidden in (".top", ".actions", "footer", "#home"):
            assert await page.locator(hidden).is_hidden(), hidden
        await expect(page.locator("#slip-counter")).to_be_visible()
        await expect(page.locator("#slip-issued")).to_contain_text("không ghi thông tin cá nhân")
        await page.emulate_media(media="screen")
        await page.click("#restart")
        await expect(page.locator("#home")).to_be_visible()

    await browse(url)(scenario)


async def test_a_failure_is_said_politely(standin):
    url, _ = standin

    async def scenario(page):
        await page.fill("#need", "lỗi")
        await page.click("#ask-send")
        await expect(page.locator(".reply.error")).to_have_text(webchat.ERR_INTERNAL)
        await expect(page.locator("#restart")).to_be_visible()

    await browse(url)(scenario)


@pytest.fixture
async def real(store, assistant):
    """The kiosk over the real trained assistant."""
    runner, url = await start(store, assistant)
    yield url
    await webchat.stop(runner)


async def test_the_real_assistant_sends_a_land_question_to_its_counter(real):
    async def scenario(page):
        await page.fill("#need", "nộp hồ sơ đất đai ở quầy nào")
        await page.press("#need", "Enter")
        await expect(page.locator(".reply").first).to_contain_text("Quầy 3", timeout=60_000)
        await page.locator(".chip", has_text="Cấp sổ đỏ lần đầu").click()
        await expect(page.locator("#slip-counter")).to_have_text("Quầy 3", timeout=60_000)

    await browse(real)(scenario)
