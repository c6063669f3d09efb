"""DingTalk's outgoing robot (企业内部机器人): the worked example of docs/adding-a-channel.md. Pure functions only."""
