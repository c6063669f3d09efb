"""The WeChat official-account channel: verify WeChat's signatures, open safe-mode envelopes, parse the XML
push into a plain inbound message, classify citizen text and render passive replies. Pure functions only."""
from channels.wechat.inbound import Inbound, Media, parse_inbound
from channels.wechat.replies import empty_reply, seal_reply, text_reply
from channels.wechat.security import Credentials, check_url, open_request

__all__ = ["Credentials", "Inbound", "Media", "check_url", "empty_reply", "open_request", "parse_inbound",
           "seal_reply", "text_reply"]
