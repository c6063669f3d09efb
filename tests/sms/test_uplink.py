"""The uplink push's promise: code 0 only when the whole batch is stored; a failure mid-batch is a 5xx, and the
provider's re-push stores the rest without doubling what was stored."""
from __future__ import annotations

from sqlalchemy.exc import OperationalError

import gateway.sms.views as sms_views

BATCH = [
    {"phone_number": "13900139001", "content": "洪山区光谷大道路面塌陷", "send_time": "2026-11-27 08:01:00",
     "dest_code": "12345", "sequence_id": 101},
    {"phone_number": "13900139002", "content": "武昌区积玉桥小区停水两天了", "send_time": "2026-11-27 08:01:05",
     "dest_code": "12345", "sequence_id": "102"},
    {"phone_number": "13900139003", "content": "江汉区解放大道井盖丢了", "send_time": "2026-11-27 08:01:09",
     "dest_code": "12345", "sequence_id": 103},
]


def test_failure_mid_batch_then_a_repush_stores_the_rest_once(rig, monkeypatch):
    real = sms_views.handle_sms
    calls = []

    def flaky(runtime, cfg, message, raw, reply_by):
        calls.append(message.message_id)
        if message.message_id == "102" and calls.count("102") == 1:
            raise OperationalError("INSERT INTO tickets", {}, Exception("database is locked"))
        return real(runtime, cfg, message, raw, reply_by)

    monkeypatch.setattr(sms_views, "handle_sms", flaky)
    first = rig.uplink(BATCH)
    assert first.status_code == 503 and first.json["code"] != 0 and first.json["failed"] == ["102"]
    assert [r.data["text"] for r in rig.tickets()] == [BATCH[0]["content"], BATCH[2]["content"]]
    again = rig.uplink(BATCH)
    assert again.status_code == 200 and again.json == {"code": 0, "msg": "成功"}
    texts = sorted(r.data["text"] for r in rig.tickets())
    assert texts == sorted(item["content"] for item in BATCH)
    rig.drain()
    assert sorted(o.to_phone for o in rig.outbox()) == ["+8613900139001", "+8613900139002", "+8613900139003"]
    assert len(rig.aliyun.sent) == 3


def test_send_time_is_the_received_time_in_the_city_zone(rig):
    assert rig.uplink(BATCH[:1]).json["code"] == 0
    received = rig.tickets()[0].received_at
    assert received.isoformat() == "2026-11-27T00:01:00+00:00"


def test_numeric_and_string_ids_name_the_same_message(rig):
    assert rig.uplink([BATCH[0]]).json["code"] == 0
    assert rig.uplink([{**BATCH[0], "sequence_id": "101"}]).json["code"] == 0   # kept the first, logged
    assert len(rig.tickets()) == 1
