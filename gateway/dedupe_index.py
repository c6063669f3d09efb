"""The dedupe index in the ticket store, shared by every worker: blocking keys → recent reports → cases.

A key's postings are one row: the ids of its most recent reports (capped), packed 8 bytes each. Decisions
hold a lock per key (PostgreSQL advisory locks; SQLite serializes writers), so the read-modify-write of a
posting row is safe and two duplicates handled at once always see each other.
"""
from __future__ import annotations

import hashlib
import struct
from collections import Counter
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import chain
from typing import Any, Iterable, Mapping

from sqlalchemy import BigInteger, Text, bindparam, cast, func, insert, select, text, update
from sqlalchemy.engine import Connection

from dedupe.ranking import rank_counted, rank_postings
from dedupe.types import Candidate, StoredFingerprint
from gateway.batch_ranking import rank_queries
from gateway.bulk import in_array, insert_rows, pg_array
from gateway.tables import cases, dedupe_frequencies, dedupe_postings, dedupe_reports
from gateway.upsert import insert_for

DEFAULT_POSTINGS_CAP = 200
DEFAULT_MAX_CANDIDATES = 64


def key_hash(key: str) -> int:
    """A blocking key as a signed 64-bit number (the posting row's key and its advisory lock)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def _unpack(blob: bytes) -> list[int]:
    return list(struct.unpack(f">{len(blob) // 8}q", blob))


def _pack(ids: list[int]) -> bytes:
    return struct.pack(f">{len(ids)}q", *ids)


def lock_keys(conn: Connection, keys: Iterable[str]) -> None:
    """Serialize decisions that could find each other (in a fixed order, so never a deadlock)."""
    if conn.dialect.name != "postgresql":
        return  # SQLite: BEGIN IMMEDIATE already serializes every writer
    for number in sorted({key_hash(k) for k in keys}):
        conn.execute(text("SELECT pg_advisory_xact_lock(:n)"), {"n": number})


@lru_cache(maxsize=None)
def _by_ids(postgresql: bool, column, name: str):
    """`column IN :name`, compiled once: on PostgreSQL a semi-join on one array parameter (`pg_array`, see
    `gateway.bulk.in_array`), so the text, hence the compiled and the server's prepared statement, is the same for
    every list; elsewhere an expanding IN."""
    if postgresql:
        return in_array(column, name, BigInteger)
    return column.in_(bindparam(name, expanding=True))


def _ids_param(conn: Connection, ids: Iterable[int]):
    return pg_array(ids) if conn.dialect.name == "postgresql" else list(ids)


@lru_cache(maxsize=None)
def _postings_statement(postgresql: bool):
    return select(dedupe_postings.c.key, dedupe_postings.c.ids).where(_by_ids(postgresql, dedupe_postings.c.key,
                                                                             "keys"))


@lru_cache(maxsize=None)
def _reports_statement(postgresql: bool):
    # One statement for the reports and their cases' states: a nested loop of primary-key probes (at most
    # `max_candidates` ids), one round trip fewer than reading the cases apart.
    return (select(dedupe_reports.c.ticket_id, dedupe_reports.c.case_id, dedupe_reports.c.received_at,
                   cast(dedupe_reports.c.fingerprint, Text).label("fingerprint"), cases.c.status,
                   cases.c.last_update_at)
            .join_from(dedupe_reports, cases, cases.c.id == dedupe_reports.c.case_id)
            .where(_by_ids(postgresql, dedupe_reports.c.ticket_id, "ids")))


def find_candidates(conn: Connection, keys: list[str], now: datetime, closed_days: float,
                    limit: int = DEFAULT_MAX_CANDIDATES) -> list[Candidate]:
    """Reports sharing keys whose case can still take reports: open (any age), or closed recently."""
    if not keys:
        return []
    # A key listed n times counts n times in the ranking (the fitted deduper weighs a door number's key so).
    times = Counter(key_hash(k) for k in keys)
    rows = conn.execute(_postings_statement(conn.dialect.name == "postgresql"),
                        {"keys": _ids_param(conn, list(times))})
    ids = rank_postings((ids for row in rows for ids in [_unpack(row.ids)] * times[row.key]), limit)
    if not ids:
        return []
    return open_reports(conn, ids, now, closed_days)


def open_reports(conn: Connection, ids: Iterable[int], now: datetime, closed_days: float) -> list[Candidate]:
    """The indexed reports of these ids whose case can still take reports: open (any age), or closed recently."""
    rows = conn.execute(_reports_statement(conn.dialect.name == "postgresql"), {"ids": _ids_param(conn, ids)})
    recently = now - timedelta(days=closed_days)
    # The fingerprints stay JSON text until looked into (dedupe.types.StoredFingerprint).
    return [Candidate(r.case_id, r.ticket_id, r.received_at, StoredFingerprint(r.fingerprint)) for r in rows
            if r.status != "merged"
            and (r.status not in ("resolved", "closed") or (r.last_update_at or now) >= recently)]


def add_to_index(conn: Connection, *, ticket_id: int, case_id: int, received_at: datetime, keys: list[str],
                 fingerprint: Mapping[str, Any], cap: int = DEFAULT_POSTINGS_CAP) -> None:
    """Index one report under its keys; a full posting row forgets its oldest report."""
    conn.execute(insert(dedupe_reports).values(ticket_id=ticket_id, case_id=case_id, received_at=received_at,
                                               fingerprint=dict(fingerprint)))
    hashes = list(dict.fromkeys(key_hash(k) for k in keys))
    if not hashes:
        return
    rows = conn.execute(select(dedupe_postings).where(_by_ids(conn.dialect.name == "postgresql", dedupe_postings.c.key,
                                                               "keys")), {"keys": _ids_param(conn, hashes)})
    existing = {r.key: r.ids for r in rows}
    for number in hashes:
        if number in existing:
            ids = (_unpack(existing[number]) + [ticket_id])[-cap:]
            conn.execute(update(dedupe_postings).where(dedupe_postings.c.key == number).values(ids=_pack(ids)))
        else:
            conn.execute(insert(dedupe_postings).values(key=number, ids=_pack([ticket_id])))


def move_reports(conn: Connection, ticket_ids: list[int], case_id: int) -> None:
    """Point indexed reports at another case (after a merge or unmerge)."""
    conn.execute(update(dedupe_reports).where(dedupe_reports.c.ticket_id.in_(ticket_ids)).values(case_id=case_id))


DEFAULT_LOCK_WAIT_MS = 2000


def lock_all_keys(conn: Connection, keys: Iterable[str], wait_ms: int = DEFAULT_LOCK_WAIT_MS) -> None:
    """`lock_keys` in one statement: a whole batch's keys, in a fixed order (so never a deadlock).

    Waits at most `wait_ms` for another batch's locks, then fails with PostgreSQL's lock_not_available (55P03),
    which `gateway.pipeline` answers by running the batch again: under the store's statement deadline, so a long
    wait ends as a retry, not as a connection closed by the watchdog."""
    if conn.dialect.name != "postgresql":
        return
    numbers = sorted({key_hash(k) for k in keys})
    if numbers:
        # The list as psycopg adapts it: passed as one text literal ('{…}', `pg_array`) the two-worker flood test
        # lost its connection in this statement (tests/gateway/test_parallel_dedupe.py); not kept.
        # The lock timeout is set by the statement itself (no round trip more): every row of the join needs the
        # one row of `wait`, so set_config runs before the first lock is asked for, and a lock wait reads the
        # setting when it starts; `true`: for this transaction only.
        conn.execute(text("WITH wait AS MATERIALIZED (SELECT set_config('lock_timeout', :wait, true) AS ms) "
                          "SELECT count(pg_advisory_xact_lock(n)) FROM wait, unnest(CAST(:ns AS bigint[])) AS n"),
                     {"ns": numbers, "wait": f"{int(wait_ms)}ms"})


def read_postings(conn: Connection, keys: Iterable[int]) -> dict[int, bytes]:
    """The posting rows of these keys (hashed), as stored: key → packed report ids."""
    keys = set(keys)
    if not keys:
        return {}
    rows = conn.execute(select(dedupe_postings).where(_by_ids(conn.dialect.name == "postgresql",
                                                              dedupe_postings.c.key, "keys")),
                        {"keys": _ids_param(conn, keys)})
    return {row.key: bytes(row.ids) for row in rows}


class BatchIndex:
    """The index as one batch of decisions sees it: the store's rows for the batch's keys, as read (under the keys'
    locks, or checked under them: gateway.casework), plus the batch's own reports, so two duplicates in one batch
    find each other.

    Three reads when built, two writes in `flush`, however many reports the batch holds. Each report's stored
    postings are counted once, when built: its batch's reports are newer than any stored one and in no stored
    posting, so they add counts of their own without changing a stored report's, and a report's candidates are
    its stored ranking merged with the batch's reports sharing its keys (`candidates`), the same choice as
    ranking every posting again.
    """

    def __init__(self, conn: Connection, key_lists: list[list[str]], now: datetime, closed_days: float,
                 limit: int = DEFAULT_MAX_CANDIDATES, blobs: dict[int, bytes] | None = None):
        self.limit = limit
        self.hashes: dict[str, int] = {k: key_hash(k) for keys in key_lists for k in keys}
        # The posting rows read (key → stored bytes; `blobs` when read already), to tell later whether another
        # batch filed under one of the keys since (`read_postings`).
        self.read_keys = frozenset(self.hashes.values())
        self.blobs = blobs if blobs is not None else read_postings(conn, self.read_keys)
        self.postings: dict[int, list[int]] = {key: _unpack(ids) for key, ids in self.blobs.items()}
        # Each report's ranking over the store's postings, with its counts: what it may be offered of them.
        queries: dict[tuple[str, ...], list[int]] = {}
        for keys in key_lists:
            if tuple(keys) not in queries:
                queries[tuple(keys)] = [self.hashes[k] for k in keys]
        self.stored: dict[tuple[str, ...], list[tuple[int, int]]] = rank_queries(self.postings, queries, limit)
        wanted = {i for ranked in self.stored.values() for i, _ in ranked}
        self.stored_ids = set(chain.from_iterable(self.postings.values()))
        self.reports: dict[int, Candidate] = {}
        if wanted:
            self.reports = {c.report_id: c for c in open_reports(conn, wanted, now, closed_days)}
        self.added: dict[int, list[int]] = {}   # key → the batch's reports filed under it
        self.new_reports: list[dict[str, Any]] = []
        self.touched: set[int] = set()

    def clone(self) -> "BatchIndex":
        """A copy to add a batch's reports to while this one stays as read (what `add` changes is copied)."""
        other = object.__new__(BatchIndex)
        other.__dict__.update(self.__dict__)
        other.hashes = dict(self.hashes)
        other.postings = {key: list(ids) for key, ids in self.postings.items()}
        other.reports = dict(self.reports)
        other.added, other.new_reports, other.touched = {}, [], set()
        return other

    def _hash(self, key: str) -> int:
        number = self.hashes.get(key)
        if number is None:
            number = self.hashes[key] = key_hash(key)
        return number

    def candidates(self, keys: list[str]) -> list[Candidate]:
        """What `find_candidates` would answer for these keys, the batch's earlier reports included."""
        stored = self.stored.get(tuple(keys))
        if stored is None:  # keys the index was not built with: rank every posting
            ids = rank_postings((self.postings.get(self._hash(k), []) for k in keys), self.limit)
        else:
            empty: list[int] = []
            ours = Counter(chain.from_iterable(self.added.get(self._hash(k), empty) for k in keys))
            ids = [i for i, _ in rank_counted(dict(stored) | ours, self.limit)] if ours else [i for i, _ in stored]
        return [self.reports[i] for i in ids if i in self.reports]

    def add(self, *, ticket_id: int, case_id: int, received_at: datetime, keys: list[str],
            fingerprint: Mapping[str, Any]) -> None:
        """Index one report of the batch (`case_id` may be a placeholder until `flush`)."""
        self.reports[ticket_id] = Candidate(case_id, ticket_id, received_at, dict(fingerprint))
        self.new_reports.append({"ticket_id": ticket_id, "received_at": received_at,
                                 "fingerprint": dict(fingerprint)})
        if self.stored and ticket_id in self.stored_ids:
            self.stored = {}  # filed already (never by the pipeline): its counts would mix, so rank everything again
        for number in dict.fromkeys(self._hash(k) for k in keys):
            self.postings.setdefault(number, []).append(ticket_id)
            self.added.setdefault(number, []).append(ticket_id)
            self.touched.add(number)

    def flush(self, conn: Connection, case_of: Mapping[int, int], cap: int = DEFAULT_POSTINGS_CAP) -> None:
        """Write the batch's reports (with their real case ids) and postings: one statement each (on PostgreSQL
        each with its rows as one JSON parameter, gateway.bulk; the fingerprints' text kept as sent)."""
        postgresql = conn.dialect.name == "postgresql"
        if self.new_reports:
            conn.execute(*insert_rows(conn, dedupe_reports, [dict(r, case_id=case_of[r["ticket_id"]])
                                                             for r in self.new_reports], verbatim=True))
        if not self.touched:
            return
        # bytea from JSON text: PostgreSQL reads '\\x…' as the bytes in hex.
        rows = [{"key": n, "ids": "\\x" + _pack(self.postings[n][-cap:]).hex() if postgresql
                 else _pack(self.postings[n][-cap:])} for n in sorted(self.touched)]
        upsert, params = insert_rows(conn, dedupe_postings, rows)
        if not postgresql:
            # With RETURNING, SQLAlchemy sends the rows as one multi-row statement ("insertmanyvalues"); without it
            # an ON CONFLICT executemany would go row by row.
            upsert = upsert.returning(dedupe_postings.c.key)
        conn.execute(upsert.on_conflict_do_update(index_elements=[dedupe_postings.c.key],
                                                  set_={"ids": upsert.excluded.ids}), params)


