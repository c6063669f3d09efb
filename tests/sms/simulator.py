"""Twilio's side of the webhook for tests: builds the form Twilio posts, signs it with twilio's own
RequestValidator over the URL Twilio was given, posts the exact bytes and reads the TwiML answer."""
from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from twilio.request_validator import RequestValidator

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sms"
AUTH_TOKEN = "twilio-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "5ef8732a3c49700934481addd5ce1659"[:32]
CITY_NUMBER = "+14155550100"
CALLER = "+8613800138000"
PUBLIC_URL = "https://sms.wuhan12345.example.cn:8443"
PATH = "/channels/sms/twilio"
_sids = itertools.count(1)


def new_sid(prefix: str = "SM") -> str:
    return f"{prefix}{next(_sids):032x}"


def fixture_pairs(name: str) -> list[tuple[str, str]]:
    """A fixture: the body Twilio posted, byte for byte (form-encoded, one line)."""
    return parse_qsl((FIXTURES / f"{name}.form").read_text(encoding="ascii").strip(), keep_blank_values=True)


def form(body: str | None, sender: str | None = CALLER, sid: str | None = None, media=(),
         **extra: str) -> list[tuple[str, str]]:
    """An inbound message in Twilio's field order and naming (SMS, or MMS when `media` is given)."""
    sid = sid or new_sid("MM" if media else "SM")
    pairs = [("ToCountry", "US"), ("ToState", "CA"), ("SmsMessageSid", sid), ("NumMedia", str(len(media))),
             ("ToCity", "SAN FRANCISCO"), ("FromZip", ""), ("SmsSid", sid), ("FromState", ""),
             ("SmsStatus", "received"), ("FromCity", ""), ("Body", body), ("FromCountry", "CN"),
             ("To", CITY_NUMBER), ("ToZip", "94105"), ("NumSegments", "1"), ("MessageSid", sid),
             ("AccountSid", ACCOUNT_SID), ("From", sender), ("ApiVersion", "2010-04-01")]
    for n, (url, content_type) in enumerate(media):
        pairs += [(f"MediaContentType{n}", content_type), (f"MediaUrl{n}", url)]
    pairs += list(extra.items())
    return [(k, v) for k, v in pairs if v is not None]


def sign(url: str, pairs: list[tuple[str, str]], token: str = AUTH_TOKEN) -> str:
    params: dict[str, list[str]] = {}
    for key, value in pairs:
        params.setdefault(key, []).append(value)

    class Multi(dict):
        def getall(self, name):
            return self[name]
    return RequestValidator(token).compute_signature(url, Multi(params))


@dataclass
class Reply:
    status: int
    body: str
    message: str | None      # the text of the <Message>, if any

    @property
    def reference(self) -> str | None:
        import re
        found = re.search(r"编号 ([0-9A-Z-]{8,16})", self.message or "")
        return found.group(1) if found else None


class TwilioSimulator:
    """Posts to the gateway as Twilio does, with the signature over `public_url` + path (+ query)."""

    def __init__(self, client, public_url: str = PUBLIC_URL, token: str = AUTH_TOKEN):
        self.client, self.public_url, self.token = client, public_url, token

    def post(self, pairs, *, query: str = "", signature: str | None = "auto", signed_url: str | None = None,
             raw: bytes | None = None, headers: dict | None = None) -> Reply:
        url = signed_url or f"{self.public_url}{PATH}" + (f"?{query}" if query else "")
        hdrs = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature == "auto":
            hdrs["X-Twilio-Signature"] = sign(url, pairs, self.token)
        elif signature is not None:
            hdrs["X-Twilio-Signature"] = signature
        hdrs.update(headers or {})
        data = raw if raw is not None else urlencode(pairs).encode("ascii")
        response = self.client.post(PATH + (f"?{query}" if query else ""), data=data, headers=hdrs)
        return self.read(response)

    def text(self, body: str, sender: str = CALLER, **kw) -> Reply:
        return self.post(form(body, sender, **kw))

    @staticmethod
    def read(response) -> Reply:
        body = response.get_data(as_text=True)
        assert response.mimetype == "application/xml", body
        root = ET.fromstring(body)
        assert root.tag == "Response"
        messages = [m.text for m in root.findall("Message")]
        return Reply(response.status_code, body, messages[0] if messages else None)
