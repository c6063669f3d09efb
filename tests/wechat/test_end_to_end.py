"""WeChat's server drives a follower's whole visit; the case system sees one case, and the late parts."""
from __future__ import annotations

from tests.wechat.fake_api import JPEG
from tests.wechat.simulator import fixture, message


def test_subscribe_text_photo_location_query(rig, case_system):
    wechat, api = rig.wechat, rig.api
    api.media["PHOTO-1"] = (JPEG, "image/jpeg")
    mode = "safe"
    welcome = wechat.push(fixture("event_subscribe__qrscene"), mode)
    assert "110" in welcome.content and "查询" in welcome.content
    accepted = wechat.push(fixture("text__report"), mode)
    reference = rig.tickets()[0].reference
    assert f"您的诉求已受理，编号 {reference}" in accepted.content
    rig.drain()                                            # normalized, in a case, delivered
    photo = wechat.push(message("image", msg_id=2, created=1767225660, PicUrl="http://mmbiz.qpic.cn/x/0",
                                MediaId="PHOTO-1"), mode)
    place = wechat.push(fixture("location__pin"), mode)
    assert reference in photo.content and reference in place.content
    rig.drain()                                            # the photo is fetched, everything delivered
    status = wechat.push(fixture("text__query"), mode)
    assert reference in status.content and "已立案" in status.content

    events = case_system.accepted()
    types = [e["type"] for e in events]
    assert types.count("case.opened") == 1 and "case.report_added" not in types
    assert types[0] == "case.opened" and set(types[1:]) == {"case.updated"} and len(types) >= 3
    assert len({e["case"]["id"] for e in events}) == 1
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
    final = events[-1]["report"]
    assert final["reference"] == reference and final["citizen"].startswith("wechat:")
    assert final["location"]["crs"] == "GCJ-02"
    assert final["attachments"][0]["url"].startswith(rig.runtime.settings.public_url + "/attachments/")
    assert len(rig.tickets()) == 1
