"""The web blotter at /ui/ in headless chromium against a real ``openrfq serve``: the admin view updates live as
python-okx creates RFQs and quotes, a maker cancels its quote by clicking in its API-key view, the advance control
expires an RFQ, and the fault rules, snapshots and reset work from the page. Each test saves a screenshot under
its tmp_path and prints where (``pytest -s tests/ui`` shows the paths)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from okx.BlockTrading import BlockTradingAPI as Api
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from openrfq.testing import ServerVenue

LEGS = [{"instId": "BTC-USDT", "sz": "0.5", "side": "buy"}]
PRICED = [{"instId": "BTC-USDT", "sz": "0.5", "side": "buy", "px": "60000.5"}]

WAIT_S = 15.0  # for what the page shows (it usually takes milliseconds)


@pytest.fixture
def okx(venue_server: ServerVenue) -> Iterator[Callable[[str], Api]]:
    """python-okx, unchanged but for its domain, as one of the venue's accounts."""
    opened: list[Api] = []

    def api(code: str) -> Api:
        key = venue_server.accounts[code]
        client = Api(key.api_key, key.secret_key, key.passphrase, False, "1", domain=venue_server.url)
        opened.append(client)
        return client

    yield api
    for client in opened:
        client.close()


def _wait(page: Any, what: str, until: Callable[[], Any]) -> Any:
    """Poll ``until`` (ignoring elements not there yet or redrawn meanwhile) until it is truthy."""

    def attempt(_: Any) -> Any:
        try:
            return until()
        except (NoSuchElementException, StaleElementReferenceException):
            return False

    return WebDriverWait(page, WAIT_S, poll_frequency=0.05).until(attempt, message=f"waited {WAIT_S} s for {what}")


def _row(page: Any, table: str, row_id: str) -> Any:
    return page.find_element(By.CSS_SELECTOR, f'#{table} tbody tr[data-id="{row_id}"]')


def _state(page: Any, table: str, row_id: str) -> str:
    text: str = _row(page, table, row_id).find_element(By.CLASS_NAME, "state").text
    return text


def _wait_state(page: Any, table: str, row_id: str, state: str) -> None:
    _wait(page, f"{table} {row_id} {state}", lambda: _state(page, table, row_id) == state)


def _live(page: Any) -> None:
    _wait(page, "the page to be live", lambda: page.find_element(By.ID, "status").get_attribute("data-state") == "live")


