"""In a real headless browser: the call-entry page shows the suggested unit while the call is keyed in."""
from __future__ import annotations

from tests.console.browser import chromium, require_chromium, served
from tests.console.test_browser import _sign_in, _wait

WATER = "城乡建设/城市建设和市政管理/自来水供应"


def test_the_suggested_unit_appears_as_the_call_is_typed(operators):
    require_chromium()
    from selenium.webdriver.common.by import By

    with served(operators.app) as base, chromium() as driver:
        _sign_in(driver, base)
        hint = driver.find_element(By.ID, "dispatch-hint")
        assert "建议承办单位" in hint.text and "市水务局" not in hint.text
        driver.find_element(By.ID, "content").send_keys("红卫路街道幸福小区从早上开始停水，到现在还没来水")
        driver.find_element(By.ID, "category").send_keys(WATER)
        # The shipped Wuhan table routes water supply to the city's water authority.
        _wait(driver, lambda d: "市水务局" in d.find_element(By.ID, "dispatch-hint").text, what="the suggested unit")
        assert "派单表" in driver.find_element(By.ID, "dispatch-hint").text
