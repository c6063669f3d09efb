"""Console accounts: operators with a salted password hash (scrypt) and a role."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, case, delete, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from gateway.tables import operators, sign_in_attempts, utcnow
from gateway.upsert import insert_for

ROLES = ("operator", "supervisor", "admin")
RANK = {"operator": 1, "supervisor": 2, "admin": 3}
MIN_PASSWORD_CHARS = 8
# A hash to check against when the name is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password of anyone", method="scrypt")


MAX_FAILED_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=5)
# Counts of pairs that stopped guessing are forgotten after this (and a flood of made-up names cannot pile up).
STALE_ATTEMPTS = timedelta(days=1)


class AccountLocked(Exception):
    """Too many wrong passwords in a row: the account refuses sign-in for a while."""


class OperatorError(ValueError):
    """The account cannot be created as asked (message in English, for the command line)."""


@dataclass(frozen=True)
class Operator:
    name: str
    role: str
    session_generation: int = 0

    def can(self, role: str) -> bool:
        """True when this operator's role is `role` or above it."""
        return RANK[self.role] >= RANK[role]


def add_operator(engine: Engine, name: str, role: str, password: str) -> Operator:
    """Create an account; the password is stored only as a salted scrypt hash."""
    name = name.strip()
    if not name or len(name) > 100:
        raise OperatorError("the name must be 1 to 100 characters")
    if role not in ROLES:
        raise OperatorError(f"the role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_CHARS:
        raise OperatorError(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
    try:
        with engine.begin() as conn:
            conn.execute(insert(operators).values(name=name, role=role, disabled=False, created_at=utcnow(),
                                                  password_hash=generate_password_hash(password, method="scrypt")))
    except IntegrityError:
        raise OperatorError(f"an operator named {name!r} exists already") from None
    return Operator(name, role)


def find_operator(engine: Engine, name: str) -> Operator | None:
    """The enabled operator of that name, or None."""
    with engine.connect() as conn:
        row = conn.execute(select(operators.c.name, operators.c.role, operators.c.session_generation)
                           .where(operators.c.name == name, operators.c.disabled.is_(False))).first()
    return Operator(row.name, row.role, row.session_generation) if row else None


def _count_attempt(conn, name: str, address: str, now) -> tuple[int, bool]:
    """Count one sign-in attempt for (name, address) before anything is checked; (attempts, locked)."""
    table = sign_in_attempts
    expired = and_(table.c.locked_until.is_not(None), table.c.locked_until <= now)
    stmt = insert_for(conn, table).values(
        name=name, address=address, failures=1, locked_until=None, updated_at=now)
    # One statement, so parallel guesses each get their own number: the 6th of 16 concurrent ones is refused
    # unevaluated. A lock that ran out starts the count again.
    stmt = stmt.on_conflict_do_update(index_elements=["name", "address"], set_={
        "failures": case((expired, 1), else_=table.c.failures + 1),
        "locked_until": case((expired, None), else_=table.c.locked_until),
        "updated_at": now,
    }).returning(table.c.failures, table.c.locked_until)
    failures, locked_until = conn.execute(stmt).one()
    if locked_until is not None and locked_until > now:
        return failures, True
    if failures > MAX_FAILED_ATTEMPTS:
        conn.execute(update(table).where(table.c.name == name, table.c.address == address,
                                         table.c.locked_until.is_(None)).values(locked_until=now + LOCKOUT))
        return failures, True
    return failures, False


def check_credentials(engine: Engine, name: str, password: str, address: str | None = None) -> Operator | None:
    """The operator when the name and password match an enabled account, else None.

    Every attempt is counted per (name as typed, client address) before the password is looked at; beyond
    MAX_FAILED_ATTEMPTS wrong ones that pair is locked for LOCKOUT (AccountLocked), the right password included.
    Unknown names count and lock exactly like known ones, so the answers tell no names apart, and a guesser at
    one address cannot lock the operator out at another.
    """
    now = utcnow()
    name = name.strip()[:100]
    address = (address or "-")[:64]
    with engine.begin() as conn:
        conn.execute(delete(sign_in_attempts).where(sign_in_attempts.c.updated_at < now - STALE_ATTEMPTS,
                                                    or_(sign_in_attempts.c.locked_until.is_(None),
                                                        sign_in_attempts.c.locked_until < now)))
        _failures, locked = _count_attempt(conn, name, address, now)
    if locked:
        raise AccountLocked(name)
    with engine.connect() as conn:
        row = conn.execute(select(operators).where(operators.c.name == name)).first()
    valid = check_password_hash(row.password_hash if row else _DUMMY_HASH, password)
    if row is None or row.disabled or not valid:
        return None
    with engine.begin() as conn:
        conn.execute(delete(sign_in_attempts).where(sign_in_attempts.c.name == name,
                                                    sign_in_attempts.c.address == address))
    return Operator(row.name, row.role, row.session_generation)


def end_sessions(engine: Engine, name: str) -> bool:
    """Bump the account's session generation: every session it has ends on its next request."""
    with engine.begin() as conn:
        return bool(conn.execute(update(operators).where(operators.c.name == name).values(
            session_generation=operators.c.session_generation + 1)).rowcount)


def set_password(engine: Engine, name: str, password: str) -> None:
    """A new password for an account; its sessions end. Raises OperatorError."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise OperatorError(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
    with engine.begin() as conn:
        changed = conn.execute(update(operators).where(operators.c.name == name).values(
            password_hash=generate_password_hash(password, method="scrypt"),
            session_generation=operators.c.session_generation + 1)).rowcount
    if not changed:
        raise OperatorError(f"no operator named {name!r}")


def disable_operator(engine: Engine, name: str) -> None:
    """Disable an account: it cannot sign in, and its sessions end. Raises OperatorError."""
    with engine.begin() as conn:
        changed = conn.execute(update(operators).where(operators.c.name == name).values(
            disabled=True, session_generation=operators.c.session_generation + 1)).rowcount
    if not changed:
        raise OperatorError(f"no operator named {name!r}")
