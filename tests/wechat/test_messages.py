"""What the shared fixture table (tests/harness/tables/wechat.py: status, reply, ticket, retry, plain and safe mode)
cannot say of WeChat's pushes: the media queued for download, the follower's row, WeChat's own fields kept in the
ticket, and a fixture for every handler."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select

from gateway.tables import submissions, wechat_media, wechat_users
from gateway.wechat.intake import HANDLERS
from tests.wechat.simulator import FIXTURES, fixture


@dataclass
class SideEffects:
    media: int = 0                                      # media queued for download
    user: dict = field(default_factory=dict)            # the follower's row after the push
    extra_fields: dict = field(default_factory=dict)    # WeChat's fields kept in the ticket's extra


EFFECTS = {
    "image__photo": SideEffects(media=1),
    "voice__recognized": SideEffects(media=1),
    "voice__unrecognized": SideEffects(media=1),
    "video__clip": SideEffects(media=1),
    "shortvideo__clip": SideEffects(media=1),
    "location__pin": SideEffects(extra_fields={"Location_X": "30.549236", "Location_Y": "114.264152", "Scale": "16"}),
    "event_subscribe__plain": SideEffects(user={"subscribed": True, "scene": None}),
    "event_subscribe__qrscene": SideEffects(user={"subscribed": True, "scene": "hanyang_street_poster"}),
    "event_unsubscribe__basic": SideEffects(user={"subscribed": False}),
    "event_location__report": SideEffects(user={"last_lat": 30.592849, "last_lng": 114.305539, "last_crs": "GCJ-02"}),
}
NAMES = sorted(p.stem for p in FIXTURES.glob("*.xml"))


def test_every_handler_has_a_fixture():
    covered = {name.split("__")[0].replace("event_", "event:") for name in NAMES}
    undeclared = {kind for kind in HANDLERS if kind not in covered and kind != "event:subscribe_scan"}
    assert undeclared == set(), f"handlers without a fixture: {undeclared}"
    assert set(EFFECTS) <= set(NAMES)


@pytest.mark.parametrize("mode", ["plain", "safe"])
@pytest.mark.parametrize("name", NAMES)
def test_fixture_side_effects(sqlite_rig, name, mode):
    expect = EFFECTS.get(name, SideEffects())
    reply = sqlite_rig.wechat.push(fixture(name), mode)
    assert reply.status == 200, reply.body
    stored = sqlite_rig.tickets()
    with sqlite_rig.runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(wechat_media)).scalar() == expect.media
        assert conn.execute(select(func.count()).select_from(submissions)).scalar() == 1
        user = conn.execute(select(wechat_users)).first()
    if expect.user:
        assert {k: getattr(user, k) for k in expect.user} == expect.user
    if expect.extra_fields:
        fields = stored[0].data["extra"]["wechat"]["fields"]
        assert {k: fields[k] for k in expect.extra_fields} == expect.extra_fields
