"""The codec: JSON frames <-> the frozen attrs classes of ``_messages``.

One cattrs converter is the registry of every conversion (``wire_converter``);
the hooks it holds are built here once per class and type.  They follow the
proto3 JSON mapping (``wire-protocol.md`` §3):

* attribute ``snake_case`` <-> JSON ``lowerCamelCase``; on input both spellings
  are accepted (the official SDK sends a mix), plus per-class aliases;
* ``bytes`` <-> base64: standard alphabet with padding out, both alphabets and
  optional padding in;
* int64 fields (``Int64``) are written as JSON strings and read from strings or
  numbers; every integer field accepts a decimal string on input;
* ``timedelta`` <-> proto Duration strings (``"10s"``, ``"0.120s"``);
* enums are their names; an unknown name becomes an open-enum pseudo-member;
* unknown keys are kept in ``extra`` and written back unchanged; JSON ``null``
  means "absent".

Decoding never raises anything but :class:`~live_actor.RemoteProtocolError`
(with the dotted path of the offending field) for server frames.  The same
machinery, in strict mode (``config_converter``), structures user-supplied
dicts into configuration objects and rejects unknown keys with a suggestion.
"""

from __future__ import annotations

import binascii
import datetime
import difflib
import enum
import re
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import attrs
import cattrs
import orjson

from .._errors import ConfigError, RemoteProtocolError
from ._messages import (
    CLIENT_MESSAGE_KEYS,
    Blob,
    ClientMessage,
    Content,
    Int64,
    Part,
    RealtimeInput,
    ServerContent,
    ServerMessage,
    _Wire,
)

__all__ = [
    "config_converter",
    "decode_client_message",
    "decode_server_message",
    "encode_client_message",
    "encode_server_message",
    "format_duration",
    "media_input",
    "parse_duration",
    "structure_config",
    "wire_converter",
]

T = TypeVar("T")
StructureFn = Callable[[Any, Any], Any]
UnstructureFn = Callable[[Any], Any]


