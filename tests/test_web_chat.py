"""The web chat in a real browser (Debian's Chromium, headless, driven by Playwright) against
the real page, demo website, Rasa server and action server (tests/browser.py).

Each scenario saves screenshots to results/screenshots/.
"""

from __future__ import annotations

import time

import pytest

from tests.browser import (
    SCREENSHOTS,
    SIGNATURE_LIFETIME,
    chromium_path,
    start_web_chat,
    stop_web_chat,
)
from tests.replies import default, responses, variations

HANDOFF = "I would like to speak to a human agent please"
BOT = "#messages li.bot .bubble"


@pytest.fixture(scope="module")
def web_chat(tmp_path_factory):
    chat = start_web_chat(tmp_path_factory.mktemp("web"))
    yield chat
    stop_web_chat(chat)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, web_chat):
    """A new browser profile (its own localStorage): a new visitor of the site."""
    context = browser.new_context(timezone_id="Europe/Brussels", viewport={"width": 900,
                                                                           "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(web_chat.url)
    yield page
    context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page, why: str | None) -> None:
    """Pick the demo customer whose label says `why` (None: the anonymous visitor)."""
    label = page.locator("#customer-list label", has_text=why or "anonymous visitor")
    label.locator("input").check()
    page.get_by_role("button", name="Start chatting").click()
    page.locator("#status", has_text="Connected").wait_for()


def bot_texts(page) -> list[str]:
    return page.locator(BOT).all_inner_texts()


def wait_for_replies(page, before: int, quiet: float = 1.5) -> list[str]:
    """The bot's messages after the first `before`, once they stop coming."""
    page.wait_for_function(f"document.querySelectorAll({BOT!r}).length > {before}")
    count, since = -1, time.monotonic()
    while time.monotonic() - since < quiet:
        now = page.locator(BOT).count()
        if now != count:
            count, since = now, time.monotonic()
        time.sleep(0.1)
    return bot_texts(page)[before:]


def say(page, text: str) -> list[str]:
    before = page.locator(BOT).count()
    page.get_by_label("Your message").fill(text)
    page.keyboard.press("Enter")
    return wait_for_replies(page, before)


def why_panel(page) -> str:
    panel = page.locator("details#why")
    if not panel.get_attribute("open"):
        panel.locator("summary").click()
    page.locator("#why-body ul.explanation li").first.wait_for()
    return page.locator("#why-body").inner_text()


def test_a_vip_and_a_new_customer_see_different_greetings_and_routes(page, browser, web_chat):
    sign_in(page, "VIP (gold loyalty)")
    vip_greeting = say(page, "hello")
    vip_handoff = say(page, HANDOFF)
    vip_why = why_panel(page)
    shot(page, "vip-customer")

    context = browser.new_context(timezone_id="Europe/Brussels")
    new = context.new_page()
    new.set_default_timeout(60_000)
    new.goto(web_chat.url)
    sign_in(new, "new customer")
    new_greeting = say(new, "hello")
    new_handoff = say(new, HANDOFF)
    new_why = why_panel(new)
    shot(new, "new-customer")
    context.close()

    formal = variations("utter_greet", full_name="Margaret Smith")
    casual = variations("utter_greet", first_name="Anna")
    assert len(vip_greeting) == 1 and vip_greeting[0] in formal
    assert "Margaret Smith" in vip_greeting[0]  # formal: the full name
    assert len(new_greeting) == 1 and new_greeting[0] in casual
    assert "Anna" in new_greeting[0] and "Novak" not in new_greeting[0]  # casual
    assert vip_handoff == [variations("utter_handoff_vip_agent", full_name="Margaret Smith")[0]]
    assert new_handoff == [variations("utter_handoff_onboarding", first_name="Anna")[1]]
    # the why panel names the route and the rule that chose it
    assert "route=vip_agent by rule:" in vip_why and "tone=formal" in vip_why
    assert "route=onboarding by rule:" in new_why


def test_a_first_time_customer_is_asked_and_no_means_answers_for_anyone(page):
    sign_in(page, "first chat: never asked about their data")
    first = say(page, "hi there")
    question = responses()["utter_ask_consent"][0]
    assert question["text"] in first
    buttons = page.locator("#messages li.bot .quick-replies button")
    assert buttons.all_inner_texts() == [b["title"] for b in question["buttons"]]
    shot(page, "consent-question")

    before = page.locator(BOT).count()
    page.get_by_role("button", name="No, thanks").click()  # a quick reply
    assert wait_for_replies(page, before) == [default("utter_consent_withdrawn")]
    assert all(b.is_disabled() for b in buttons.all())  # answered once
    assert page.locator("#messages li.me .bubble").last.inner_text() == "No, thanks"

    # a gold customer, but without consent: the standard team, no name
    assert say(page, HANDOFF) == [default("utter_handoff_standard")]
    assert "personalized\nfalse" in why_panel(page)
    shot(page, "consent-declined")


def test_quick_replies_and_history_survive_a_reload(page):
    sign_in(page, "highest churn risk")
    offer = variations("utter_retention_offer_account", first_name="Tom")[1]
    assert say(page, "please close my account") == [offer]  # with two quick replies
    history = page.locator("#messages li").all_inner_texts()

    page.reload()
    page.locator("#status", has_text="Connected").wait_for()
    assert page.locator("#messages li").all_inner_texts() == history
    stay = page.get_by_role("button", name="Yes, I'll stay")
    before = page.locator(BOT).count()
    stay.click()  # after the reload: the same conversation goes on
    assert wait_for_replies(page, before) == [
        variations("utter_retention_accepted", first_name="Tom")[0]]
    assert stay.is_disabled()

    page.reload()
    page.locator("#status", has_text="Connected").wait_for()
    assert page.get_by_role("button", name="Yes, I'll stay").is_disabled()
    assert page.locator("#messages li.me .bubble").last.inner_text() == "Yes, I'll stay"
    shot(page, "after-reload")
    # answering in words instead of a button: the buttons no longer apply
    assert say(page, "actually, please close my account") == [offer]
    say(page, "no thanks")
    assert page.locator(".quick-replies button:enabled").count() == 0


def test_the_page_can_be_used_with_the_keyboard_alone(page):
    page.locator("#customer-list label").nth(1).wait_for()  # the demo customers are listed
    page.keyboard.press("Tab")  # the report link comes first
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "customer"
    page.keyboard.press("ArrowDown")  # the next demo customer
    assert page.evaluate("document.activeElement.value") != ""
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "start"
    page.keyboard.press("Enter")
    page.locator("#status", has_text="Connected").wait_for()
    assert page.evaluate("document.activeElement.id") == "message"  # ready to type
    assert page.get_by_role("log", name="Conversation").get_attribute("aria-live") == "polite"
    assert page.get_by_role("status").inner_text().startswith("Connected")
    assert page.get_by_role("textbox", name="Your message").count() == 1
    page.keyboard.type("hello")
    before = page.locator(BOT).count()
    page.keyboard.press("Enter")
    assert wait_for_replies(page, before)


def test_the_page_says_when_rasa_is_down_and_recovers(page, web_chat):
    """Runs last in this module: it stops and restarts the Rasa server."""
    sign_in(page, None)
    assert say(page, "hello") == [default("utter_greet")]
    web_chat.stop_rasa()
    status = page.locator("#status")
    status.filter(has_text="can't be reached").wait_for(timeout=30_000)
    assert "down" in status.get_attribute("class")
    page.get_by_label("Your message").fill("thanks a lot")
    page.keyboard.press("Enter")  # kept while the assistant is away
    page.locator("#messages li.me.pending", has_text="thanks a lot").wait_for()
    shot(page, "rasa-down")

    before = page.locator(BOT).count()
    web_chat.start_rasa()
    status.filter(has_text="Connected again").wait_for(timeout=60_000)
    assert wait_for_replies(page, before) == [default("utter_you_are_welcome")]  # sent, answered
    assert page.locator("#messages li.pending").count() == 0
    shot(page, "rasa-back")


def test_the_page_renews_the_signature_before_it_expires(page):
    """Each message carries a signature for this session that expires (here within seconds):
    the page asks the website for a new one, so the customer stays recognised."""
    sign_in(page, "VIP (gold loyalty)")
    assert "Margaret Smith" in say(page, "hello")[0]
    time.sleep(SIGNATURE_LIFETIME + 1)  # the signature the page got at sign-in has expired
    assert "Margaret Smith" in say(page, "hi again")[0]
    assert "could not be renewed" not in page.locator("#status").inner_text()
