"""The DingTalk robot under the gateway's per-sender limit: a flooding sender hears why, and nothing is stored."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from gateway.tables import submissions, tickets
from tests.harness.fixture_table import FROZEN
from tests.harness.gateway import make_gateway
from tests.harness.tables import dingtalk


def test_a_flooding_sender_is_told_to_wait_and_nothing_of_it_is_stored(sqlite_url, tmp_path):
    gw = make_gateway(sqlite_url, tmp_path, profile={"limits": {"sender_per_minute": 3}}, **dingtalk.TABLE.env)
    gw.runtime.clock = lambda: FROZEN
    callback = json.loads((dingtalk.TABLE.folder / "text__report.json").read_bytes())
    replies = []
    for n in range(5):
        body = dict(callback, msgId=f"msg-flood-{n}", text={"content": f"第{n}条：汉阳区钟家村路灯坏了"})
        answer = dingtalk.send_callback(gw.client, json.dumps(body, ensure_ascii=False).encode(),
                                        dingtalk.TABLE.rows[0])
        replies.append(answer)
    assert [a.status for a in replies] == [200] * 5
    assert all("过于频繁" not in a.text for a in replies[:3])
    assert all("过于频繁" in a.text and "110" in a.text for a in replies[3:])
    with gw.runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(submissions)).scalar() == 3
        assert conn.execute(select(func.count()).select_from(tickets)).scalar() == 1   # one burst, one report
    gw.runtime.engine.dispose()
