"""WeChat's XML push as a plain inbound message, one small parser per message and event type.

wechatpy's `parse_message` picks the message class; the tables below say what each type means to us. A type
missing from the tables is an explicit "unknown" (answered politely by the gateway), never an exception.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable
from xml.parsers.expat import ExpatError

import wechatpy
from wechatpy.exceptions import WeChatException

from channels.errors import ChannelError
from normalizer.ticket import Location

CHANNEL = "wechat"
MAX_FIELD_CHARS = 20000


@dataclass(frozen=True)
class Media:
    media_id: str
    kind: str                  # image | voice | video | shortvideo
    content_type: str          # what WeChat serves for this kind
    url: str | None = None     # PicUrl: WeChat's own short-lived link (images only)


@dataclass
class Inbound:
    """One push from WeChat. `kind` is the message type, or `event:<name>` for events."""

    kind: str
    openid: str
    account: str
    created_at: datetime
    idem_key: str
    msg_id: str | None = None
    text: str | None = None
    media: list[Media] = field(default_factory=list)
    location: Location | None = None
    event_key: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)   # every field as WeChat sent it (strings)

    @property
    def citizen(self) -> str:
        return f"wechat:{self.openid}"

    @property
    def is_event(self) -> bool:
        return self.kind.startswith("event:")


def _text(msg, inbound: Inbound) -> None:
    inbound.text = msg.content or ""


def _image(msg, inbound: Inbound) -> None:
    inbound.media.append(Media(_required(msg.media_id, "MediaId"), "image", "image/jpeg", msg.image or None))


def _voice(msg, inbound: Inbound) -> None:
    # Recognition is WeChat's speech-to-text, present only when the account enabled it.
    inbound.text = msg.recognition or None
    fmt = (msg.format or "amr").lower()
    inbound.media.append(Media(_required(msg.media_id, "MediaId"), "voice", f"audio/{fmt}"))


def _video(msg, inbound: Inbound) -> None:
    inbound.media.append(Media(_required(msg.media_id, "MediaId"), msg.type, "video/mp4"))


def _location(msg, inbound: Inbound) -> None:
    # Location_X is the latitude and Location_Y the longitude, both GCJ-02 (WeChat's maps are Tencent's).
    inbound.location = _coordinates(msg.location_x, msg.location_y, "GCJ-02", msg.label or None)
    inbound.text = msg.label or ""


def _link(msg, inbound: Inbound) -> None:
    inbound.text = "\n".join(part for part in (msg.title, msg.description, msg.url) if part)


def _event_location(msg, inbound: Inbound) -> None:
    inbound.location = _coordinates(inbound.fields.get("Latitude"), inbound.fields.get("Longitude"), "GCJ-02",
                                    None)


def _event_key(msg, inbound: Inbound) -> None:
    key = inbound.fields.get("EventKey")
    inbound.event_key = key if isinstance(key, str) and key else None


MESSAGE_PARSERS: dict[str, Callable] = {
    "text": _text, "image": _image, "voice": _voice, "video": _video, "shortvideo": _video,
    "location": _location, "link": _link,
}
# wechatpy turns `subscribe` with a `qrscene_` key into `subscribe_scan` and strips the prefix.
EVENT_PARSERS: dict[str, Callable] = {
    "subscribe": _event_key, "subscribe_scan": _event_key, "unsubscribe": _event_key, "scan": _event_key,
    "click": _event_key, "view": _event_key, "location": _event_location,
}


def _required(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ChannelError(400, "field_missing", f"缺少字段 {name}")
    if len(value) > 512:
        raise ChannelError(400, "field_invalid", f"字段 {name} 过长")
    return value


def _coordinates(lat: Any, lng: Any, crs: str, address: str | None) -> Location | None:
    try:
        lat_f, lng_f = float(lat), float(lng)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat_f) and math.isfinite(lng_f) and -90 <= lat_f <= 90 and -180 <= lng_f <= 180):
        return None
    return Location(lat=lat_f, lng=lng_f, crs=crs, address=address)


def _check_fields(data: dict) -> None:
    for name, value in data.items():
        if not isinstance(value, (str, type(None))):
            raise ChannelError(400, "field_invalid", f"字段 {name} 应为文本")
        if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
            raise ChannelError(400, "field_too_long", f"字段 {name} 过长")


def parse_inbound(xml: str) -> Inbound:
    """The push as an Inbound, or a 400 ChannelError; `xml` has passed `security.checked_xml`."""
    try:
        msg = wechatpy.parse_message(xml)
    except (ExpatError, ValueError, KeyError, TypeError, AttributeError, WeChatException):
        raise ChannelError(400, "invalid_xml", "XML 格式错误或缺少 MsgType") from None
    if msg is None:
        raise ChannelError(400, "empty_body", "请求体为空")
    data = dict(msg._data)
    # Only some events carry nested elements (ScanCodeInfo, SendPicsInfo), and we read none of them; in a
    # message, a nested or repeated element where text belongs is malformed.
    is_event = str(data.get("MsgType") or "").lower() == "event"
    _check_fields({k: v for k, v in data.items() if not (is_event and isinstance(v, (dict, list)))})
    openid = _required(data.get("FromUserName"), "FromUserName")
    try:
        created = int(data.get("CreateTime") or "")
        created_at = datetime.fromtimestamp(created, tz=timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        raise ChannelError(400, "create_time_invalid", "CreateTime 应为 Unix 秒数") from None
    raw_type = str(data.get("MsgType") or "").lower()
    msg_id = data.get("MsgId") or data.get("MsgID")
    if raw_type == "event":
        event = str(data.get("Event") or "").lower()
        kind, parser = f"event:{event}", EVENT_PARSERS.get(event)
        # Events carry no MsgId: WeChat's own advice is to deduplicate them on FromUserName + CreateTime.
        idem_key = f"{openid}:{created}:{event}"
    else:
        kind, parser = raw_type, MESSAGE_PARSERS.get(raw_type)
        idem_key = str(msg_id) if msg_id else f"{openid}:{created}:{raw_type}"
    if parser is None:
        kind = f"unknown:{kind}"
    inbound = Inbound(kind=kind, openid=openid, account=str(data.get("ToUserName") or ""), created_at=created_at,
                      idem_key=idem_key[:300], msg_id=str(msg_id) if msg_id else None,
                      fields={k: v for k, v in data.items() if isinstance(v, str)})
    if parser is not None:
        parser(msg, inbound)
    return inbound
