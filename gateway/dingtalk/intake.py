"""What the gateway does with each robot message: 查询 answers from the shared chat code, anything else a report.

Reports go through the shared conversation assembly (`gateway.conversation`): messages from one sender within the
window are one report, and DingTalk's retry of a `msgId` gets the first reply and stores nothing new.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta

from channels.chat.intents import classify_text
from channels.chat.texts import with_overrides
from channels.dingtalk.robot import CHANNEL, RobotMessage
from channels.dingtalk.texts import DEFAULTS
from gateway.chat.emergency import emergency_advice
from gateway.chat.own_reports import own_reports_reply
from gateway.conversation import Part, Stored, close_conversation, store_reply, submit_part
from gateway.runtime import Runtime
from normalizer.ticket import new_ticket


def channel_texts(runtime: Runtime) -> dict[str, str]:
    """The robot's texts with the profile's [dingtalk.texts] overrides."""
    return with_overrides(DEFAULTS, runtime.settings.section(CHANNEL).get("texts", {}))


def handle_message(runtime: Runtime, message: RobotMessage, raw: bytes) -> Stored:
    """Store the message once; the stored answer's `reply` is what the robot says back."""
    profile = runtime.settings.section(CHANNEL)
    texts = channel_texts(runtime)
    digest = hashlib.sha256(raw).hexdigest()

    def replied(text: str) -> Stored:
        return store_reply(runtime, channel=CHANNEL, idem_key=message.msg_id, digest=digest, raw=raw,
                           effect=lambda conn, later: {"reply": text})

    if message.kind != "text" or not message.text:
        return replied(texts["unsupported"])
    intent = classify_text(message.text, query_keywords=profile.get("query_keywords", ("查询", "查进度")),
                           new_report_keywords=profile.get("new_report_keywords", ("新诉求", "新问题")))
    if intent.name == "query":
        return store_reply(runtime, channel=CHANNEL, idem_key=message.msg_id, digest=digest, raw=raw,
                           effect=lambda conn, later: {"reply": own_reports_reply(
                               conn, runtime, message.citizen, texts, 3, intent.reference)})
    if intent.name == "new_report" and not intent.text:
        def start_fresh(conn, later) -> dict:
            close_conversation(conn, CHANNEL, message.citizen, runtime.clock())
            return {"reply": texts["report_prompt"]}
        return store_reply(runtime, channel=CHANNEL, idem_key=message.msg_id, digest=digest, raw=raw,
                           effect=start_fresh)
    text = intent.text if intent.name == "new_report" else message.text
    advice = emergency_advice(runtime, text)

    def make_ticket(conn):
        return new_ticket(channel=CHANNEL, external_id=message.msg_id, text=text, received_at=runtime.clock(),
                          citizen=message.citizen, urgent=bool(advice), extra={CHANNEL: dict(message.fields)})

    def answer(name: str):
        return lambda reference: {"reference": reference,
                                  "reply": f"{advice}{texts[name].format(reference=reference)}"}

    return submit_part(runtime, channel=CHANNEL, citizen=message.citizen, idem_key=message.msg_id, digest=digest,
                       raw=raw, part=Part(text=text, extra={"msg_id": message.msg_id}), make_ticket=make_ticket,
                       window=timedelta(minutes=float(profile.get("conversation_window_minutes", 10))),
                       force_new=intent.name == "new_report", answer_opened=answer("accepted"),
                       answer_joined=answer("joined"))
