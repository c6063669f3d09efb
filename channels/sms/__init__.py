"""The SMS channels: Twilio's webhook (form + X-Twilio-Signature, TwiML replies) and a domestic provider's uplink
push (Aliyun SmsUp's JSON batches). Both parse into one `SmsMessage`; pure functions only."""
from channels.sms.message import MediaItem, SmsMessage

__all__ = ["MediaItem", "SmsMessage"]
