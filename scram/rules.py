"""What a SCRAM user name, password, mechanism and iteration count may be. Each check
returns the reason a person reads (next to the field, or in the API's 400), or None.

User names (to create or change a credential): 1 to 255 characters from letters,
digits and `. _ - @ +`, without the `User:` prefix of ACL principals. Kafka itself takes
more, but the broker matches SCRAM names as 7-bit ASCII only (ScramMessages' SASLNAME),
',' and '=' must be escaped as =2C / =3D on the wire and kafka-python (Signalbox's own
client) does not, and spaces, quotes, ':' or '*' break JAAS configs, ACL principal
strings (User:* is the wildcard) and shell commands. Users made elsewhere with other
names are still listed and can be deleted (`existing_name_problem`).

Passwords: 12 to 1024 characters, no control characters, at least 5 different
characters, not containing the user name, and not one of the 20,000 most common
passwords (Django's list). Weak means any of those: short, repetitive ("aaaa…",
"abab…"), guessable from the name, or common.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError

from clusters.gateway.scram import MAX_ITERATIONS, MECHANISMS, MIN_ITERATIONS

MECHANISM_CHOICES = tuple(MECHANISMS)
DEFAULT_MECHANISM = "SCRAM-SHA-512"
# Twice Kafka's minimum: a login costs the broker a little more, a stolen hash a lot more.
DEFAULT_ITERATIONS = 8192
NAME_MAX = 255
NAME_CHARACTERS = "letters, digits and . _ - @ +"
_NAME = re.compile(r"[A-Za-z0-9._@+\-]+")
_PRINCIPAL_PREFIX = "user:"
PASSWORD_MIN = 12
PASSWORD_MAX = 1024
PASSWORD_MIN_DISTINCT = 5
# Below this a name is too short to be worth searching for inside a password.
_NAME_IN_PASSWORD_MIN = 3
# Kafka's protocol strings are int16-length-prefixed; a longer name cannot exist there.
EXISTING_NAME_MAX_BYTES = 32767

_common = CommonPasswordValidator()


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text)


def name_problem(name: str) -> str | None:
    """Why `name` cannot get a new credential, or None."""
    if not name:
        return "Give the user name."
    if len(name) > NAME_MAX:
        return f"A user name has at most {NAME_MAX} characters."
    if name.lower().startswith(_PRINCIPAL_PREFIX):
        return (
            f"Give the name without the 'User:' prefix ('{name[len(_PRINCIPAL_PREFIX) :]}'); "
            "'User:' belongs to ACL principals, not to SCRAM user names."
        )
    if not _NAME.fullmatch(name):
        bad = sorted({ch for ch in name if not _NAME.fullmatch(ch)})
        shown = " ".join("space" if ch == " " else repr(ch) for ch in bad)
        return (
            f"Not allowed in a SCRAM user name here: {shown}. Use {NAME_CHARACTERS}. Kafka only matches "
            "ASCII names, ',' and '=' need escaping most clients skip, and spaces, quotes, ':' or '*' "
            "break JAAS configs and ACL principals."
        )
    return None


def existing_name_problem(name: str) -> str | None:
    """Why `name` cannot be a user Kafka already knows (looser: users made by other tools)."""
    if not name:
        return "Give the user name."
    if _has_control(name):
        return "A user name cannot contain control characters."
    if len(name.encode("utf-8")) > EXISTING_NAME_MAX_BYTES:
        return "That name is longer than any Kafka can store."
    return None


def password_problem(password: str, *, name: str) -> str | None:
    """Why `password` is too weak (or not usable) for user `name`, or None. Never echoes it."""
    if not password:
        return "Give a password."
    if len(password) < PASSWORD_MIN:
        return f"Too short: use at least {PASSWORD_MIN} characters."
    if len(password) > PASSWORD_MAX:
        return f"Too long: use at most {PASSWORD_MAX} characters."
    if _has_control(password):
        return "Control characters (line breaks, tabs, NUL) cannot be part of a password."
    if len(set(password)) < PASSWORD_MIN_DISTINCT:
        return (
            f"Too easy to guess: use at least {PASSWORD_MIN_DISTINCT} different characters "
            "(not one or two characters repeated)."
        )
    lowered, lowered_name = password.casefold(), name.casefold()
    if lowered_name and (lowered == lowered_name or (len(name) >= _NAME_IN_PASSWORD_MIN and lowered_name in lowered)):
        return "Too easy to guess: the password must not contain the user name."
    try:
        _common.validate(password)
    except ValidationError:
        return "Too common: it is one of the 20,000 most used passwords; choose another."
    return None


def mechanism_clean(value: Any) -> tuple[str, str | None]:
    """The mechanism's canonical name (e.g. 'scram_sha_512' -> 'SCRAM-SHA-512') and a problem."""
    text = str(value if value is not None else "").strip().upper().replace("_", "-")
    if not text:
        return "", f"Choose a mechanism: {' or '.join(MECHANISM_CHOICES)}."
    if text not in MECHANISMS:
        shown = str(value)[:40]
        return text, f"Unknown SCRAM mechanism '{shown}': use {' or '.join(MECHANISM_CHOICES)}."
    return text, None


def iterations_clean(value: Any) -> tuple[int, str | None]:
    """The iteration count (default when not given) and a problem."""
    if value is None or value == "":
        return DEFAULT_ITERATIONS, None
    if isinstance(value, bool):
        return 0, "Give the iterations as a whole number."
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) <= 9:
        value = int(value.strip())
    if not isinstance(value, int):
        return 0, "Give the iterations as a whole number."
    if not MIN_ITERATIONS <= value <= MAX_ITERATIONS:
        return value, (
            f"Use {MIN_ITERATIONS} to {MAX_ITERATIONS} iterations (Kafka's limits); "
            f"{DEFAULT_ITERATIONS} is the default."
        )
    return value, None
