"""Finding 16: personal data of long-closed cases is erased (the report stays), and every read of contact
details by an operator or an API key is recorded."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from gateway import cli
from gateway.retention import erase_personal_data
from gateway.tables import cases, outbox, personal_reads, submissions, tickets
from tests.console.conftest import signed_in, sqlite_operators  # noqa: F401 (a fixture)
from tests.harness.gateway import DOWNSTREAM_SECRET, OPERATOR_KEY, test_environ

PHONE = "13975318642"


def close_case(gw, case_id: int, days_ago: float) -> None:
    at = datetime.now(timezone.utc)
    body = {"case_id": case_id, "status": "closed", "message": "已办结", "unit": "区城管局", "updated_at": at.isoformat()}
    assert gw.post_signed("/api/v1/case-updates", body, secret=DOWNSTREAM_SECRET).status_code == 200
    with gw.runtime.engine.begin() as conn:
        conn.execute(update(cases).where(cases.c.id == case_id).values(
            updated_at=at - timedelta(days=days_ago)))


def report(gw, text: str) -> tuple[str, int]:
    reference = gw.post_app({"text": text, "contact": {"name": "欧阳修远", "phone": PHONE, "user_id": "u-1"}}).json[
        "reference"]
    gw.drain()
    return reference, gw.get(f"/api/v1/tickets/{reference}", OPERATOR_KEY).json["case"]["id"]


def test_contacts_of_cases_closed_past_the_period_are_erased_and_the_report_stays(gateway):
    old_ref, old_case = report(gateway, "汉阳区钟家村小区门口路灯坏了")
    new_ref, new_case = report(gateway, "洪山区光谷大道井盖缺失很危险")
    assert old_case != new_case
    close_case(gateway, old_case, days_ago=400)
    close_case(gateway, new_case, days_ago=10)
    assert erase_personal_data(gateway.runtime, days=365) == 1
    assert erase_personal_data(gateway.runtime, days=365) == 0          # done once
    with gateway.runtime.engine.connect() as conn:
        rows = {r.reference: r for r in conn.execute(select(tickets))}
        raws = {r.ticket_id: r.raw for r in conn.execute(select(submissions))}
        events = [e.body for e in conn.execute(select(outbox).where(outbox.c.case_id == old_case))]
    old, new = rows[old_ref], rows[new_ref]
    assert old.data["text"] == "汉阳区钟家村小区门口路灯坏了" and old.case_id == old_case
    assert old.data["contact"] is None and old.citizen is None and old.data["normalized"]["phones"] == []
    assert PHONE not in str(old.data) and PHONE.encode() not in bytes(raws[old.id])
    assert events and not [e for e in events if PHONE in e or "欧阳修远" in e]
    assert new.data["contact"]["phone"] == PHONE and PHONE.encode() in bytes(raws[new.id])
    assert gateway.get(f"/api/v1/tickets/{old_ref}", OPERATOR_KEY).json["text"] == "汉阳区钟家村小区门口路灯坏了"


def test_the_command_runs_it(sqlite_url, tmp_path, monkeypatch, capsys):
    for name, value in test_environ(sqlite_url, tmp_path).items():
        monkeypatch.setenv(name, value)
    assert cli.main(["retention", "run", "--days", "30"]) == 0
    assert "erased the contact details and raw payloads of 0 reports" in capsys.readouterr().out


def test_every_read_of_contact_details_is_recorded(sqlite_operators):
    gw = sqlite_operators
    reference = gw.post_app({"text": "路灯坏了", "contact": {"phone": PHONE}}).json["reference"]
    gw.get(f"/api/v1/tickets/{reference}")                              # a client key: no contact, no record
    gw.get(f"/api/v1/tickets/{reference}", OPERATOR_KEY)
    console = signed_in(gw, "wang")
    assert console.client.get(f"/console/caller?number={PHONE}").json["reports"]
    with gw.runtime.engine.connect() as conn:
        reads = conn.execute(select(personal_reads).order_by(personal_reads.c.id)).all()
    assert [(r.actor, r.via) for r in reads] == [("key:ops", "api:ticket"), ("operator:wang", "console:caller")]
    assert reads[0].detail == reference and reference in reads[1].detail and PHONE not in reads[1].detail
