"""What the chat channels (WeChat, SMS) share: reading a citizen's text (`intents`) and the texts every chat channel
says alike (`texts`). Pure functions only."""
