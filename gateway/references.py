"""Citizen-facing references: short, unguessable, easy to read over the phone."""
import secrets

# No 0/O, 1/I/L or U/V: the characters that are misheard or misread over the phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"


def new_reference() -> str:
    """A fresh random reference such as `K7QM4-XP2HD` (10 random characters, ~48 bits, plus a hyphen)."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(10))
    return f"{chars[:5]}-{chars[5:]}"


def normalize_reference(text: str) -> str:
    """What a citizen or operator typed, in the stored form (case and spacing forgiven)."""
    return "".join(text.split()).upper()
