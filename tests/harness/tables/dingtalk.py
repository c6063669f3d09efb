"""DingTalk robot callbacks as DingTalk sends them: JSON, signed in the `timestamp` and `sign` headers."""
from __future__ import annotations

import json

from channels.dingtalk.robot import sign
from tests.harness.fixture_table import FROZEN, Answer, ChannelTable, Row, ticket

SECRET = "dingtalk-app-secret-5f1c9e2a7b"
SENDER = "dingtalk:$:LWCP_v1:$Ff09GIqwe7Y3kLmN2xVb8A=="


def send_callback(client, raw: bytes, row: Row) -> Answer:
    """POST the fixture signed at the frozen time (mode "stale": signed two hours earlier)."""
    sent_at = FROZEN.timestamp() - (7200 if row.mode == "stale" else 0)
    timestamp = str(int(sent_at * 1000))
    headers = {"Content-Type": "application/json", "timestamp": timestamp, "sign": sign(timestamp, SECRET),
               **row.headers}
    response = client.post("/channels/dingtalk", data=raw, headers={k: v for k, v in headers.items() if v})
    body = response.json
    # The robot's reply is what the citizen reads; an error is read by whoever set the robot up.
    text = body["text"]["content"] if response.status_code == 200 else json.dumps(body, ensure_ascii=False)
    return Answer(response.status_code, text)


TABLE = ChannelTable("dingtalk", send_callback, env={"DINGTALK_APP_SECRET": SECRET}, rows=(
    Row("text__report.json", tickets=(ticket(channel="dingtalk", citizen=SENDER, urgent=False,
                                             text="汉阳区钟家村小区3栋门口路灯坏了三天，晚上很黑",
                                             external_id="msgENHLyU7ZVWTcq7nyyMM4Wq1==",
                                             extra__dingtalk__senderNick="张三"),), reply="您的诉求已受理，编号"),
    Row("text__report.json", 401, reply="signature_invalid", headers={"sign": "bm90IGRpbmd0YWxrJ3M="}),
    Row("text__report.json", 401, reply="signature_expired", mode="stale"),
    Row("text__query.json", reply="您还没有通过钉钉提交过诉求"),
    Row("text__emergency.json", tickets=(ticket(urgent=True),), reply="119"),
    Row("picture__photo.json", reply="暂只支持文字消息"),
    Row("text__no_sender.json", 422, reply="senderId"),
))