def load_frequencies(conn: Connection, frequencies) -> None:
    """Bring a deduper's corpus frequencies (`dedupe.idf.DocumentFrequencies`) up to the store's table: the whole
    table the first time, then only the rows written since (`seq` past the last one read)."""
    query = select(dedupe_frequencies.c.gram, dedupe_frequencies.c.df, dedupe_frequencies.c.seq)
    if frequencies.loaded:
        rows = conn.execute(query.where(dedupe_frequencies.c.seq > frequencies.seen_seq)).all()
        totals = {row.gram: row.df for row in rows}
        docs = totals.pop("", None)
        frequencies.set_totals(totals, frequencies.docs if docs is None else docs)
    else:
        rows = conn.execute(query).all()
        counts = {row.gram: row.df for row in rows}
        frequencies.replace({g: c for g, c in counts.items() if g}, counts.get("", 0))
        frequencies.seen_seq = 0
    frequencies.seen_seq = max((row.seq for row in rows), default=frequencies.seen_seq)
    frequencies.loaded = True


# The advisory lock (two-key form: a key space apart from the dedupe keys' one-key locks) that makes frequency
# writes one at a time, so `seq` numbers commit in order and a reader that saw write n never misses one below it.
FREQUENCY_WRITES_LOCK = (0x6466, 1)


