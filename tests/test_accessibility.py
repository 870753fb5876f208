"""Accessibility of the pages in a real browser (Debian's Chromium, headless, through Selenium):
axe-core (installed from npm by scripts/install_browser.sh into .browser/, never fetched at test
time) audits the chat page with an answer on screen and its sources open, the Revue's login
form, and the Revue page once logged in: no violation of impact "serious" or "critical" (the
others are printed). Then the chat is used with the keyboard alone: Tab to the question box,
type, Enter asks, the sources panel opens and its page links are reached, a thumbs-down reason
is picked and the thumbs-down given, stored with that reason."""

from __future__ import annotations

import json
import time

import pytest

from conftest import REPO
from test_browser import browser, open_page  # noqa: F401  (the module fixture, and the page loader)
from test_review import PASSWORD, REVIEW_USER, RUN, password_env, review_dir, start_app  # noqa: F401

from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

AXE = REPO / ".browser" / "node_modules" / "axe-core" / "axe.min.js"
if not AXE.is_file():
    pytest.skip("axe-core is not installed (bash scripts/install_browser.sh puts it in .browser/)",
                allow_module_level=True)

QUESTION = "Qui contacter pour la cantine à 1 € ?"
ANSWER_MARK = "05 49 37 56 30"  # the ASP's phone number, in the answer's contact card
BLOCKING = ("serious", "critical")

# Violations that come from Gradio's own components and cannot be fixed from the page's code:
# (rule id, a fragment of the CSS selector axe reports, why). Each is named in the README.
EXCLUDED: list[tuple[str, str, str]] = []

RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(
  (r) => done(r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: JSON.stringify(n.target), html: n.html.slice(0, 240),
                                impact: n.impact, summary: n.failureSummary}))}))),
  (e) => done({error: String(e)}));
"""


def audit(browser, page: str) -> list[dict]:
    """axe-core's violations on the page now shown (excluded nodes removed); prints every one
    and returns those of impact serious or critical."""
    if not browser.execute_script("return typeof window.axe === 'object'"):
        browser.execute_script(AXE.read_text(encoding="utf-8"))
    browser.set_script_timeout(120)
    violations = browser.execute_async_script(RUN_AXE)
    assert not isinstance(violations, dict), violations
    kept = []
    for v in violations:
        nodes = [n for n in v["nodes"]
                 if not any(v["id"] == rule and fragment in n["target"] for rule, fragment, _ in EXCLUDED)]
        if nodes:
            kept.append(v | {"nodes": nodes})
    for v in kept:
        print(f"[axe {page}] {v['impact']}: {v['id']} — {v['help']} ({len(v['nodes'])} node(s))")
        for n in v["nodes"][:5]:
            print(f"    {n['target']}  {n['html'][:160]}")
    return [v for v in kept if v["impact"] in BLOCKING]


def body_text(browser) -> str:
    return browser.execute_script("return document.body.innerText")


def ask(browser, wait, box) -> None:
    box.send_keys(QUESTION)
    browser.find_element(By.XPATH, "//button[contains(., 'Envoyer')]").click()
    wait.until(lambda d: ANSWER_MARK in body_text(d))


def log_in_revue(browser, server) -> WebDriverWait:
    """Open /revue/ and log in through its form; returns a 60 s wait once the page is shown."""
    browser.get(server.url + "revue/")
    wait = WebDriverWait(browser, 60)
    user = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "input[type=text], input:not([type])"))
    user.send_keys(REVIEW_USER)
    browser.find_element(By.CSS_SELECTOR, "input[type=password]").send_keys(PASSWORD + Keys.ENTER)
    wait.until(lambda d: "Exporter avis" in body_text(d))
    return wait


def test_chat_and_revue_pages_have_no_serious_accessibility_violation(index_dir, review_dir, browser,
                                                                      password_env):
    server, client = start_app(index_dir, review_dir, login=True)
    try:
        problems = {}
        wait, box = open_page(browser, client)
        ask(browser, wait, box)
        browser.find_element(By.XPATH, "//button[contains(., 'Sources de la dernière réponse')]").click()
        wait.until(lambda d: any(a.is_displayed() for a in d.find_elements(By.XPATH, "//a[starts-with(., 'p. ')]")))
        browser.find_element(By.XPATH, "//button[contains(., 'Votre avis')]").click()
        wait.until(lambda d: d.find_element(By.XPATH, "//label[contains(., 'wrong amount')]").is_displayed())
        problems["chat"] = audit(browser, "chat")

        browser.get(server.url + "revue/")
        WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "input[type=password]"))
        problems["login"] = audit(browser, "revue login")

        wait = log_in_revue(browser, server)
        browser.find_element(By.CSS_SELECTOR, "input[aria-label='Exécution']").click()
        wait.until(lambda d: d.find_elements(By.XPATH, f"//*[@role='option' and contains(., '{RUN}')]"))[0].click()
        wait.until(lambda d: "q002" in body_text(d))  # the run's answers in the table
        problems["revue"] = audit(browser, "revue")
        browser.find_element(By.XPATH, "//button[contains(., 'Exporter avis')]").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "a[data-testid=download-link]"))  # the CSV's link
        problems["revue, exported"] = audit(browser, "revue, exported")

        assert not any(problems.values()), json.dumps(problems, ensure_ascii=False, indent=1)
    finally:
        server.close()
        time.sleep(0.5)


# --------------------------------------------------------------------------- keyboard only


def focused(browser) -> dict:
    """What has the keyboard focus: tag, accessible-ish name, and its label's text."""
    return browser.execute_script("""
        const e = document.activeElement;
        const label = e.closest('label') || (e.id && document.querySelector(`label[for="${e.id}"]`));
        return {tag: e.tagName.toLowerCase(), type: e.getAttribute('type') || '',
                name: (e.getAttribute('aria-label') || e.innerText || e.value || '').trim().slice(0, 120),
                label: label ? label.innerText.trim().slice(0, 120) : '',
                href: e.getAttribute('href') || ''};""")


