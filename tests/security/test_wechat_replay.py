"""Finding 12: a captured plain-mode query string cannot carry another body; WeChat's own retry still works."""
from __future__ import annotations

from sqlalchemy import func, select

from gateway.tables import tickets
from tests.wechat.conftest import build_rig, wechat_api  # noqa: F401 (a fixture)
from tests.wechat.simulator import message


def ticket_count(rig) -> int:
    with rig.runtime.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(tickets)).scalar()


def test_a_replayed_signed_query_with_another_body_is_refused(database_url, tmp_path, case_system, wechat_api):
    rig = build_rig(database_url, tmp_path, case_system, wechat_api)
    params = rig.wechat.params("plain")
    body = message("text", msg_id=1, Content="江汉区解放大道井盖丢了").encode()
    first = rig.wechat.post(body, params)
    assert first.status == 200 and "编号" in first.content
    retry = rig.wechat.post(body, params)                       # WeChat's own retry: the same answer
    assert retry.status == 200 and retry.content == first.content
    forged = message("text", msg_id=2, openid="oVICTIM", Content="伪造的诉求").encode()
    replayed = rig.wechat.post(forged, params)
    assert replayed.status == 403
    assert ticket_count(rig) == 1
    rig.runtime.engine.dispose()


def test_the_signature_window_is_narrow(sqlite_url, tmp_path, case_system, wechat_api):
    rig = build_rig(sqlite_url, tmp_path, case_system, wechat_api)
    params = rig.wechat.params("plain")
    rig.clock.advance(90)                                        # longer than WeChat's retries take
    late = rig.wechat.post(message("text", msg_id=3, Content="路灯坏了").encode(), params)
    assert late.status == 403
    rig.runtime.engine.dispose()
