"""The mobile app's and partner platforms' JSON reports: Bearer key + Idempotency-Key, or a signed body."""
from __future__ import annotations

import json

from channels.signing import signed_headers
from tests.harness.fixture_table import FROZEN, MISSING, Answer, ChannelTable, Row, ticket
from tests.harness.gateway import CLIENT_KEY, PARTNER_SECRET

ACCEPTED = "您的诉求已受理，编号"


def _json_answer(response) -> Answer:
    return Answer(response.status_code, json.dumps(response.json, ensure_ascii=False))


def send_app(client, raw: bytes, row: Row) -> Answer:
    """POST /channels/app as the app does: its client key, and the fixture's name as the Idempotency-Key."""
    headers = {"Authorization": f"Bearer {CLIENT_KEY}", "Content-Type": "application/json",
               "Idempotency-Key": f"fixture-{row.fixture}"}
    headers.update(row.headers)
    response = client.post("/channels/app", data=raw, headers={k: v for k, v in headers.items() if v is not None})
    return _json_answer(response)


def send_webhook(client, raw: bytes, row: Row) -> Answer:
    """POST /channels/webhook/110 signed with the partner's secret at the frozen time."""
    headers = {**signed_headers(PARTNER_SECRET, f"evt-{row.fixture}", raw, FROZEN.timestamp()),
               "Content-Type": "application/json"}
    headers.update(row.headers)
    response = client.post("/channels/webhook/110", data=raw,
                           headers={k: v for k, v in headers.items() if v is not None})
    return _json_answer(response)


APP = ChannelTable("app", send_app, rows=(
    Row("report__text_only.json", 201, (ticket(text="武昌区积玉桥小区2栋楼道灯坏了一个星期", channel="app",
                                               external_id="app:fixture-report__text_only.json", citizen=None,
                                               urgent=False),), ACCEPTED, repeat_status=200),
    Row("report__full.json", 201, (ticket(
        title="路面塌陷", category="城乡建设/市政设施/道路", citizen="app:u-8812", contact__phone="13900139000",
        location__lat=30.50562, location__crs="GCJ-02", location__address="洪山区光谷大道关山大道口",
        attachments=[{"id": None, "url": "https://img.example-app.cn/u/8812/a1.jpg",
                      "content_type": "image/jpeg"}]),), ACCEPTED, repeat_status=200),
    # 12345 is no substitute for 110/119/120: the answer says so at once, and the ticket is urgent.
    Row("report__emergency.json", 201, (ticket(urgent=True, citizen="app:u-3301"),), "119", repeat_status=200),
    Row("report__blank_text.json", 422, (), "诉求内容不能为空"),
    Row("report__bad_coordinates.json", 422, (), "纬度应在 -90 到 90 之间"),
))

WEBHOOK = ChannelTable("webhook", send_webhook, rows=(
    Row("report__petition.json", 201, (ticket(
        channel="webhook", source="110", external_id="110:evt-report__petition.json", citizen="110:P-2026-118834",
        received_at="2026-11-27T21:14:00+08:00", contact__phone="027-8765 4321"),), ACCEPTED, repeat_status=200),
    # A time without a zone is the city's local time (Asia/Shanghai in the test profile).
    Row("report__police_transfer.json", 201, (ticket(
        title="110 转办：噪音扰民", received_at="2026-11-27T23:05:00+08:00", location__address="江岸区后湖大道",
        location__lat=None, citizen=None),), ACCEPTED, repeat_status=200),
    Row("report__received_at_not_a_time.json", 422, (), "应为 ISO 8601 时间"),
))
