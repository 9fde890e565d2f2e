"""Leaf conversions of the codec: JSON scalars <-> Python values.

Strings, booleans, integers (int64 as JSON strings, decimal strings accepted),
floats (``"NaN"``/``"Infinity"`` too), base64 bytes (both alphabets, optional
padding), proto Durations (``"10s"``, ``"0.120s"``) and open enums.  Each
structure hook has cattrs' ``(value, type)`` signature and raises
:class:`FieldError`, which the codec turns into a ``RemoteProtocolError`` (wire
frames) or a ``ConfigError`` (user configuration) naming the field's path.
"""

from __future__ import annotations

import binascii
import datetime
import enum
import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "FieldError",
    "StructureFn",
    "camel",
    "describe",
    "enum_hook",
    "format_duration",
    "parse_duration",
    "structure_any",
    "structure_bool",
    "structure_bytes",
    "structure_duration",
    "structure_float",
    "structure_int",
    "structure_json_object",
    "structure_str",
    "unstructure_bytes",
    "unstructure_int64",
]

StructureFn = Callable[[Any, Any], Any]


class FieldError(Exception):
    """Internal: a value failed to convert; ``path`` grows as it bubbles up."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def under(self, key: str) -> FieldError:
        if not self.path:
            self.path = key
        elif self.path.startswith("["):
            self.path = key + self.path
        else:
            self.path = f"{key}.{self.path}"
        return self


def camel(name: str) -> str:
    """``response_modalities`` -> ``responseModalities``."""
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def describe(value: Any) -> str:
    return {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def structure_str(value: Any, _: Any) -> str:
    if type(value) is str:
        return value
    raise FieldError(f"expected a string, got {describe(value)}")


def structure_bool(value: Any, _: Any) -> bool:
    if type(value) is bool:
        return value
    raise FieldError(f"expected a boolean, got {describe(value)}")


_INT_RE = re.compile(r"-?[0-9]+")


def structure_int(value: Any, _: Any) -> int:
    kind = type(value)
    if kind is int:
        result = value
    elif (kind is str and len(value) <= 21 and _INT_RE.fullmatch(value)) or (
        kind is float and value.is_integer()
    ):
        result = int(value)
    else:
        raise FieldError(f"expected an integer, got {describe(value)}")
    if -(2**63) <= result < 2**64:  # int64 / uint64: what proto (and orjson) can carry
        return result  # type: ignore[no-any-return]
    raise FieldError(f"integer out of the 64-bit range: {result}")


def structure_float(value: Any, _: Any) -> float:
    kind = type(value)
    if kind is float:
        return value  # type: ignore[no-any-return]
    if kind is int:
        return float(value)
    if kind is str and value in ("NaN", "Infinity", "-Infinity"):
        return float(value.replace("Infinity", "inf"))
    raise FieldError(f"expected a number, got {describe(value)}")


_URLSAFE_TO_STD = str.maketrans("-_", "+/")


def structure_bytes(value: Any, _: Any) -> bytes:
    if type(value) is str:
        try:
            return binascii.a2b_base64(value, strict_mode=True)
        except ValueError:  # binascii.Error, or non-ASCII characters
            pass
        text = value.translate(_URLSAFE_TO_STD).rstrip("=")
        text += "=" * (-len(text) % 4)
        try:
            return binascii.a2b_base64(text, strict_mode=True)
        except ValueError:
            raise FieldError("expected base64 data, got an invalid base64 string") from None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise FieldError(f"expected base64 data, got {describe(value)}")


def unstructure_bytes(value: bytes) -> str:
    return binascii.b2a_base64(value, newline=False).decode("ascii")


_DURATION_RE = re.compile(r"(-)?([0-9]+)(?:\.([0-9]{1,9}))?s")


def parse_duration(text: str) -> datetime.timedelta:
    """Parse a proto Duration string (``"10s"``, ``"0.120s"``, ``"-1.5s"``)."""
    match = _DURATION_RE.fullmatch(text)
    if match is None:
        raise ValueError(f"not a duration string: {text!r}")
    sign, seconds, fraction = match.groups()
    micros = int((fraction or "").ljust(9, "0")[:6])
    delta = datetime.timedelta(seconds=int(seconds), microseconds=micros)
    return -delta if sign else delta


def format_duration(delta: datetime.timedelta) -> str:
    """Format a ``timedelta`` as a proto Duration string (0, 3 or 6 decimals)."""
    total_us = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    sign = "-" if total_us < 0 else ""
    seconds, micros = divmod(abs(total_us), 1_000_000)
    if micros == 0:
        return f"{sign}{seconds}s"
    if micros % 1000 == 0:
        return f"{sign}{seconds}.{micros // 1000:03d}s"
    return f"{sign}{seconds}.{micros:06d}s"


def structure_duration(value: Any, _: Any) -> datetime.timedelta:
    if type(value) is str:
        try:
            return parse_duration(value)
        except (ValueError, OverflowError):
            raise FieldError(f"expected a duration like '10s', got {value!r}") from None
    if isinstance(value, datetime.timedelta):
        return value
    if type(value) in (int, float):
        try:
            return datetime.timedelta(seconds=value)
        except (ValueError, OverflowError):
            raise FieldError(f"duration out of range: {value!r}") from None
    raise FieldError(f"expected a duration string, got {describe(value)}")


def structure_json_object(value: Any, _: Any) -> Mapping[str, Any]:
    if type(value) is dict:
        return value
    if isinstance(value, Mapping):
        return dict(value)
    raise FieldError(f"expected an object, got {describe(value)}")


def structure_any(value: Any, _: Any) -> Any:
    return value


def enum_hook(cls: type[enum.Enum]) -> StructureFn:
    lookup = {m.value: m for m in cls}

    def structure(value: Any, _: Any) -> Any:
        member = lookup.get(value) if type(value) is str else None
        if member is not None:
            return member
        if isinstance(value, cls):
            return value
        if type(value) is str:
            return cls(value)  # an open enum keeps the unknown name
        raise FieldError(f"expected an enum name string, got {describe(value)}")

    return structure


def unstructure_int64(value: int) -> str:
    return str(value)