def press(browser, *keys) -> None:
    chain = ActionChains(browser)
    for key in keys:
        chain.send_keys(key)
    chain.perform()


def back_tab(browser) -> None:
    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()


def tab_to(browser, wanted, backwards: bool = False, limit: int = 80) -> dict:
    """Press Tab (Shift+Tab when `backwards`) until `wanted(focused)` holds; returns that
    element's description. Fails with the focus path when it is never reached."""
    path = []
    for _ in range(limit):
        back_tab(browser) if backwards else press(browser, Keys.TAB)
        now = focused(browser)
        path.append(f"{now['tag']}:{now['name'] or now['label']}"[:60])
        if wanted(now):
            return now
    raise AssertionError("not reached by the keyboard; focus went through: " + " | ".join(path))


def test_ask_sources_and_feedback_with_the_keyboard_alone(index_dir, tmp_path, browser):
    from guide_assistant.feedback import ReviewStore

    server, client = start_app(index_dir, tmp_path)
    try:
        wait, _ = open_page(browser, client)
        browser.execute_script("document.activeElement && document.activeElement.blur()")
        tab_to(browser, lambda f: f["tag"] == "textarea" and "Votre question" in f["label"])
        press(browser, QUESTION, Keys.ENTER)
        wait.until(lambda d: ANSWER_MARK in body_text(d))
        assert focused(browser)["tag"] == "textarea"  # the focus stays in the box, ready for the next question

        tab_to(browser, lambda f: f["tag"] == "button" and "Sources de la dernière réponse" in f["name"])
        press(browser, Keys.ENTER)
        link = tab_to(browser, lambda f: f["tag"] == "a" and f["name"].startswith("p. "))
        assert "#page=" in link["href"]

        tab_to(browser, lambda f: f["tag"] == "button" and "Votre avis" in f["name"])
        press(browser, Keys.ENTER)
        # Gradio names each radio apart, so arrows do not move in the group: each is a Tab stop, Space checks
        tab_to(browser, lambda f: f["tag"] == "input" and f["type"] == "radio" and "wrong amount" in f["label"])
        press(browser, Keys.SPACE)
        assert browser.execute_script("return document.activeElement.checked")

        tab_to(browser, lambda f: f["tag"] == "button" and f["name"] == "Dislike", backwards=True)
        press(browser, Keys.ENTER)
        wait.until(lambda d: "avis n°" in body_text(d))
        rows = ReviewStore(tmp_path / "review.sqlite3").feedback()
        assert [(r["rating"], r["reason"], r["question"]) for r in rows] == [("down", "wrong amount", QUESTION)]
    finally:
        server.close()
        time.sleep(0.5)
