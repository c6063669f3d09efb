"""Every channel's fixture table; a new channel adds its table here."""
from tests.harness.tables import dingtalk, hotline, json_reports, sms, wechat

TABLES = (json_reports.APP, json_reports.WEBHOOK, hotline.TABLE, wechat.TABLE, sms.TABLE, dingtalk.TABLE)
