"""JSON-level helpers shared by the fake server: key casing, base64, ints, durations.

The hosted service parses requests with a proto3 JSON parser, which accepts both
lowerCamelCase and snake_case field names, both base64 alphabets, and int64 values as
numbers or strings.  google-genai relies on that leniency (it sends a mix of casings),
so the fake must accept the same inputs.  Internally every client message is
normalised to camelCase once, on arrival, so the rest of the server only knows one
spelling.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Final

import orjson

__all__ = [
    "OPAQUE_KEYS",
    "b64decode_lenient",
    "b64encode",
    "camel_key",
    "camelize",
    "dumps",
    "format_duration",
    "parse_int",
]

# Values under these keys are user data (function args, JSON schemas, labels):
# their own keys must keep the caller's spelling.
OPAQUE_KEYS: Final = frozenset(
    {
        "args",
        "response",
        "parameters",
        "parametersJsonSchema",
        "responseJsonSchema",
        "labels",
        "partialArgs",
    }
)

_KEY_CACHE: dict[str, str] = {}
_SNAKE = re.compile(r"_([a-z0-9])")


def camel_key(key: str) -> str:
    """``turn_complete`` → ``turnComplete`` (cached; camelCase keys pass through)."""
    cached = _KEY_CACHE.get(key)
    if cached is None:
        cached = _SNAKE.sub(lambda m: m.group(1).upper(), key) if "_" in key else key
        if len(_KEY_CACHE) < 4096:
            _KEY_CACHE[key] = cached
    return cached


def camelize(value: Any) -> Any:
    """Return ``value`` with every object key in lowerCamelCase (user data untouched)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            ckey = camel_key(key) if isinstance(key, str) else key
            out[ckey] = item if ckey in OPAQUE_KEYS else camelize(item)
        return out
    if isinstance(value, list):
        return [camelize(item) for item in value]
    return value


_URLSAFE_TO_STD: Final = bytes.maketrans(b"-_", b"+/")


def b64decode_lenient(data: str) -> bytes:
    """Decode base64 in the standard or URL-safe alphabet, padding optional.

    Raises ``ValueError`` on characters outside both alphabets, like a proto3 parser.
    """
    raw = data.encode("ascii", "strict").translate(_URLSAFE_TO_STD)
    raw = raw.rstrip(b"=")
    raw += b"=" * (-len(raw) % 4)
    try:
        return base64.b64decode(raw, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"invalid base64: {exc}") from None


def b64encode(data: bytes) -> str:
    """Standard-alphabet base64 with padding: what the hosted service emits."""
    return base64.b64encode(data).decode("ascii")


def parse_int(value: Any) -> int:
    """Accept an int64/int32 as a JSON number or a decimal string (proto3 JSON)."""
    if isinstance(value, bool):
        raise ValueError("boolean is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    raise ValueError(f"not an integer: {value!r}")


def format_duration(seconds: float) -> str:
    """Format a proto Duration the way the service does: ``"10s"``, ``"0.120s"``."""
    if seconds < 0:
        seconds = 0.0
    if float(seconds).is_integer():
        return f"{int(seconds)}s"
    return f"{seconds:.3f}s"


def dumps(message: dict[str, Any]) -> bytes:
    """Serialise a server message compactly (orjson: the hot path for audio chunks)."""
    return orjson.dumps(message)
