"""The ticket store's tables (SQLAlchemy Core). Migrations under gateway/migrations create them."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (JSON, BigInteger, Boolean, Column, DateTime, Float, ForeignKey, Index, Integer, LargeBinary,
                        MetaData, String, Table, Text, UniqueConstraint, text)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

# 64-bit keys on PostgreSQL; SQLite only autoincrements a plain INTEGER primary key.
Id = BigInteger().with_variant(Integer(), "sqlite")
Json = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator):
    """Aware datetimes stored as UTC; SQLite keeps no offset, so it is restored on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


cases = Table(
    "cases", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("status", String(16), nullable=False, default="open"),
    Column("merged_into", Id, ForeignKey("cases.id"), nullable=True),
    Column("priority", String(8), nullable=False, default="normal"),
    Column("next_sequence", Integer, nullable=False, default=1),
    Column("unit", Text, nullable=True),
    Column("message", Text, nullable=True),
    # The case system's own `updated_at` of the last update applied: older updates are ignored.
    Column("last_update_at", UtcDateTime, nullable=True),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # Supervision (migration 0061): the earliest reply deadline of the case's reports, the highest overdue
    # level already told to the case system, and when the next level falls due (NULL: none left).
    Column("due_at", UtcDateTime, nullable=True),
    Column("overdue_level", Integer, nullable=False, default=0, server_default="0"),
    Column("next_overdue_at", UtcDateTime, nullable=True),
    Index(None, "next_overdue_at"),
)

tickets = Table(
    "tickets", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("reference", String(16), nullable=False, unique=True),
    Column("channel", String(32), nullable=False),
    Column("source", String(64), nullable=True),
    Column("status", String(16), nullable=False),
    Column("citizen", String(200), nullable=True),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=True),
    Column("priority", String(8), nullable=False, default="normal"),
    Column("received_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("in_case_at", UtcDateTime, nullable=True),
    # The canonical ticket in its wire format (normalizer.ticket.TicketSchema).
    Column("data", Json, nullable=False),
    # When the retention run erased its contact details and raw payload (migration 0043; gateway/retention.py).
    Column("personal_erased_at", UtcDateTime, nullable=True),
    # A ticket the pipeline failed on is set aside until then (gateway.pipeline), so it cannot hold up the others.
    Column("pipeline_failures", Integer, nullable=False, default=0, server_default="0"),
    Column("pipeline_retry_at", UtcDateTime, nullable=True),
    Index(None, "status", "updated_at"),
    Index(None, "case_id"),
    Index(None, "citizen", "received_at"),
)

