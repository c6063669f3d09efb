"""A WeChat server simulator drives a whole visit against `python -m gateway serve` (a real process, over HTTP,
in safe mode): subscribe → text → photo → location → query. The case system sees one case.opened and the late
parts as case.updated; the photo is fetched from WeChat's (fake) media API into the attachment store."""
from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import select

from gateway.tables import tickets
from tests.durability.support import FAST_PROFILE, process_environ, wait_for, write_profile
from tests.wechat.fake_api import JPEG, FakeWeChatAPI
from tests.wechat.simulator import AES_KEY, APP_ID, APP_SECRET, TOKEN, Clock, WeChatServer, fixture, message

pytestmark = pytest.mark.durability


class HttpClient:
    """The slice of Flask's test client the simulator uses, over real HTTP."""

    def __init__(self, base_url: str):
        self.base_url = base_url

    def post(self, path, query_string=None, data=None, headers=None):
        response = requests.post(self.base_url + path, params=query_string, data=data, headers=headers, timeout=5)
        response.data = response.content  # what the simulator reads
        return response


def test_a_follower_visit_against_a_real_server(tmp_path, case_system, engine_for, procs):
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    with FakeWeChatAPI(APP_ID, APP_SECRET) as api:
        api.media["PHOTO-1"] = (JPEG, "image/jpeg")
        profile = write_profile(tmp_path, FAST_PROFILE + f'\n[wechat]\napi_base_url = "{api.url}"\n')
        env = process_environ(url, tmp_path, profile, DOWNSTREAM_URL=case_system.url, WECHAT_TOKEN=TOKEN,
                              WECHAT_APP_ID=APP_ID, WECHAT_APP_SECRET=APP_SECRET, WECHAT_ENCODING_AES_KEY=AES_KEY)
        server = procs.serve(env)
        wechat = WeChatServer(HttpClient(server.base_url), Clock())

        welcome = wechat.push(fixture("event_subscribe__qrscene"), "safe")
        assert "110" in welcome.content
        accepted = wechat.push(fixture("text__report"), "safe")
        assert "您的诉求已受理，编号" in accepted.content
        reference = re.search(r"[0-9A-Z]{5}-[0-9A-Z]{5}", accepted.content).group()
        wait_for(lambda: any(e["type"] == "case.opened" for e in case_system.accepted()), 30, "case.opened")
        created = int(wechat.clock().timestamp())
        photo = wechat.push(message("image", msg_id=2, created=created, PicUrl="http://mmbiz.qpic.cn/x/0",
                                    MediaId="PHOTO-1"), "safe")
        place = wechat.push(fixture("location__pin"), "safe")
        assert reference in photo.content and reference in place.content
        query = wechat.push(fixture("text__query"), "safe")
        assert reference in query.content
        engine = engine_for(url)

        def photo_stored():
            with engine.connect() as conn:
                data = conn.execute(select(tickets.c.data)).scalar_one()
            return any("/attachments/" in (a.get("url") or "") for a in data["attachments"])

        wait_for(photo_stored, 30, "the photo fetched into the attachment store")
        wait_for(lambda: sum(e["type"] == "case.updated" for e in case_system.accepted()) >= 2, 30,
                 "the photo and the location reaching the case system")
    types = [e["type"] for e in case_system.accepted()]
    assert types.count("case.opened") == 1 and "case.report_added" not in types
    assert len({e["case"]["id"] for e in case_system.accepted()}) == 1
    with engine.connect() as conn:
        assert conn.execute(select(tickets.c.reference)).scalars().all() == [reference]
