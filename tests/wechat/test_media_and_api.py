"""Media copied into the attachment store by a job, the shared access token, and customer-service messages."""
from __future__ import annotations

from sqlalchemy import select

from gateway.jobs import JOB_FUNCTIONS
from gateway.tables import wechat_media
from gateway.wechat.client import DatabaseStorage, make_client, send_text
from gateway.wechat.media import pending_media_work
from tests.wechat.fake_api import AMR, JPEG, MP4
from tests.wechat.simulator import OPENID, message


def media_rows(rig):
    with rig.runtime.engine.connect() as conn:
        return conn.execute(select(wechat_media).order_by(wechat_media.c.id)).all()


def test_photo_voice_and_video_are_stored_and_relinked(rig):
    api = rig.api
    api.media.update({"IMG": (JPEG, "image/jpeg"), "VOC": (AMR, "audio/amr"), "VID": (MP4, "video/mp4")})
    api.videos.add("VID")
    rig.wechat.push(message("image", msg_id=1, PicUrl="http://mmbiz.qpic.cn/p/0", MediaId="IMG"))
    rig.wechat.push(message("voice", msg_id=2, MediaId="VOC", Format="amr"))
    rig.wechat.push(message("video", msg_id=3, MediaId="VID", ThumbMediaId="T"))
    assert api.media_requests == 0          # nothing fetched while WeChat waits for the reply
    rig.drain()
    attachments = rig.tickets()[0].data["attachments"]
    assert [a["content_type"] for a in attachments] == ["image/jpeg", "audio/amr", "video/mp4"]
    for item, content in zip(attachments, (JPEG, AMR, MP4)):
        assert item["url"].startswith(f"{rig.runtime.settings.public_url}/attachments/")
        token = item["url"].rsplit("/", 1)[1]
        assert rig.gw.client.get(f"/attachments/{token}").data == content
    assert [r.status for r in media_rows(rig)] == ["done"] * 3
    assert api.token_requests == 1


def test_expired_media_fails_for_good_and_a_busy_api_is_retried(rig):
    rig.api.fail_media = [502]
    rig.api.media["IMG"] = (JPEG, "image/jpeg")
    rig.wechat.push(message("image", msg_id=1, PicUrl="http://x/0", MediaId="IMG"))
    rig.wechat.push(message("image", msg_id=2, PicUrl="http://x/1", MediaId="GONE"))
    rig.drain()
    rows = {r.media_id: r for r in media_rows(rig)}
    assert rows["GONE"].status == "failed" and "40007" in rows["GONE"].last_error
    assert rows["IMG"].status == "pending" and rows["IMG"].attempts == 1
    rig.clock.advance(120)
    for job, arg, _ in pending_media_work(rig.runtime):
        JOB_FUNCTIONS[job](arg, runtime=rig.runtime)
    assert {r.media_id: r.status for r in media_rows(rig)} == {"IMG": "done", "GONE": "failed"}


def test_the_access_token_is_shared_by_every_worker_and_refreshed_when_revoked(rig):
    first, second = make_client(rig.runtime), make_client(rig.runtime)
    assert isinstance(first.session, DatabaseStorage)
    assert first.access_token == second.access_token and rig.api.token_requests == 1
    rig.api.tokens.clear()                   # WeChat revoked it (another token was issued elsewhere)
    send_text(rig.runtime, OPENID, "您的诉求已办结")
    assert rig.api.token_requests == 2 and rig.api.sent[-1] == {
        "touser": OPENID, "msgtype": "text", "text": {"content": "您的诉求已办结"}}


def test_customer_service_message_is_sent_through_the_api(sqlite_rig):
    result = send_text(sqlite_rig.runtime, OPENID, "您好，您反映的路灯问题已派单至汉阳区城管局。")
    assert result["errcode"] == 0
    assert sqlite_rig.api.sent == [{"touser": OPENID, "msgtype": "text",
                                    "text": {"content": "您好，您反映的路灯问题已派单至汉阳区城管局。"}}]