def _console_errors(page: Any) -> list[str]:
    """Everything the page's console reported as an error or warning: a CSP violation, a script error."""
    return [e["message"] for e in page.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def _admin_view(page: Any, venue: ServerVenue) -> None:
    page.get(f"{venue.url}/ui/#token={venue.token}")
    _live(page)


def test_the_admin_view_shows_rfqs_and_quotes_as_they_are_made(
    page: Any, venue_server: ServerVenue, okx: Callable[[str], Api], shot: Callable[[str], Path]
) -> None:
    _admin_view(page, venue_server)
    assert "token" not in page.current_url  # taken from the fragment, then removed from the address

    rfq = okx("TAKER1").create_rfq(counterparties=["MAKER1", "MAKER2"], legs=LEGS, clRfqId="desk7")["data"][0]
    _wait_state(page, "rfqs", rfq["rfqId"], "active")
    quote = okx("MAKER1").create_quote(rfqId=rfq["rfqId"], quoteSide="sell", legs=PRICED, clQuoteId="mm1")
    quote_id = quote["data"][0]["quoteId"]
    _wait_state(page, "quotes", quote_id, "active")

    rfq_row = _row(page, "rfqs", rfq["rfqId"]).text
    assert "TAKER1" in rfq_row and "MAKER1 MAKER2" in rfq_row and "buy 0.5 BTC-USDT" in rfq_row
    assert "desk7" in rfq_row  # the admin sees the taker's client id
    quote_row = _row(page, "quotes", quote_id).text
    assert "MAKER1" in quote_row and "buy 0.5 BTC-USDT @ 60000.5" in quote_row and "mm1" in quote_row
    assert not page.find_elements(By.CSS_SELECTOR, "button.cancel")  # the admin view cancels nothing
    shot("admin-view")
    assert _console_errors(page) == []
    assert venue_server.token is not None and venue_server.token not in venue_server.log_path.read_text()


def test_a_maker_cancels_its_quote_by_clicking_in_its_api_key_view(
    page: Any, venue_server: ServerVenue, okx: Callable[[str], Api], shot: Callable[[str], Path]
) -> None:
    taker, maker = okx("TAKER1"), okx("MAKER1")
    rfq_id = taker.create_rfq(counterparties=["MAKER1", "MAKER2"], legs=LEGS)["data"][0]["rfqId"]
    quote_id = maker.create_quote(rfqId=rfq_id, quoteSide="sell", legs=PRICED)["data"][0]["quoteId"]
    okx("MAKER2").create_quote(rfqId=rfq_id, quoteSide="sell", legs=PRICED)  # not MAKER1's to see

    key = venue_server.accounts["MAKER1"]
    page.get(f"{venue_server.url}/ui/")
    page.find_element(By.ID, "api-key").send_keys(key.api_key)
    page.find_element(By.ID, "secret-key").send_keys(key.secret_key)
    page.find_element(By.ID, "passphrase").send_keys(key.passphrase)
    page.find_element(By.CSS_SELECTOR, "#key-form button[type=submit]").click()
    _live(page)
    assert page.find_element(By.ID, "secret-key").get_attribute("value") == ""  # not left in the page

    _wait_state(page, "quotes", quote_id, "active")  # from REST, as MAKER1 sees it
    assert len(page.find_elements(By.CSS_SELECTOR, "#quotes tbody tr[data-id]")) == 1
    assert _row(page, "rfqs", rfq_id).find_elements(By.CSS_SELECTOR, "button.cancel") == []  # TAKER1's RFQ
    later = taker.create_rfq(counterparties=["MAKER1"], legs=LEGS)["data"][0]["rfqId"]
    _wait_state(page, "rfqs", later, "active")  # live, from the business WebSocket
    shot("maker-before-cancel")

    _row(page, "quotes", quote_id).find_element(By.CSS_SELECTOR, 'button[data-action="cancel-quote"]').click()

    _wait_state(page, "quotes", quote_id, "canceled")
    assert maker.get_quotes(quoteId=quote_id)["data"][0]["state"] == "canceled"
    assert _row(page, "quotes", quote_id).find_elements(By.CSS_SELECTOR, "button.cancel") == []
    shot("maker-after-cancel")
    assert _console_errors(page) == []


def test_a_taker_cancels_its_rfq_by_clicking(page: Any, venue_server: ServerVenue, okx: Callable[[str], Api]) -> None:
    rfq_id = okx("TAKER1").create_rfq(counterparties=["MAKER1"], legs=LEGS)["data"][0]["rfqId"]
    key = venue_server.accounts["TAKER1"]
    page.get(f"{venue_server.url}/ui/")
    for field, value in (("api-key", key.api_key), ("secret-key", key.secret_key), ("passphrase", key.passphrase)):
        page.find_element(By.ID, field).send_keys(value)
    page.find_element(By.CSS_SELECTOR, "#key-form button[type=submit]").click()
    _live(page)

    _wait(page, "the RFQ's cancel button", lambda: _row(page, "rfqs", rfq_id).find_element(By.CLASS_NAME, "cancel"))
    _row(page, "rfqs", rfq_id).find_element(By.CSS_SELECTOR, 'button[data-action="cancel-rfq"]').click()

    _wait_state(page, "rfqs", rfq_id, "canceled")


def test_the_advance_control_expires_an_rfq(
    page: Any, venue_server: ServerVenue, okx: Callable[[str], Api], shot: Callable[[str], Path]
) -> None:
    _admin_view(page, venue_server)
    rfq = okx("TAKER1").create_rfq(counterparties=["MAKER1"], legs=LEGS)["data"][0]
    _wait_state(page, "rfqs", rfq["rfqId"], "active")
    before = int(page.find_element(By.ID, "clock").get_attribute("data-ts"))
    assert "(virtual)" in page.find_element(By.ID, "clock").text

    seconds = page.find_element(By.ID, "advance-s")
    seconds.clear()
    seconds.send_keys("300")
    page.find_element(By.ID, "advance").click()

    _wait_state(page, "rfqs", rfq["rfqId"], "expired")
    clock = page.find_element(By.ID, "clock")
    _wait(page, "the clock 300 s on", lambda: int(clock.get_attribute("data-ts")) >= before + 300_000)
    assert venue_server.now_ms() >= int(rfq["validUntil"])
    shot("advanced")
    assert _console_errors(page) == []


def test_fault_rules_snapshots_and_reset_from_the_admin_view(
    page: Any, venue_server: ServerVenue, okx: Callable[[str], Api], shot: Callable[[str], Path]
) -> None:
    _admin_view(page, venue_server)
    taker = okx("TAKER1")

    page.find_element(By.ID, "fault-path").send_keys("/api/v5/rfq/create-rfq")
    page.find_element(By.ID, "fault-code").send_keys("50001")
    page.find_element(By.ID, "fault-count").send_keys("1")
    page.find_element(By.CSS_SELECTOR, "#fault-form button[type=submit]").click()
    _wait(page, "the fault rule listed", lambda: page.find_elements(By.CSS_SELECTOR, "#faults tbody tr"))
    assert [f["path"] for f in venue_server.control("GET", "/faults")] == ["/api/v5/rfq/create-rfq"]
    assert taker.create_rfq(counterparties=["MAKER1"], legs=LEGS)["code"] == "50001"
    _wait(page, "the used-up rule gone", lambda: not page.find_elements(By.CSS_SELECTOR, "#faults tbody tr"))

    kept = taker.create_rfq(counterparties=["MAKER1"], legs=LEGS)["data"][0]["rfqId"]
    page.find_element(By.ID, "snapshot-name").send_keys("one-rfq")
    page.find_element(By.CSS_SELECTOR, "#snapshot-form button[type=submit]").click()
    _wait(page, "the snapshot listed", lambda: _row(page, "snapshots", "one-rfq"))
    gone = taker.create_rfq(counterparties=["MAKER1"], legs=LEGS)["data"][0]["rfqId"]
    _wait_state(page, "rfqs", gone, "active")
    shot("faults-and-snapshots")

    _row(page, "snapshots", "one-rfq").find_element(By.CSS_SELECTOR, 'button[data-action="restore"]').click()
    _wait(page, "the later RFQ gone", lambda: not page.find_elements(By.CSS_SELECTOR, f'#rfqs tr[data-id="{gone}"]'))
    assert _state(page, "rfqs", kept) == "active"

    page.find_element(By.ID, "reset").click()
    page.switch_to.alert.accept()
    _wait(page, "an empty venue", lambda: not page.find_elements(By.CSS_SELECTOR, "#rfqs tbody tr[data-id]"))
    assert taker.get_rfqs()["data"] == []
    assert _console_errors(page) == []


def test_a_wrong_token_is_refused_and_the_page_says_so(page: Any, venue_server: ServerVenue) -> None:
    page.get(f"{venue_server.url}/ui/")
    page.find_element(By.ID, "token").send_keys("not-the-token")
    page.find_element(By.CSS_SELECTOR, "#admin-form button[type=submit]").click()

    _wait(page, "the refusal", lambda: "refused" in page.find_element(By.ID, "message").text)
    assert page.find_element(By.ID, "signin").is_displayed()
    assert page.find_element(By.ID, "token").get_attribute("value") == ""