class _FieldError(Exception):
    """Internal: a value failed to convert; ``path`` grows as it bubbles up."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def under(self, key: str) -> _FieldError:
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


# ------------------------------------------------------------- leaf conversions


def _describe(value: Any) -> str:
    return {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _structure_str(value: Any, _: Any) -> str:
    if type(value) is str:
        return value
    raise _FieldError(f"expected a string, got {_describe(value)}")


def _structure_bool(value: Any, _: Any) -> bool:
    if type(value) is bool:
        return value
    raise _FieldError(f"expected a boolean, got {_describe(value)}")


_INT_RE = re.compile(r"-?[0-9]+")


def _structure_int(value: Any, _: Any) -> int:
    kind = type(value)
    if kind is int:
        result = value
    elif (kind is str and len(value) <= 21 and _INT_RE.fullmatch(value)) or (
        kind is float and value.is_integer()
    ):
        result = int(value)
    else:
        raise _FieldError(f"expected an integer, got {_describe(value)}")
    if -(2**63) <= result < 2**64:  # int64 / uint64: what proto (and orjson) can carry
        return result  # type: ignore[no-any-return]
    raise _FieldError(f"integer out of the 64-bit range: {result}")


def _structure_float(value: Any, _: Any) -> float:
    kind = type(value)
    if kind is float:
        return value  # type: ignore[no-any-return]
    if kind is int:
        return float(value)
    if kind is str and value in ("NaN", "Infinity", "-Infinity"):
        return float(value.replace("Infinity", "inf"))
    raise _FieldError(f"expected a number, got {_describe(value)}")


_URLSAFE_TO_STD = str.maketrans("-_", "+/")


def _structure_bytes(value: Any, _: Any) -> bytes:
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
            raise _FieldError("expected base64 data, got an invalid base64 string") from None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise _FieldError(f"expected base64 data, got {_describe(value)}")


def _unstructure_bytes(value: bytes) -> str:
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


def _structure_duration(value: Any, _: Any) -> datetime.timedelta:
    if type(value) is str:
        try:
            return parse_duration(value)
        except (ValueError, OverflowError):
            raise _FieldError(f"expected a duration like '10s', got {value!r}") from None
    if isinstance(value, datetime.timedelta):
        return value
    if type(value) in (int, float):
        try:
            return datetime.timedelta(seconds=value)
        except (ValueError, OverflowError):
            raise _FieldError(f"duration out of range: {value!r}") from None
    raise _FieldError(f"expected a duration string, got {_describe(value)}")


def _structure_json_object(value: Any, _: Any) -> Mapping[str, Any]:
    if type(value) is dict:
        return value
    if isinstance(value, Mapping):
        return dict(value)
    raise _FieldError(f"expected an object, got {_describe(value)}")


def _structure_any(value: Any, _: Any) -> Any:
    return value


def _enum_hook(cls: type[enum.Enum]) -> StructureFn:
    lookup = {m.value: m for m in cls}

    def structure(value: Any, _: Any) -> Any:
        member = lookup.get(value) if type(value) is str else None
        if member is not None:
            return member
        if isinstance(value, cls):
            return value
        if type(value) is str:
            return cls(value)  # an open enum keeps the unknown name
        raise _FieldError(f"expected an enum name string, got {_describe(value)}")

    return structure


def _unstructure_int64(value: int) -> str:
    return str(value)


# ----------------------------------------------------------------- type helpers


def _strip_optional(tp: Any) -> Any:
    args = typing.get_args(tp)
    if args and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return tp


def _is_sequence(tp: Any) -> bool:
    return typing.get_origin(tp) in (Sequence, list, tuple) and tp is not str


def _is_mapping(tp: Any) -> bool:
    return tp is Mapping or typing.get_origin(tp) in (Mapping, dict)


def _is_wire(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, _Wire)


def _fields(cls: type[Any]) -> tuple[attrs.Attribute[Any], ...]:
    fields: tuple[attrs.Attribute[Any], ...] = attrs.fields(cls)
    return fields


def _is_enum(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, enum.Enum)


# ------------------------------------------------------------ converter builder


def _make_converter(*, strict: bool) -> cattrs.Converter:
    """Build the converter; ``strict`` rejects unknown keys (user config)."""
    conv = cattrs.Converter()

    def structure_hook(tp: Any) -> StructureFn:
        tp = _strip_optional(tp)
        if _is_enum(tp):
            # Open enums are ``StrEnum``s: cattrs' singledispatch would pick the
            # ``str`` hook before the enum factory and return a plain ``str``.
            return _enum_hook(tp)
        return conv.get_structure_hook(tp)

    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(float, _structure_float)
    conv.register_structure_hook(bytes, _structure_bytes)
    conv.register_structure_hook(Int64, _structure_int)
    conv.register_structure_hook(datetime.timedelta, _structure_duration)
    conv.register_structure_hook(typing.Any, _structure_any)
    conv.register_structure_hook_factory(_is_enum, _enum_hook)
    conv.register_structure_hook_factory(_is_mapping, lambda _tp: _structure_json_object)

    def sequence_factory(tp: Any) -> StructureFn:
        (item_tp,) = typing.get_args(tp)[:1] or (Any,)
        item = structure_hook(item_tp)

        def structure(value: Any, _: Any) -> tuple[Any, ...]:
            if type(value) is not list and not isinstance(value, tuple):
                raise _FieldError(f"expected an array, got {_describe(value)}")
            out = []
            for index, element in enumerate(value):
                try:
                    out.append(item(element, item_tp))
                except _FieldError as exc:
                    raise exc.under(f"[{index}]") from None
            return tuple(out)

        return structure

    conv.register_structure_hook_factory(_is_sequence, sequence_factory)

    def wire_factory(cls: type[_Wire]) -> StructureFn:
        hints = typing.get_type_hints(cls)
        table: dict[str, tuple[str, StructureFn, Any]] = {}
        known: list[str] = []
        for field in _fields(cls):
            if field.name == "extra":
                continue
            tp = _strip_optional(hints[field.name])
            entry = (field.name, structure_hook(tp), tp)
            json_name = cls._json_names.get(field.name, camel(field.name))
            table[json_name] = entry
            table[field.name] = entry
            known.append(field.name)
        for alias, target in cls._json_aliases.items():
            table[alias] = table[target]
        # Bypass the frozen __init__ (see _messages.wire): same instance, built faster.
        defaults = {field.name: field.default for field in _fields(cls)}
        new = object.__new__

        def structure(value: Any, _: Any) -> _Wire:
            if type(value) is not dict:
                if isinstance(value, cls):
                    return value
                if not isinstance(value, Mapping):
                    raise _FieldError(f"expected an object, got {_describe(value)}")
            kwargs: dict[str, Any] = {}
            extra: dict[str, Any] | None = None
            for key, element in value.items():
                entry = table.get(key)
                if entry is None:
                    if strict:
                        hint = difflib.get_close_matches(str(key), known, n=1)
                        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
                        raise _FieldError(
                            f"unknown field {key!r} for {cls.__name__}{suggestion}"
                        )
                    if extra is None:
                        extra = {}
                    extra[key] = element
                    continue
                if element is None:
                    continue
                name, hook, tp = entry
                try:
                    kwargs[name] = hook(element, tp)
                except _FieldError as exc:
                    raise exc.under(key) from None
            if extra is not None:
                kwargs["extra"] = extra
            instance = new(cls)
            slots = instance.__dict__
            slots.update(defaults)
            slots.update(kwargs)
            return instance

        return structure

    conv.register_structure_hook_factory(_is_wire, wire_factory)

    # -------------------------------------------------------------- unstructure

    def unstructure_hook(tp: Any) -> UnstructureFn | None:
        """The conversion for a field type, or ``None`` when JSON takes it as is."""
        tp = _strip_optional(tp)
        if tp is bytes:
            return _unstructure_bytes
        if tp is Int64:
            return _unstructure_int64
        if tp is datetime.timedelta:
            return format_duration
        if _is_enum(tp):
            return str
        if _is_wire(tp):
            return conv.get_unstructure_hook(tp)
        if _is_sequence(tp):
            (item_tp,) = typing.get_args(tp)[:1] or (Any,)
            item = unstructure_hook(item_tp)
            if item is None:
                return list
            return lambda seq: [item(x) for x in seq]
        return None

    def wire_unstructure_factory(cls: type[_Wire]) -> UnstructureFn:
        hints = typing.get_type_hints(cls)
        specs: list[tuple[str, str, UnstructureFn | None]] = []
        for field in _fields(cls):
            if field.name == "extra":
                continue
            json_name = cls._json_names.get(field.name, camel(field.name))
            specs.append((field.name, json_name, unstructure_hook(hints[field.name])))

        # Generated straight-line code, as cattrs does: one attribute read and one
        # ``None`` test per field, no loop or tuple unpacking on the per-frame path.
        namespace: dict[str, Any] = {}
        lines = ["def unstructure(obj):", "    d = obj.__dict__", "    out = {}"]
        for position, (name, json_name, hook) in enumerate(specs):
            lines.append(f"    v = d[{name!r}]")
            lines.append("    if v is not None:")
            if hook is None:
                lines.append(f"        out[{json_name!r}] = v")
            else:
                namespace[f"hook{position}"] = hook
                lines.append(f"        out[{json_name!r}] = hook{position}(v)")
        lines += [
            "    extra = d['extra']",
            "    if extra:",
            "        for key, value in extra.items():",
            "            out.setdefault(key, value)",
            "    return out",
        ]
        exec("\n".join(lines), namespace)  # built from attribute and JSON names only
        generated: UnstructureFn = namespace["unstructure"]
        return generated

    conv.register_unstructure_hook_factory(_is_wire, wire_unstructure_factory)
    return conv


#: The codec's converter: lenient, keeps unknown keys (wire frames).
wire_converter = _make_converter(strict=False)
#: Strict twin for user configuration: unknown keys are errors.
config_converter = _make_converter(strict=True)


# --------------------------------------------------------------------- framing


def _unstructure_wire(obj: _Wire) -> dict[str, Any]:
    result: dict[str, Any] = wire_converter.unstructure(obj)
    return result


_CLIENT_DECODE_KEYS: dict[str, tuple[str, type[_Wire]]] = {}
for _cls, _key in CLIENT_MESSAGE_KEYS.items():
    for _spelling in (_key, re.sub(r"([A-Z])", r"_\1", _key).lower()):
        _CLIENT_DECODE_KEYS[_spelling] = (_key, _cls)

_server_structure = wire_converter.get_structure_hook(ServerMessage)


def _load(frame: str | bytes | bytearray | memoryview) -> dict[str, Any]:
    try:
        obj = orjson.loads(frame)
    except orjson.JSONDecodeError as exc:
        raise RemoteProtocolError(f"frame is not valid UTF-8 JSON: {exc}") from None
    except TypeError:
        raise RemoteProtocolError(
            f"frame must be str or bytes, got {type(frame).__name__}"
        ) from None
    if type(obj) is not dict:
        raise RemoteProtocolError(f"frame is not a JSON object but {_describe(obj)}")
    return obj


def decode_server_message(frame: str | bytes | bytearray | memoryview) -> ServerMessage:
    """Decode one server frame (text or binary UTF-8 JSON).

    Raises :class:`RemoteProtocolError` naming the field for anything that is
    not a JSON object matching the protocol's types.  Unknown keys and enum
    values are kept, never an error.
    """
    obj = _load(frame)
    chunk = _audio_chunk(obj)
    if chunk is not None:
        return chunk
    try:
        message: ServerMessage = _server_structure(obj, ServerMessage)
    except _FieldError as exc:
        raise RemoteProtocolError(
            f"invalid server message: {exc.path}: {exc.message}", field=exc.path
        ) from None
    return message


# The per-chunk path of a voice agent, receiving: a model turn's audio arrives as
# ``{"serverContent": {"modelTurn": {"parts": [{"inlineData": {"mimeType": ...,
# "data": ...}}]}}}``, 25 times a second.  That exact shape is built directly
# (the generic hooks cost ~5 µs for its five nested objects); anything else,
# including every variation of it, takes the generic path.  Same instances.

_NEW = object.__new__
_DEFAULTS: dict[type[Any], dict[str, Any]] = {
    cls: {field.name: field.default for field in _fields(cls)}
    for cls in (ServerMessage, ServerContent, Content, Part, Blob)
}


def _build(cls: type[T], name: str, value: Any) -> T:
    instance = _NEW(cls)
    values = instance.__dict__
    values.update(_DEFAULTS[cls])
    values[name] = value
    return instance


def _audio_chunk(obj: dict[str, Any]) -> ServerMessage | None:
    """The message of an audio chunk frame of exactly the shape above, else ``None``."""
    if len(obj) != 1:
        return None
    content = obj.get("serverContent")
    if type(content) is not dict or len(content) != 1:
        return None
    turn = content.get("modelTurn")
    if type(turn) is not dict or len(turn) != 1:
        return None
    parts = turn.get("parts")
    if type(parts) is not list or len(parts) != 1:
        return None
    part = parts[0]
    if type(part) is not dict or len(part) != 1:
        return None
    inline = part.get("inlineData")
    if type(inline) is not dict or len(inline) != 2:
        return None
    mime, data = inline.get("mimeType"), inline.get("data")
    if type(mime) is not str or type(data) is not str:
        return None
    try:
        pcm = binascii.a2b_base64(data, strict_mode=True)
    except ValueError:
        return None  # the generic path accepts the URL-safe alphabet, or says what is wrong
    blob = _build(Blob, "mime_type", mime)
    blob.__dict__["data"] = pcm
    part_ = _build(Part, "inline_data", blob)
    model_turn = _build(Content, "parts", (part_,))
    server_content = _build(ServerContent, "model_turn", model_turn)
    return _build(ServerMessage, "server_content", server_content)


def decode_client_message(frame: str | bytes | bytearray | memoryview) -> ClientMessage:
    """Decode one client frame (camelCase or snake_case top-level key)."""
    obj = _load(frame)
    found = [(key, _CLIENT_DECODE_KEYS[key]) for key in obj if key in _CLIENT_DECODE_KEYS]
    if len(found) != 1:
        raise RemoteProtocolError(
            "a client message must have exactly one of setup, clientContent, "
            f"realtimeInput, toolResponse, contextUpdate; got keys {sorted(obj)!r}"
        )
    key, (canonical, cls) = found[0]
    try:
        message: ClientMessage = wire_converter.structure(obj[key], cls)  # type: ignore[assignment]
    except _FieldError as exc:
        path = f"{canonical}.{exc.path}" if exc.path else canonical
        raise RemoteProtocolError(
            f"invalid client message: {path}: {exc.message}", field=path
        ) from None
    return message


def encode_client_message(message: ClientMessage) -> str:
    """Encode a client message as the JSON text of one WebSocket text frame."""
    if type(message) is RealtimeInput:
        frame = _encode_media_input(message)
        if frame is not None:
            return frame
    key = CLIENT_MESSAGE_KEYS[type(message)]
    return orjson.dumps({key: _unstructure_wire(message)}).decode()


# The per-chunk path of a voice agent: one audio chunk or video frame per
# ``realtimeInput``.  It is built and encoded without the generic machinery
# (frozen ``__init__``, generated unstructure, orjson of a nested dict), which
# costs several microseconds per 20 ms chunk; the JSON is the same.

_BLOB_DEFAULTS = {field.name: field.default for field in _fields(Blob)}
_INPUT_DEFAULTS = {field.name: field.default for field in _fields(RealtimeInput)}
_MEDIA_ONLY = {name: default for name, default in _INPUT_DEFAULTS.items() if name != "audio"}
_MEDIA_ONLY.pop("video")
#: MIME type -> its JSON string literal (MIME types of a session are few).
_MIME_JSON: dict[str, str] = {}
_b64encode = binascii.b2a_base64


def media_input(data: bytes, mime_type: str, *, field: str = "audio") -> RealtimeInput:
    """``RealtimeInput(<field>=Blob(mime_type=..., data=...))``, built directly.

    Same instance as the keyword constructor, minus the frozen ``__init__``'s
    per-field ``object.__setattr__`` (see ``_messages.wire``).
    """
    blob = object.__new__(Blob)
    values = blob.__dict__
    values.update(_BLOB_DEFAULTS)
    values["mime_type"] = mime_type
    values["data"] = data
    message = object.__new__(RealtimeInput)
    values = message.__dict__
    values.update(_INPUT_DEFAULTS)
    values[field] = blob
    return message


def _encode_media_input(message: RealtimeInput) -> str | None:
    """The frame of a realtimeInput carrying one plain audio/video blob, else ``None``."""
    fields = message.__dict__
    audio = fields["audio"]
    if audio is not None:
        key, blob = "audio", audio
        if fields["video"] is not None:
            return None
    else:
        key, blob = "video", fields["video"]
        if blob is None:
            return None
    for name, default in _MEDIA_ONLY.items():
        if fields[name] is not default:
            return None
    if type(blob) is not Blob:
        return None
    values = blob.__dict__
    data, mime = values["data"], values["mime_type"]
    if values["extra"] or values["display_name"] is not None or type(data) is not bytes:
        return None
    encoded = _b64encode(data, newline=False).decode("ascii")
    if mime is None:
        return '{"realtimeInput":{"' + key + '":{"data":"' + encoded + '"}}}'
    mime_json = _MIME_JSON.get(mime)
    if mime_json is None:
        if type(mime) is not str:
            return None
        mime_json = orjson.dumps(mime).decode()
        if len(_MIME_JSON) < 64:
            _MIME_JSON[mime] = mime_json
    return (
        '{"realtimeInput":{"' + key + '":{"mimeType":' + mime_json + ',"data":"' + encoded + '"}}}'
    )


def encode_server_message(message: ServerMessage) -> bytes:
    """Encode a server message as UTF-8 JSON (the service sends binary frames)."""
    return orjson.dumps(_unstructure_wire(message))


def structure_config(value: Any, cls: type[T], *, what: str) -> T:
    """Structure user configuration strictly; errors become :class:`ConfigError`."""
    try:
        result: T = config_converter.structure(value, cls)
    except _FieldError as exc:
        where = f"{what}.{exc.path}" if exc.path else what
        raise ConfigError(f"invalid {where}: {exc.message}") from None
    return result
