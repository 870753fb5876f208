"""The chat page in a real browser (Debian's Chromium, headless, through Selenium): an official
asks a question, opens "Votre avis", picks a reason and clicks the thumbs-down under the
answer; the feedback lands in the SQLite store with that reason."""

from __future__ import annotations

import shutil
import time

import pytest

from test_review import start_app

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[dev]')")
if not (shutil.which("chromium") and shutil.which("chromedriver")):
    pytest.skip("Debian's chromium and chromium-driver are not installed (scripts/install_browser.sh)",
                allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1200,1500"):
        options.add_argument(arg)
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    yield driver
    driver.quit()


def open_page(browser, client):
    """Load the page; (a 60 s wait, the question box once it can be typed in)."""
    browser.get(client.src)
    wait = WebDriverWait(browser, 60)
    return wait, wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "textarea")))


def test_thumbs_down_with_reason_is_stored(index_dir, tmp_path, browser):
    from guide_assistant.feedback import ReviewStore

    server, client = start_app(index_dir, tmp_path)
    try:
        wait, box = open_page(browser, client)
        box.send_keys("Qui contacter pour la cantine à 1 € ?")
        browser.find_element(By.XPATH, "//button[contains(., 'Envoyer')]").click()
        wait.until(lambda d: "05 49 37 56 30" in d.find_element(By.CSS_SELECTOR, "body").text)
        browser.find_element(By.XPATH, "//button[contains(., 'Votre avis')]").click()
        wait.until(ec.element_to_be_clickable((By.XPATH, "//label[contains(., 'wrong amount')]"))).click()
        browser.find_element(By.XPATH, "//button[@aria-label='Dislike']").click()
        wait.until(lambda d: "avis n°" in d.find_element(By.CSS_SELECTOR, "body").text)
        rows = ReviewStore(tmp_path / "review.sqlite3").feedback()
        assert len(rows) == 1
        assert rows[0]["rating"] == "down" and rows[0]["reason"] == "wrong amount"
        assert rows[0]["question"] == "Qui contacter pour la cantine à 1 € ?"
        assert "05 49 37 56 30" in rows[0]["answer"]
    finally:
        server.close()
        time.sleep(0.5)


def test_html_typed_in_a_question_is_shown_not_run_and_errors_are_in_view(index_dir, tmp_path, browser):
    server, client = start_app(index_dir, tmp_path)
    try:
        wait, box = open_page(browser, client)
        assert browser.execute_script("return document.documentElement.lang") == "fr"
        box.send_keys('<img src="x" onerror="window.pwned = 1"><a href="javascript:window.pwned = 2">lien</a> '
                      "Qui contacter pour la cantine à 1 € ?")
        browser.find_element(By.XPATH, "//button[contains(., 'Envoyer')]").click()
        wait.until(lambda d: "05 49 37 56 30" in d.find_element(By.CSS_SELECTOR, "body").text)
        assert '<img src="x"' in browser.find_element(By.CSS_SELECTOR, "body").text  # displayed as typed
        assert not browser.find_elements(By.CSS_SELECTOR, "img[src='x'], a[href^='javascript']")
        assert browser.execute_script("return window.pwned") is None
        box = browser.find_element(By.CSS_SELECTOR, "textarea")
        box.clear()
        long_question = "cantine " * 400
        box.send_keys(long_question)
        browser.find_element(By.XPATH, "//button[contains(., 'Envoyer')]").click()
        wait.until(lambda d: "Erreur : La question fait" in d.find_element(By.CSS_SELECTOR, "body").text)
        assert browser.find_element(By.CSS_SELECTOR, "textarea").get_attribute("value").strip() == long_question.strip()
    finally:
        server.close()
        time.sleep(0.5)
