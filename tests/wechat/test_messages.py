"""Every message and event type, from a real-format fixture, in plain and in safe mode, through one harness."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select

from gateway.tables import submissions, wechat_users
from gateway.wechat.intake import HANDLERS
from tests.wechat.simulator import FIXTURES, OPENID, fixture


@dataclass
class Expect:
    reply: str | None                 # a substring of the text reply; None: the empty "success"
    ticket: dict | None = None        # fields of the one ticket the push must create; None: no ticket
    media: int = 0                    # media queued for download
    check: dict = field(default_factory=dict)  # extra checks by name


REPORT = "您的诉求已受理，编号"
CASES = {
    "text__report": Expect(REPORT, {"text": "汉阳区钟家村小区3栋门口路灯坏了三天，晚上很黑，老人容易摔倒"}),
    "text__emergency": Expect("119", {"text": "楼下餐馆着火了，浓烟很大，武昌区中山路88号"}),
    "text__cdata_breaker": Expect(REPORT, {"text": "路边井盖丢了]]>注意<b>&amp;危险</b>"}),
    "text__query": Expect("您还没有通过本公众号提交过诉求"),
    "text__query_reference": Expect("没有找到您提交的编号为 K7QM4-XP2HD 的诉求"),
    "text__new_report_keyword": Expect("请直接发送您要反映的问题"),
    "image__photo": Expect(REPORT, {"text": "", "attachments": [
        {"id": "wechat-media:MEDIA_IMAGE_1_l3Ue9cR_hZPGvPjxYvk8",
         "url": "http://mmbiz.qpic.cn/mmbiz_jpg/Qx5fJ1lAhh7Vq1/0", "content_type": "image/jpeg"}]}, media=1),
    "voice__recognized": Expect(REPORT, {"text": "江岸区后湖大道工地晚上十二点还在施工，噪音太大", "attachments": [
        {"id": "wechat-media:MEDIA_VOICE_1_Xq0rTgLxW2Y0dVbP4m", "url": None, "content_type": "audio/amr"}]},
        media=1),
    "voice__unrecognized": Expect(REPORT, {"text": ""}, media=1),
    "video__clip": Expect(REPORT, {"text": ""}, media=1),
    "shortvideo__clip": Expect(REPORT, {"text": ""}, media=1),
    "location__pin": Expect(REPORT, {"text": "湖北省武汉市汉阳区钟家村", "location": {
        "lat": 30.549236, "lng": 114.264152, "crs": "GCJ-02", "address": "湖北省武汉市汉阳区钟家村"}},
        check={"extra_fields": {"Location_X": "30.549236", "Location_Y": "114.264152", "Scale": "16"}}),
    "link__article": Expect(REPORT, {"text": "小区违建曝光\n业主在楼顶加盖阳光房\nhttps://mp.weixin.qq.com/s/Xy7dPq2Lw9"}),
    "file__document": Expect("暂不支持这种消息类型"),
    "event_subscribe__plain": Expect("110", check={"user": {"subscribed": True, "scene": None}}),
    "event_subscribe__qrscene": Expect("查询", check={"user": {"subscribed": True,
                                                              "scene": "hanyang_street_poster"}}),
    "event_scan__subscribed": Expect("欢迎关注"),
    "event_unsubscribe__basic": Expect(None, check={"user": {"subscribed": False}}),
    "event_click__report": Expect("请直接发送您要反映的问题"),
    "event_click__query": Expect("您还没有通过本公众号提交过诉求"),
    "event_click__rate": Expect("您暂时没有待评价的诉求"),
    "event_click__unknown_key": Expect("欢迎关注"),
    "event_location__report": Expect(None, check={"user": {"last_lat": 30.592849, "last_lng": 114.305539,
                                                           "last_crs": "GCJ-02"}}),
    "event_view__menu_link": Expect(None),
    "event_templatesendjobfinish__success": Expect(None),
}


def test_every_fixture_has_a_case_and_every_handler_a_fixture():
    names = {p.stem for p in FIXTURES.glob("*.xml")}
    assert names == set(CASES)
    covered = {name.split("__")[0].replace("event_", "event:") for name in names}
    undeclared = {kind for kind in HANDLERS if kind not in covered and kind != "event:subscribe_scan"}
    assert undeclared == set(), f"handlers without a fixture: {undeclared}"


@pytest.mark.parametrize("mode", ["plain", "safe"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture(sqlite_rig, name, mode):
    expect = CASES[name]
    reply = sqlite_rig.wechat.push(fixture(name), mode)
    assert reply.status == 200, reply.body
    if expect.reply is None:
        assert reply.body == b"success"
    else:
        assert expect.reply in reply.content
        assert reply.fields["ToUserName"] == OPENID and reply.fields["MsgType"] == "text"
    stored = sqlite_rig.tickets()
    if expect.ticket is None:
        assert stored == []
    else:
        assert len(stored) == 1
        row = stored[0]
        assert row.citizen == f"wechat:{OPENID}" and row.channel == "wechat"
        assert row.reference in reply.content
        for key, value in expect.ticket.items():
            assert row.data[key] == value, key
    from gateway.tables import wechat_media
    with sqlite_rig.runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(wechat_media)).scalar() == expect.media
        assert conn.execute(select(func.count()).select_from(submissions)).scalar() == 1
        user = conn.execute(select(wechat_users)).first()
    if "user" in expect.check:
        assert {k: getattr(user, k) for k in expect.check["user"]} == expect.check["user"]
    if "extra_fields" in expect.check:
        fields = stored[0].data["extra"]["wechat"]["fields"]
        assert {k: fields[k] for k in expect.check["extra_fields"]} == expect.check["extra_fields"]
    # WeChat retries a push it got no answer to: the same reply, nothing new.
    again = sqlite_rig.wechat.push(fixture(name), mode)
    assert again.status == 200 and again.content == reply.content
    assert len(sqlite_rig.tickets()) == len(stored)
