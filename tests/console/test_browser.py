"""The console in a real headless browser: sign in, key in a duplicate call, see it suggested, attach it in one key."""
from __future__ import annotations

import os
import re
import shutil
import time

import pytest

from gateway.embedded import EmbeddedWorker
from tests.console.browser import chromium, require_chromium, served
from tests.console.conftest import PASSWORD

PLANTED = "青山区和平大道施工噪音每天到凌晨两点，严重扰民"
CALL = "和平大道施工噪音每天到凌晨两点，请尽快处理"
HOSTILE = '<img src=x onerror="window.__pwned=1">江夏区文化路菜市场旁垃圾桶满了没人清运<script>window.__pwned=2</script>'


def _wait(driver, predicate, timeout=15, what="condition"):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: predicate(d), message=what)


def _sign_in(driver, base):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.get(base + "/console/")
    assert "/console/sign-in" in driver.current_url
    assert driver.switch_to.active_element.get_attribute("name") == "name"  # autofocus
    driver.switch_to.active_element.send_keys("wang", Keys.TAB, PASSWORD, Keys.ENTER)
    _wait(driver, lambda d: d.current_url.endswith("/console/calls/new"), what="the call-entry page")
    assert driver.find_element(By.TAG_NAME, "h1").text == "来电登记"


def test_operator_attaches_a_duplicate_call_in_one_key(operators, case_system, tmp_path):
    require_chromium()
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    gw = operators
    planted = gw.post_app({"text": PLANTED, "contact": {"phone": "13800138000"}}).json["reference"]
    gw.post_app({"text": HOSTILE})
    gw.drain()
    case_id = gw.get(f"/api/v1/tickets/{planted}").json["case"]["id"]
    worker = EmbeddedWorker(gw.runtime, interval=0.2)
    worker.start()
    try:
        with served(gw.app) as base, chromium() as driver:
            _sign_in(driver, base)
            # Focus starts on the caller's number; the caller's earlier report shows up as it is typed.
            assert driver.switch_to.active_element.get_attribute("id") == "caller_number"
            driver.switch_to.active_element.send_keys("13800138000", Keys.TAB)
            _wait(driver, lambda d: planted in d.find_element(By.ID, "caller-history").text, what="caller history")
            assert driver.switch_to.active_element.get_attribute("id") == "content"
            driver.switch_to.active_element.send_keys(CALL)
            suggestion = _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f"li[data-case-id='{case_id}']"),
                               what="a suggestion of the planted case")[0]
            marked = "".join(m.text for m in suggestion.find_elements(By.CSS_SELECTOR, ".quote mark"))
            assert "施工噪音" in marked and "凌晨两点" in marked
            assert f"案件 {case_id}" in suggestion.text and "很可能重复" in suggestion.text
            driver.find_element(By.ID, "address").send_keys("青山区和平大道 88 号")
            shot = tmp_path / "console.png"
            driver.save_screenshot(str(shot))
            if os.environ.get("CONSOLE_SCREENSHOT"):
                shutil.copy(shot, os.environ["CONSOLE_SCREENSHOT"])
            # Alt+↓ goes to the suggestions, Enter attaches the call to the chosen case and submits it.
            ActionChains(driver).key_down(Keys.ALT).send_keys(Keys.ARROW_DOWN).key_up(Keys.ALT).perform()
            focused = driver.switch_to.active_element
            assert focused.get_attribute("data-case-id") == str(case_id)
            focused.send_keys(Keys.ENTER)
            _wait(driver, lambda d: f"/console/cases/{case_id}" in d.current_url, what="the case page")
            reference = re.search(r"added=([0-9A-Z-]+)", driver.current_url).group(1)
            assert f"已按坐席决定并入案件 {case_id}" in driver.find_element(By.TAG_NAME, "main").text
            # The page refreshes itself until the pipeline has put the call in the case.
            _wait(driver, lambda d: d.find_elements(By.ID, f"report-{reference}"), timeout=30,
                  what="the new report on the case page")
            assert driver.find_elements(By.ID, f"report-{planted}")
            _wait(driver, lambda d: any(e["type"] == "case.report_added" and e["case"]["id"] == case_id
                                        for e in case_system.accepted()), timeout=30, what="case.report_added")
    finally:
        worker.stop()
    added = [e for e in case_system.accepted() if e["type"] == "case.report_added"]
    assert added[0]["report"]["reference"] == reference
    assert added[0]["report"]["extra"]["attach_to_case"] == case_id
    assert added[0]["report"]["extra"]["agent_id"] == "wang"


def test_hostile_text_never_runs_in_the_browser(sqlite_operators):
    require_chromium()
    from selenium.webdriver.common.by import By

    gw = sqlite_operators
    hostile = gw.post_app({"text": HOSTILE}).json["reference"]
    gw.drain()
    case_id = gw.get(f"/api/v1/tickets/{hostile}").json["case"]["id"]
    with served(gw.app) as base, chromium() as driver:
        _sign_in(driver, base)
        driver.find_element(By.ID, "content").send_keys("江夏区文化路菜市场旁垃圾桶满了没人清运<script>")
        suggestion = _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f"li[data-case-id='{case_id}']"),
                           what="a suggestion of the hostile report")[0]
        assert '<img src=x onerror="window.__pwned=1">' in suggestion.text
        assert not suggestion.find_elements(By.TAG_NAME, "img") and not suggestion.find_elements(By.TAG_NAME, "script")
        driver.get(f"{base}/console/cases/{case_id}")
        assert "<script>window.__pwned=2</script>" in driver.find_element(By.ID, f"report-{hostile}").text
        driver.get(f"{base}/console/intake")
        assert '<img src=x onerror="window.__pwned=1">' in driver.find_element(By.TAG_NAME, "table").text
        time.sleep(0.3)
        assert driver.execute_script("return window.__pwned === undefined") is True
