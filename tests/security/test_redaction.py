"""Finding 2: no secret, token or signature reaches a log line, a stored error or an API answer."""
from __future__ import annotations

import logging

from sqlalchemy import select

from gateway.redaction import redact
from gateway.tables import outbox
from tests.durability.support import free_port
from tests.harness.gateway import CLIENT_KEY, make_gateway
from tests.wechat.conftest import wechat_api  # noqa: F401 (a fixture)

URL_TOKEN = "url-token-8f3a91c2d4e5"


def test_an_unreachable_case_system_url_token_is_in_no_stored_error_or_log_line(database_url, tmp_path, caplog):
    # A case system reached with a token in its URL, and down: requests quotes the URL in its error.
    url = f"http://127.0.0.1:{free_port()}/events?token={URL_TOKEN}"
    gw = make_gateway(database_url, tmp_path, DOWNSTREAM_URL=url,
                      profile={"delivery": {"backoff_base_seconds": 0, "backoff_max_seconds": 0}})
    caplog.set_level(logging.DEBUG)
    assert gw.post_app({"text": "汉阳区钟家村小区门口路灯坏了"}).status_code == 201
    gw.drain()
    with gw.runtime.engine.connect() as conn:
        errors = [row.last_error for row in conn.execute(select(outbox))]
    assert errors and all(errors) and "/events?token=[redacted]" in errors[0]
    assert not [e for e in errors if URL_TOKEN in e]
    assert "/events?token=" in caplog.text and URL_TOKEN not in caplog.text
    gw.runtime.engine.dispose()


def test_every_logger_is_redacted_and_configured_secrets_anywhere(sqlite_gateway, caplog):
    caplog.set_level(logging.DEBUG)
    # The gateway's own keys, wherever a library might print them, and any query string or bearer credential.
    logging.getLogger("urllib3.connectionpool").debug('"GET /cgi-bin/media/get?access_token=%s&media_id=M HTTP/1.1"',
                                                       "ACCESS-TOKEN-123456")
    logging.getLogger("some.library").warning("auth failed for %s", f"Bearer {CLIENT_KEY}")
    logging.getLogger("werkzeug").info('"POST /channels/sms/uplink?token=abcdef123456 HTTP/1.1" 200 -')
    try:
        raise RuntimeError(f"key {CLIENT_KEY} refused")
    except RuntimeError:
        logging.getLogger("gateway.test").exception("failed")
    assert "ACCESS-TOKEN-123456" not in caplog.text and "abcdef123456" not in caplog.text
    assert CLIENT_KEY not in caplog.text
    assert "media_id=[redacted]" in caplog.text and "uplink?token=[redacted]" in caplog.text


def test_redact_keeps_what_is_not_secret():
    text = "连接失败 HTTPSConnectionPool(host='api.weixin.qq.com', port=443): Max retries exceeded with url: " \
           "/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=s3cr3t (Caused by ConnectTimeout)"
    assert redact(text) == ("连接失败 HTTPSConnectionPool(host='api.weixin.qq.com', port=443): Max retries exceeded "
                            "with url: /cgi-bin/token?grant_type=[redacted]&appid=[redacted]&secret=[redacted] "
                            "(Caused by ConnectTimeout)")
    assert redact("X-Gateway-Signature: sha256=00ff, status 401") == "X-Gateway-Signature: [redacted], status 401"
    assert redact("路灯坏了？三天了 ok?") == "路灯坏了？三天了 ok?"


def test_wechat_unreachable_keeps_the_app_secret_out_of_the_log_and_the_media_row(sqlite_url, tmp_path, case_system,
                                                                                   wechat_api, caplog):
    from gateway.tables import wechat_media
    from tests.wechat.conftest import build_rig
    from tests.wechat.simulator import APP_SECRET, message

    down = f"http://127.0.0.1:{free_port()}/cgi-bin/"
    rig = build_rig(sqlite_url, tmp_path, case_system, wechat_api, profile={"wechat": {"api_base_url": down}})
    caplog.set_level(logging.DEBUG)
    rig.wechat.push(message("image", msg_id=1, PicUrl="http://mmbiz.qpic.cn/p/0", MediaId="IMG"))
    rig.drain()
    with rig.runtime.engine.connect() as conn:
        [row] = conn.execute(select(wechat_media)).all()
    assert row.status == "pending" and "/cgi-bin/token?" in row.last_error
    assert APP_SECRET not in row.last_error and "secret=[redacted]" in row.last_error
    assert "secret=[redacted]" in caplog.text and APP_SECRET not in caplog.text
    rig.runtime.engine.dispose()
