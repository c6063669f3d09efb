"""Chat logic the conversational channels (WeChat, SMS) share: ratings and a citizen's own reports (查询)."""
