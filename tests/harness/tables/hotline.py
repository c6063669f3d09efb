"""The 12345 hotline's calls as the call-center system (a client key) or the console (an operator key) posts them."""
from __future__ import annotations

import json

from tests.harness.fixture_table import MISSING, Answer, ChannelTable, Row, ticket
from tests.harness.gateway import CLIENT_KEY, OPERATOR_KEY, SUPERVISOR_KEY

OPERATOR = {"Authorization": f"Bearer {OPERATOR_KEY}"}
SUPERVISOR = {"Authorization": f"Bearer {SUPERVISOR_KEY}"}


def send_call(client, raw: bytes, row: Row) -> Answer:
    """POST /channels/hotline with the call-center system's key (or the row's own key)."""
    headers = {"Authorization": f"Bearer {CLIENT_KEY}", "Content-Type": "application/json", **row.headers}
    response = client.post("/channels/hotline", data=raw,
                           headers={k: v for k, v in headers.items() if v is not None})
    return Answer(response.status_code, json.dumps(response.json, ensure_ascii=False))


TABLE = ChannelTable("hotline", send_call, not_rows=frozenset({
    # Keyed-in calls as CSV files go through `python -m gateway import hotline` (tests/hotline/test_import.py).
    "import__broken_rows.csv", "import__gbk.csv", "import__good_utf8.csv", "import__missing_columns.csv",
    "import__no_text_column.csv", "import__unknown_column.csv"}), rows=(
    Row("call__transcript_turns.json", 201, (ticket(
        text="话务员：您好，12345热线，请讲。\n市民：你好，汉阳区钟家村小区门口的路灯坏了三天了，晚上很黑。\n"
             "话务员：好的，已为您登记。",
        channel="hotline", external_id="CTI-20240503-091500-0017", citizen=None,
        contact__phone="138 0013 8000", location__address="汉阳区钟家村小区南门",
        category="城乡建设/市政设施/路灯", urgent=False, extra__agent_id="A1024",
        extra__call_id="CTI-20240503-091500-0017", extra__entered_by="app",
        extra__summary=MISSING, extra__attach_to_case=MISSING),), '"emergency": false', repeat_status=200),
    Row("call__summary_and_text.json", 201, (ticket(
        text="青山区和平大道某工地夜间施工扰民（至凌晨2点），请核查处理 <b>&amp;</b>",
        extra__summary="青山区和平大道某工地夜间施工扰民（至凌晨2点），请核查处理 <b>&amp;</b>",
        extra__transcript="市民反映青山区和平大道工地每天施工到凌晨两点，噪音很大，影响休息。",
        extra__turns=MISSING, contact__phone="+86 139 0000 1111", extra__entered_by="ops",
        extra__started_at="2024-05-03 10:12:00"),), '"emergency": false', headers=OPERATOR, repeat_status=200),
    Row("call__summary_only.json", 201, (ticket(
        text="江夏区纸坊街道文化路菜市场旁垃圾桶满溢，无人清运", contact=None, location=None,
        extra__transcript=MISSING, extra__agent_id=MISSING),), "来电诉求已登记", repeat_status=200),
    Row("call__urgent_flag.json", 201, (ticket(urgent=True, contact__phone="027-8888 6666"),),
        '"emergency": false', repeat_status=200),
    Row("call__emergency_words.json", 201, (ticket(urgent=True, text="市民：楼下着火了，冒了好大的烟！"),),
        '"emergency": true', repeat_status=200),
    Row("call__speaker_unknown.json", 201, (ticket(text="spk_0：喂？\n市民：洪山区光谷大道井盖缺失"),),
        "来电诉求已登记", headers=SUPERVISOR, repeat_status=200),
))