def add_frequencies(conn: Connection, counts: Mapping[str, int], docs: int) -> int:
    """Add a batch of bigram document counts (and its number of reports, row '') to the store's table, as the
    next write; returns that write's `seq`."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"),
                     {"a": FREQUENCY_WRITES_LOCK[0], "b": FREQUENCY_WRITES_LOCK[1]})
    # SQLite: one writer at a time already (the embedded store has one process).
    seq = conn.execute(select(func.coalesce(func.max(dedupe_frequencies.c.seq), 0) + 1)).scalar()
    rows = [{"gram": g, "df": c, "seq": seq} for g, c in sorted(counts.items()) if g] + (
        [{"gram": "", "df": docs, "seq": seq}] if docs else [])
    if not rows:
        return seq - 1
    if conn.dialect.name == "postgresql":
        # One statement, its rows as one JSON parameter (gateway.bulk): a 5,000-row VALUES list took SQLAlchemy
        # and psycopg about 0.35 s each to build and bind, and 256 long reports hold tens of thousands of bigrams.
        upsert, params = insert_rows(conn, dedupe_frequencies, rows)
        conn.execute(upsert.on_conflict_do_update(index_elements=[dedupe_frequencies.c.gram], set_={
            "df": dedupe_frequencies.c.df + upsert.excluded.df, "seq": upsert.excluded.seq}), params)
        return seq
    for start in range(0, len(rows), 5000):
        stmt = insert_for(conn, dedupe_frequencies).values(rows[start:start + 5000])
        conn.execute(stmt.on_conflict_do_update(index_elements=[dedupe_frequencies.c.gram], set_={
            "df": dedupe_frequencies.c.df + stmt.excluded.df, "seq": stmt.excluded.seq}))
    return seq


def sync_frequencies(engine, deduper, force: bool = False) -> bool:
    """Keep a worker's frequency table in step with the store's: read it the first time; once `df_batch` reports
    are pending (or `force`), add the batch to the store and read back what changed since the last read, other
    workers' batches included. Returns True when it wrote. A deduper without a frequency table is left alone."""
    frequencies = getattr(deduper, "df", None)
    if frequencies is None:
        return False
    if not getattr(frequencies, "loaded", False):
        with engine.connect() as conn:
            load_frequencies(conn, frequencies)
    if not frequencies.pending_docs or not (force or frequencies.pending_docs >= frequencies.batch):
        return False
    counts, docs = frequencies.take_pending()
    with engine.begin() as conn:
        seq = add_frequencies(conn, counts, docs)
    if seq <= frequencies.seen_seq:
        frequencies.loaded = False  # the table was emptied since the last read (seq started again): read it whole
    with engine.connect() as conn:
        load_frequencies(conn, frequencies)
    return True
