"""Console accounts: operators with a salted password hash (scrypt) and a role."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from gateway.tables import operators, utcnow

ROLES = ("operator", "supervisor", "admin")
RANK = {"operator": 1, "supervisor": 2, "admin": 3}
MIN_PASSWORD_CHARS = 8
# A hash to check against when the name is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password of anyone", method="scrypt")


MAX_FAILED_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=5)


class AccountLocked(Exception):
    """Too many wrong passwords in a row: the account refuses sign-in for a while."""


class OperatorError(ValueError):
    """The account cannot be created as asked (message in English, for the command line)."""


@dataclass(frozen=True)
class Operator:
    name: str
    role: str

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
        row = conn.execute(select(operators.c.name, operators.c.role)
                           .where(operators.c.name == name, operators.c.disabled.is_(False))).first()
    return Operator(row.name, row.role) if row else None


def check_credentials(engine: Engine, name: str, password: str) -> Operator | None:
    """The operator when the name and password match an enabled account, else None.

    After MAX_FAILED_ATTEMPTS wrong passwords in a row the account is locked for LOCKOUT (AccountLocked), so a
    password cannot be guessed online; the right password during the lock does not open it either.
    """
    now = utcnow()
    with engine.connect() as conn:
        row = conn.execute(select(operators).where(operators.c.name == name.strip())).first()
    valid = check_password_hash(row.password_hash if row else _DUMMY_HASH, password)
    if row is None:
        return None
    if row.locked_until is not None and row.locked_until > now:
        raise AccountLocked(row.name)
    with engine.begin() as conn:
        if valid:
            conn.execute(update(operators).where(operators.c.id == row.id)
                         .values(failed_attempts=0, locked_until=None))
        else:
            # Counted in the database (atomically), so parallel guesses and several web servers all count.
            failed = conn.execute(update(operators).where(operators.c.id == row.id)
                                  .values(failed_attempts=operators.c.failed_attempts + 1)
                                  .returning(operators.c.failed_attempts)).scalar_one()
            if failed >= MAX_FAILED_ATTEMPTS:
                conn.execute(update(operators).where(operators.c.id == row.id)
                             .values(failed_attempts=0, locked_until=now + LOCKOUT))
    if row.disabled or not valid:
        return None
    return Operator(row.name, row.role)
