"""`simulate dingtalk`: a robot callback as DingTalk posts it, signed with DINGTALK_APP_SECRET."""
from __future__ import annotations

import json
import time
import uuid

from channels.dingtalk.robot import sign
from config import Settings
from gateway.simulate import Outcome, SimulationError, error_text, json_body, post


def simulate_dingtalk(settings: Settings, base_url: str, text: str, sender: str | None) -> Outcome:
    """One text message from `sender` (default: a made-up DingTalk user) to the robot."""
    secret = settings.env.get("DINGTALK_APP_SECRET")
    if not secret:
        raise SimulationError("the DingTalk channel is off: set DINGTALK_APP_SECRET (in .env) and restart serve")
    body = {"msgId": f"msgsimulate{uuid.uuid4().hex[:16]}", "senderId": sender or "$:LWCP_v1:$simulated-user",
            "senderNick": "模拟用户", "conversationType": "1", "msgtype": "text", "text": {"content": text}}
    timestamp = str(int(time.time() * 1000))
    response = post(base_url + "/channels/dingtalk", data=json.dumps(body, ensure_ascii=False).encode(),
                    headers={"Content-Type": "application/json", "timestamp": timestamp,
                             "sign": sign(timestamp, secret)})
    if response.status_code != 200:
        return Outcome(response.status_code, error_text(response), False)
    return Outcome(200, json_body(response).get("text", {}).get("content", ""), True)
