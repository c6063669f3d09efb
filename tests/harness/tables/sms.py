"""Texts as Twilio posts them (a signed form, TwiML back) and as Aliyun's uplink pushes them (a JSON batch)."""
from __future__ import annotations

import json
from urllib.parse import parse_qsl

from tests.harness.fixture_table import Answer, ChannelTable, Row, ticket
from tests.sms.simulator import ACCOUNT_SID, AUTH_TOKEN, CALLER, CITY_NUMBER, PUBLIC_URL, TwilioSimulator

UPLINK_TOKEN = "uplink-token-9f2c41d7"
ACCEPTED = "您的诉求已受理，编号"
STORED = '{"code": 0, "msg": "成功"}'


def send_text(client, raw: bytes, row: Row) -> Answer:
    """A `.form` fixture as Twilio posts it (signed over the public URL); a `.json` batch as the uplink pushes it."""
    if row.fixture.endswith(".form"):
        pairs = parse_qsl(raw.decode("ascii").strip(), keep_blank_values=True)
        reply = TwilioSimulator(client, PUBLIC_URL).post(pairs, raw=raw.strip())
        return Answer(reply.status, reply.message if reply.message is not None else reply.body)
    response = client.post("/channels/sms/uplink", query_string={"token": UPLINK_TOKEN}, data=raw,
                           headers={"Content-Type": "application/json"})
    return Answer(response.status_code, json.dumps(response.json, ensure_ascii=False))


def _text(text: str, citizen: str = f"phone:{CALLER}", **fields) -> dict:
    return ticket(channel="sms", text=text, citizen=citizen, **fields)


ROWS = (
    Row("sms__report.form", tickets=(_text("汉阳区钟家村小区3栋门口路灯坏了三天，晚上很黑", source="twilio",
                                           contact={"name": None, "phone": CALLER, "user_id": None}),),
        reply=ACCEPTED),
    Row("sms__emoji_mixed_scripts.form", tickets=(_text("🚧 Road blocked 武昌区中山路 construction déchets 😡 ゴミ"),),
        reply=ACCEPTED),
    Row("sms__emergency.form", tickets=(_text("楼下餐馆着火了，浓烟很大，武昌区中山路88号", urgent=True),), reply="119"),
    Row("sms__query_keyword.form", reply="您还没有用本手机号码提交过诉求"),
    Row("sms__query_cx_reference.form", reply="没有找到本手机号码提交的编号为 K7QM4XP2HD 的诉求"),
    Row("sms__query_fullwidth_cx.form", reply="您还没有用本手机号码提交过诉求"),
    Row("sms__rating_nothing_to_rate.form", reply="您暂时没有待评价的诉求"),
    Row("sms__new_report_keyword.form", reply="请直接回复您要反映的问题"),
    Row("sms__empty_body.form", reply="请用文字说明时间、地点和具体情况"),
    Row("sms__landline_sender.form", tickets=(_text("小区垃圾三天没人清运", citizen="phone:+862788886666", contact={
        "name": None, "phone": "+862788886666", "user_id": None}),), reply=ACCEPTED),
    # Texts from service numbers (banks, short codes) are not citizens' reports: no ticket and no answer.
    Row("sms__service_sender.form", reply="<Response />"),
    Row("sms__short_code_bank.form", reply="<Response />"),
    Row("sms__unparseable_sender.form", tickets=(_text("路灯坏了", citizen="phone-raw:+86138001"),), reply=ACCEPTED),
    Row("mms__photo.form", tickets=(_text("", attachments=[{
        "id": None, "content_type": "image/jpeg",
        "url": "https://api.twilio.com/2010-04-01/Accounts/AC5ef8732a3c49700934481addd5ce1659/Messages/MM1/Media/ME1"}]),),
        reply=ACCEPTED),
    Row("mms__photos_with_text.form", tickets=(_text("井盖丢了，见照片"),), reply=ACCEPTED),
    # The uplink answers the provider, not the citizen: the replies go out as texts through the outbox.
    Row("uplink__single.json", tickets=(_text("江岸区后湖大道工地晚上十二点还在施工，噪音太大", source="aliyun",
                                             citizen="phone:+8613900139000"),), reply=STORED, names_reference=False),
    Row("uplink__batch_string_ids.json", tickets=(_text("洪山区光谷大道路面塌陷", citizen="phone:+8613900139001"),
                                                  _text("武昌区积玉桥小区停水两天了", citizen="phone:+8613900139003")),
        reply=STORED, names_reference=False),
    Row("uplink__query_cx.json", reply=STORED),
)

TABLE = ChannelTable("sms", send_text, ROWS, env={
    "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_FROM_NUMBER": CITY_NUMBER,
    "GATEWAY_SMS_UPLINK_TOKEN": UPLINK_TOKEN, "GATEWAY_PUBLIC_URL": PUBLIC_URL})
