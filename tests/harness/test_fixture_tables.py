"""Every channel's fixtures, from their tables, through one runner (see tests/harness/fixture_table.py)."""
from __future__ import annotations

import socket

import pytest
from sqlalchemy import select

from gateway.tables import tickets
from tests.harness.fixture_table import FROZEN, pick
from tests.harness.gateway import make_gateway
from tests.harness.tables import TABLES

ROWS = [(table, row) for table in TABLES for row in table.rows]
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture
def no_outside_network(monkeypatch):
    """A connection to anything but this machine fails the test instead of reaching out."""
    real = socket.socket.connect

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in LOOPBACK:
            raise AssertionError(f"outside connection attempted: {address}")
        return real(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture
def table_gateway(request, sqlite_url, tmp_path, no_outside_network):
    """A gateway with every table's channel switched on and its clock frozen."""
    env, profile = {}, {}
    for table in TABLES:
        env.update(table.env)
        for section, values in table.profile.items():
            profile.setdefault(section, {}).update(values)
    gw = make_gateway(sqlite_url, tmp_path, profile=profile or None, **env)
    gw.runtime.clock = lambda: FROZEN
    yield gw
    gw.runtime.engine.dispose()


def _stored(gw) -> list:
    with gw.runtime.engine.connect() as conn:
        return conn.execute(select(tickets).order_by(tickets.c.id)).all()


@pytest.mark.parametrize("table", TABLES, ids=[t.channel for t in TABLES])
def test_every_fixture_file_has_a_row(table):
    files = {p.name for p in table.folder.iterdir() if p.is_file()}
    assert files, f"no fixtures in {table.folder}"
    assert all("__" in name for name in files), "fixtures are named <event>__<variant>.<ext>"
    assert {row.fixture for row in table.rows} | table.not_rows == files


@pytest.mark.parametrize("table,row", ROWS, ids=[f"{t.channel}/{r.name}" for t, r in ROWS])
def test_fixture(table_gateway, table, row):
    gw = table_gateway
    raw = (table.folder / row.fixture).read_bytes()
    answer = table.send(gw.client, raw, row)
    assert answer.status == row.status, answer.text
    if row.reply is not None:
        assert row.reply in answer.text
    stored = _stored(gw)
    assert len(stored) == len(row.tickets), [r.data.get("text") for r in stored]
    for expected, found in zip(row.tickets, stored):
        assert found.channel == found.data["channel"]
        for path, value in expected.items():
            assert pick(found.data, path) == value, path
        if row.names_reference and len(stored) == 1:
            assert found.reference in answer.text   # the citizen is told the reference to ask about
    # The provider did not hear us and sends the same bytes again: the same answer, nothing new stored.
    again = table.send(gw.client, raw, row)
    assert again.status == (row.repeat_status or row.status)
    assert len(_stored(gw)) == len(stored)
