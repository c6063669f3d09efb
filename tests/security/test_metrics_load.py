"""Finding 14: hammering the unauthenticated /metrics does not run the store's counts on every request."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event


def test_scrapes_within_the_cache_window_read_the_store_once(sqlite_gateway):
    gw = sqlite_gateway
    gw.post_app({"text": "井盖缺失"})
    statements = []
    event.listen(gw.runtime.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    pages = [gw.client.get("/metrics").get_data(as_text=True) for _ in range(50)]
    group_bys = [s for s in statements if "GROUP BY" in s.upper()]
    assert 'gateway_tickets{status="received"} 1.0' in pages[-1]
    first = len(group_bys)
    assert 1 <= first <= 4                          # one scrape's worth, not fifty
    later = gw.runtime.clock() + timedelta(seconds=6)
    gw.runtime.clock = lambda: later
    gw.client.get("/metrics")
    assert len([s for s in statements if "GROUP BY" in s.upper()]) == 2 * first