# The raw submission and the idempotency claim: (channel, idem_key) is unique, so a retry can never make a
# second ticket, and the first answer is kept to be given again.
submissions = Table(
    "submissions", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("channel", String(32), nullable=False),
    Column("idem_key", String(300), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("raw", LargeBinary, nullable=False),
    Column("response_status", Integer, nullable=False),
    Column("response_body", Json, nullable=False),
    Column("ticket_id", Id, ForeignKey("tickets.id"), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("channel", "idem_key"),
)

# Every decision that put a report into a case, or took it out: the evidence and who decided.
case_links = Table(
    "case_links", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False),
    Column("ticket_id", Id, ForeignKey("tickets.id"), nullable=False),
    Column("action", String(16), nullable=False),  # opened | joined | unmerged | merged
    Column("actor", String(100), nullable=False),  # "dedupe" or the operator / key name
    Column("score", JSON, nullable=True),
    Column("evidence", Json, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "case_id"),
    Index(None, "ticket_id"),
)

# The outbox of case events for the case system, in per-case sequence.
outbox = Table(
    "outbox", metadata,
    Column("id", String(36), primary_key=True),  # the event id, the receiver's idempotency key
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("type", String(32), nullable=False),
    Column("ticket_id", Id, ForeignKey("tickets.id"), nullable=True),
    Column("priority", Integer, nullable=False, default=0),  # 1 for urgent cases: sent first
    Column("body", Text, nullable=False),  # exact bytes sent (UTF-8 JSON)
    Column("status", String(12), nullable=False, default="pending"),  # pending | delivered | dead
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("lease_until", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("first_failed_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime, nullable=True),
    Column("dead_at", UtcDateTime, nullable=True),
    UniqueConstraint("case_id", "sequence"),
    Index(None, "status", "next_attempt_at"),
)

# Updates the case system sent about its cases, kept as history (the case row holds the latest).
case_updates = Table(
    "case_updates", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False),
    Column("event_id", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("message", Text, nullable=True),
    Column("unit", Text, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("applied", Boolean, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Index(None, "case_id"),
)

# The dedupe index: a blocking key (as a 64-bit hash) → the ids of its most recent reports, packed 8 bytes
# each, newest last and capped; one row per key keeps the index near 8 bytes per key per report.
dedupe_postings = Table(
    "dedupe_postings", metadata,
    Column("key", BigInteger, primary_key=True, autoincrement=False),
    Column("ids", LargeBinary, nullable=False),
)

dedupe_reports = Table(
    "dedupe_reports", metadata,
    Column("ticket_id", Id, ForeignKey("tickets.id"), primary_key=True),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("fingerprint", JSON, nullable=False),
)

# Document frequencies of character bigrams over the indexed reports (dedupe/idf.py); the row with gram ''
# counts the reports. Workers add their batches every `df_batch` reports and read back the rows whose `seq` (the
# number of the write that last changed them) is past the last they read.
dedupe_frequencies = Table(
    "dedupe_frequencies", metadata,
    Column("gram", String(8), primary_key=True),
    Column("df", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False, server_default="0"),
    Index(None, "seq"),
)

attachments = Table(
    "attachments", metadata,
    Column("id", String(32), primary_key=True),
    Column("token", String(64), nullable=False, unique=True),
    Column("content_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("path", Text, nullable=False),
    Column("filename", Text, nullable=True),
    Column("uploaded_by", String(100), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    # When the orphan sweep saw a ticket referencing the file (migration 0041); unclaimed files past the grace
    # period are deleted (gateway/attachment_sweep.py).
    Column("claimed_at", UtcDateTime, nullable=True),
    Index("ix_attachments_unclaimed", "created_at", postgresql_where=text("claimed_at IS NULL"),
          sqlite_where=text("claimed_at IS NULL")),
)

# ---------------------------------------------------------------------------------------------------------------
# Conversations (migration 0002): a citizen's burst of messages on a chat channel assembled into one report.
# One row per (channel, citizen): locking it serializes that citizen's messages, so a burst opens one report.
conversations = Table(
    "conversations", metadata,
    Column("channel", String(32), primary_key=True),
    Column("citizen", String(200), primary_key=True),
    Column("ticket_id", Id, ForeignKey("tickets.id"), nullable=True),  # NULL: the next message opens a report
    Column("opened_at", UtcDateTime, nullable=True),
    Column("last_message_at", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Every later message that joined a report, and how it reached it: `data` (the ticket was not yet in a case)
# or `event` (a case.updated event to the case system).
conversation_parts = Table(
    "conversation_parts", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("ticket_id", Id, ForeignKey("tickets.id"), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("idem_key", String(300), nullable=False),
    Column("part", Json, nullable=False),
    Column("applied_as", String(8), nullable=False),
    Column("event_id", String(36), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "ticket_id"),
)

# A citizen's rating of a closed case, one per report.
case_ratings = Table(
    "case_ratings", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False),
    Column("ticket_id", Id, ForeignKey("tickets.id"), nullable=False, unique=True),
    Column("citizen", String(200), nullable=False),
    Column("rating", Integer, nullable=False),
    Column("comment", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("channel", String(32), nullable=True),   # where the rating came from (migration 0061)
)

# WeChat followers: subscription state and the last location the account reported (LOCATION event).
wechat_users = Table(
    "wechat_users", metadata,
    Column("openid", String(128), primary_key=True),
    Column("subscribed", Boolean, nullable=False),
    Column("scene", String(128), nullable=True),
    Column("last_lat", Float, nullable=True),
    Column("last_lng", Float, nullable=True),
    Column("last_crs", String(8), nullable=True),
    Column("last_precision", Float, nullable=True),
    Column("last_location_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # The follower's last message of any kind: WeChat allows customer-service messages for 48 h after it.
    Column("last_message_at", UtcDateTime, nullable=True),
)

# WeChat media to copy into the attachment store before WeChat forgets them (MediaIds live 3 days).
wechat_media = Table(
    "wechat_media", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("ticket_id", Id, ForeignKey("tickets.id"), nullable=False),
    Column("media_id", String(512), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(12), nullable=False),  # pending | done | failed
    Column("attempts", Integer, nullable=False),
    Column("attachment_id", String(32), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("ticket_id", "media_id"),
    Index(None, "status", "next_attempt_at"),
)

# wechatpy's session storage when there is no Redis: the access token every worker shares.
wechat_session = Table(
    "wechat_session", metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
    Column("expires_at", UtcDateTime, nullable=True),
)

# Console accounts (migration 0003): operators sign in with a name and a password, kept only as a salted hash.
operators = Table(
    "operators", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("password_hash", String(300), nullable=False),
    Column("role", String(16), nullable=False),  # operator | supervisor | admin
    Column("disabled", Boolean, nullable=False, default=False),
    # Wrong passwords in a row, and until when the account refuses sign-in after too many (guessing).
    Column("failed_attempts", Integer, nullable=False, default=0, server_default="0"),
    Column("locked_until", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    # Sessions carry the generation they started in; sign-out, a new password or disabling bumps it, which ends
    # every session of the account on its next request (migration 0042). (failed_attempts and locked_until above
    # are no longer used: guesses are counted per name and address in sign_in_attempts.)
    Column("session_generation", Integer, nullable=False, default=0, server_default="0"),
)

# Wrong sign-ins per (name as typed, client address), counted before the password is checked (migration 0042):
# an unknown name counts and locks like a known one, and a guesser elsewhere cannot lock an operator out.
sign_in_attempts = Table(
    "sign_in_attempts", metadata,
    Column("name", String(100), primary_key=True),
    Column("address", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locked_until", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False, index=True),
)

# ---------------------------------------------------------------------------------------------------------------
# SMS and one citizen across channels (migration 0004).
# A person, known to us through one or more identities (phone, WeChat openid, app user id).
citizens = Table(
    "citizens", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# One identity belongs to one citizen. `verified`: this identity is proven to be that citizen's person (the
# identity the record was made from, or a phone confirmed with a code); a link a channel merely claimed (an app's
# contact phone) is not, and reports are shared only between verified identities.
citizen_identities = Table(
    "citizen_identities", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("citizen_id", Id, ForeignKey("citizens.id"), nullable=False),
    Column("kind", String(16), nullable=False),     # phone | wechat | app
    Column("value", String(200), nullable=False),   # E.164, openid, user id
    Column("verified", Boolean, nullable=False),
    Column("verified_at", UtcDateTime, nullable=True),
    Column("source", String(32), nullable=True),    # the channel that told us
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("kind", "value"),
    Index(None, "citizen_id"),
)

# Which citizen a ticket's channel identity (tickets.citizen) belonged to when it was filed.
ticket_citizens = Table(
    "ticket_citizens", metadata,
    Column("ticket_id", Id, ForeignKey("tickets.id"), primary_key=True),
    Column("citizen_id", Id, ForeignKey("citizens.id"), nullable=False),
    Column("identity", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "citizen_id"),
)

# Codes sent by SMS to prove that an identity (an app user, a WeChat follower) owns a phone number.
phone_verifications = Table(
    "phone_verifications", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("requester", String(200), nullable=False),   # identity key, e.g. app:u-1
    Column("phone", String(32), nullable=False),        # E.164
    Column("code_hash", String(64), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("confirmed_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "requester", "phone"),
)

# Outbound texts (replies to uplink pushes, notices, codes): sent by a job, retried, failures kept visible.
sms_outbox = Table(
    "sms_outbox", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("idem_key", String(300), nullable=False, unique=True),
    Column("provider", String(16), nullable=False),     # twilio | aliyun
    Column("to_phone", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("ticket_id", Id, ForeignKey("tickets.id"), nullable=True),
    Column("status", String(12), nullable=False),       # pending | sent | failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("lease_until", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("provider_message_id", String(100), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime, nullable=True),
    Column("failed_at", UtcDateTime, nullable=True),
    Index(None, "status", "next_attempt_at"),
)

# ---------------------------------------------------------------------------------------------------------------
# Feedback to citizens (migration 0061).
# One notice per (case update, sender identity on its channel), naming every reference of that identity in the
# case. The unique key is the claim that makes a notice exist once; the lease makes one worker its sender.
notices = Table(
    "notices", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),   # citizen.notice id (app, partners)
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False),
    Column("update_key", String(200), nullable=False),   # the case update's event id
    Column("channel", String(32), nullable=False),       # wechat | sms | app | hotline | webhook
    Column("route", String(16), nullable=False),         # wechat | sms | app | partner | callback
    Column("recipient", String(200), nullable=False),    # openid, E.164, app user id, partner source
    Column("refs", Json, nullable=False),               # the references it names
    Column("status", String(16), nullable=False),        # the case status told
    Column("body", Text, nullable=False),                # the Chinese text (SMS, WeChat, call-back script)
    Column("payload", Json, nullable=False),             # what the route needs (provider, unit, message …)
    Column("urgent", Boolean, nullable=False),
    Column("asks_rating", Boolean, nullable=False),
    # pending | sent | waiting (WeChat window closed) | callback (operator to call) | done | parked | skipped
    Column("state", String(12), nullable=False),
    Column("outcome", Text, nullable=True),              # how it went out, or why it did not
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("lease_until", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime, nullable=True),
    UniqueConstraint("update_key", "route", "recipient"),
    Index(None, "state", "next_attempt_at"),
    Index(None, "case_id"),
)

# Numbers that texted 退订/TD: no more SMS notices to them (until they text again to 订阅).
sms_optouts = Table(
    "sms_optouts", metadata,
    Column("phone", String(64), primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
)

# ---------------------------------------------------------------------------------------------------------------
# Hot cases and dispatch suggestions (migration 0071).
# Reports per case per time bucket, by when the gateway received them: `span` 60 (minute buckets) or 3600 (hour
# buckets), `bucket` the bucket's start in unix seconds. Upserted as reports join, moved when reports move, so a
# window's count is a short range read and never a scan of the tickets.
hot_buckets = Table(
    "hot_buckets", metadata,
    Column("case_id", Id, ForeignKey("cases.id"), primary_key=True),
    Column("span", Integer, primary_key=True, autoincrement=False),
    Column("bucket", BigInteger, primary_key=True, autoincrement=False),
    Column("reports", Integer, nullable=False),
)

# One row per case with reports: what the hot list shows, and per window an upper bound of the case's count (its
# exact count when its last report joined; a window's count only falls as time passes), which lets the list rank
# the hottest cases by reading a few rows in bound order.
hot_cases = Table(
    "hot_cases", metadata,
    Column("case_id", Id, ForeignKey("cases.id"), primary_key=True),
    Column("title", Text, nullable=True),
    Column("district", String(50), nullable=True),
    Column("category", String(200), nullable=True),
    Column("reports", Integer, nullable=False),
    Column("first_at", UtcDateTime, nullable=True),
    Column("last_at", UtcDateTime, nullable=True),
    Column("bound_1h", Integer, nullable=False, default=0),
    Column("bound_24h", Integer, nullable=False, default=0),
    Column("bound_7d", Integer, nullable=False, default=0),
    Index(None, "bound_1h"),
    Index(None, "bound_24h"),
    Index(None, "bound_7d"),
)

# Each level of the hot ladder a case reached: the unique key makes `case.hot` go out once per (case, level).
hot_levels = Table(
    "hot_levels", metadata,
    Column("case_id", Id, ForeignKey("cases.id"), primary_key=True),
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("reports_in_window", Integer, nullable=False),
    Column("reached_at", UtcDateTime, nullable=False),
)

# One row per category × district group: when its newest case opened and, per window, an upper bound of its new
# cases (the exact count when that case opened), so the rising groups are ranked like the hot cases (migration 0073).
# A group of cases sharing a rare term (kind "term") is a row with category "" (no category × district group has
# an empty category) and the term in `district`, so both kinds share the ranking, the counts and the unique key.
hot_groups = Table(
    "hot_groups", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("category", String(200), nullable=False),
    Column("district", String(50), nullable=False),
    Column("last_at", UtcDateTime, nullable=True),
    Column("bound_1h", Integer, nullable=False, default=0),
    Column("bound_24h", Integer, nullable=False, default=0),
    Column("bound_7d", Integer, nullable=False, default=0),
    UniqueConstraint("category", "district"),
    Index(None, "bound_1h"),
    Index(None, "bound_24h"),
    Index(None, "bound_7d"),
)

# Reports and newly opened cases per group per minute, hour and day (`span`): hot topics that are many cases.
hot_group_counts = Table(
    "hot_group_counts", metadata,
    Column("group_id", Id, ForeignKey("hot_groups.id"), primary_key=True),
    Column("span", Integer, primary_key=True, autoincrement=False),
    Column("bucket", BigInteger, primary_key=True, autoincrement=False),
    Column("reports", Integer, nullable=False),
    Column("cases", Integer, nullable=False),
)

# The cases a term group holds (when each opened), so the hot list can name them (migration 0081).
hot_group_cases = Table(
    "hot_group_cases", metadata,
    Column("group_id", Id, ForeignKey("hot_groups.id"), primary_key=True),
    Column("case_id", Id, primary_key=True, autoincrement=False),
    Column("opened_at", UtcDateTime, nullable=False),
)

# What the case system's `assigned` updates taught: how many cases each unit took per feature (the unit prior
# `*`, category × district, category, district, distinctive term); `unit` "" holds the feature's total.
dispatch_counts = Table(
    "dispatch_counts", metadata,
    Column("feature", String(300), primary_key=True),
    Column("unit", String(200), primary_key=True),
    Column("cases", Integer, nullable=False),
)

# The unit each case was learned under and the features it counted, so a reassignment moves its counts.
dispatch_learned = Table(
    "dispatch_learned", metadata,
    Column("case_id", Id, ForeignKey("cases.id"), primary_key=True),
    Column("unit", String(200), nullable=False),
    Column("features", JSON, nullable=False),
    Column("learned_at", UtcDateTime, nullable=False),
)

# Every read of contact details by an operator or an API key (migration 0043): who, when, through what, which
# ticket (or, for a caller look-up, how many).
personal_reads = Table(
    "personal_reads", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("actor", String(200), nullable=False),      # key:NAME or operator:NAME
    Column("via", String(100), nullable=False),        # api:ticket, console:caller …
    Column("ticket_id", Id, nullable=True),
    Column("detail", Text, nullable=True),
)
