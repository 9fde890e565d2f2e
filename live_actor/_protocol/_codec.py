"""The codec: JSON frames <-> the frozen attrs classes of ``_messages``.

One cattrs converter is the registry of every conversion (``wire_converter``);
the hooks it holds are built here once per class and type, from the leaf
conversions of ``_scalars``; the per-chunk audio/video path bypasses them
(``_media``).  They follow the proto3 JSON mapping (``wire-protocol.md`` §3):

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
from ._media import audio_chunk_message, encode_media_input
from ._messages import (
    CLIENT_MESSAGE_KEYS,
    ClientMessage,
    Int64,
    RealtimeInput,
    ServerMessage,
    _Wire,
)
from ._scalars import (
    FieldError,
    StructureFn,
    camel,
    describe,
    enum_hook,
    format_duration,
    structure_any,
    structure_bool,
    structure_bytes,
    structure_duration,
    structure_float,
    structure_int,
    structure_json_object,
    structure_str,
    unstructure_bytes,
    unstructure_int64,
)

__all__ = [
    "config_converter",
    "decode_client_message",
    "decode_server_message",
    "encode_client_message",
    "encode_server_message",
    "structure_config",
    "wire_converter",
]

T = TypeVar("T")
UnstructureFn = Callable[[Any], Any]


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
#
# The hooks are built once per class and field type, when a type is first
# converted; the functions below build them for a given converter.


def _structure_hook_for(conv: cattrs.Converter, tp: Any) -> StructureFn:
    """The structure hook of a field type (``Optional`` stripped)."""
    tp = _strip_optional(tp)
    if _is_enum(tp):
        # Open enums are ``StrEnum``s: cattrs' singledispatch would pick the
        # ``str`` hook before the enum factory and return a plain ``str``.
        return enum_hook(tp)
    return conv.get_structure_hook(tp)


def _sequence_structure_hook(conv: cattrs.Converter, tp: Any) -> StructureFn:
    """Arrays -> tuples, each element by its item type's hook; errors name the index."""
    (item_tp,) = typing.get_args(tp)[:1] or (Any,)
    item = _structure_hook_for(conv, item_tp)

    def structure(value: Any, _: Any) -> tuple[Any, ...]:
        if type(value) is not list and not isinstance(value, tuple):
            raise FieldError(f"expected an array, got {describe(value)}")
        out = []
        for index, element in enumerate(value):
            try:
                out.append(item(element, item_tp))
            except FieldError as exc:
                raise exc.under(f"[{index}]") from None
        return tuple(out)

    return structure


def _wire_structure_hook(conv: cattrs.Converter, cls: type[_Wire], *, strict: bool) -> StructureFn:
    """JSON object -> wire class, both key spellings and aliases; ``strict`` refuses
    unknown keys with a suggestion, otherwise they are kept in ``extra``."""
    hints = typing.get_type_hints(cls)
    table: dict[str, tuple[str, StructureFn, Any]] = {}
    known: list[str] = []
    for field in _fields(cls):
        if field.name == "extra":
            continue
        tp = _strip_optional(hints[field.name])
        entry = (field.name, _structure_hook_for(conv, tp), tp)
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
                raise FieldError(f"expected an object, got {describe(value)}")
        kwargs: dict[str, Any] = {}
        extra: dict[str, Any] | None = None
        for key, element in value.items():
            entry = table.get(key)
            if entry is None:
                if strict:
                    hint = difflib.get_close_matches(str(key), known, n=1)
                    suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
                    raise FieldError(f"unknown field {key!r} for {cls.__name__}{suggestion}")
                if extra is None:
                    extra = {}
                extra[key] = element
                continue
            if element is None:
                continue
            name, hook, tp = entry
            try:
                kwargs[name] = hook(element, tp)
            except FieldError as exc:
                raise exc.under(key) from None
        if extra is not None:
            kwargs["extra"] = extra
        instance = new(cls)
        slots = instance.__dict__
        slots.update(defaults)
        slots.update(kwargs)
        return instance

    return structure


def _unstructure_hook_for(conv: cattrs.Converter, tp: Any) -> UnstructureFn | None:
    """The conversion for a field type, or ``None`` when JSON takes it as is."""
    tp = _strip_optional(tp)
    if tp is bytes:
        return unstructure_bytes
    if tp is Int64:
        return unstructure_int64
    if tp is datetime.timedelta:
        return format_duration
    if _is_enum(tp):
        return str
    if _is_wire(tp):
        return conv.get_unstructure_hook(tp)
    if _is_sequence(tp):
        (item_tp,) = typing.get_args(tp)[:1] or (Any,)
        item = _unstructure_hook_for(conv, item_tp)
        if item is None:
            return list
        return lambda seq: [item(x) for x in seq]
    return None


def _wire_unstructure_hook(conv: cattrs.Converter, cls: type[_Wire]) -> UnstructureFn:
    """Wire class -> JSON object (camelCase keys, ``None`` left out, ``extra`` kept)."""
    hints = typing.get_type_hints(cls)
    specs: list[tuple[str, str, UnstructureFn | None]] = []
    for field in _fields(cls):
        if field.name == "extra":
            continue
        json_name = cls._json_names.get(field.name, camel(field.name))
        specs.append((field.name, json_name, _unstructure_hook_for(conv, hints[field.name])))

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


def _make_converter(*, strict: bool) -> cattrs.Converter:
    """Build the converter; ``strict`` rejects unknown keys (user config)."""
    conv = cattrs.Converter()
    conv.register_structure_hook(str, structure_str)
    conv.register_structure_hook(bool, structure_bool)
    conv.register_structure_hook(int, structure_int)
    conv.register_structure_hook(float, structure_float)
    conv.register_structure_hook(bytes, structure_bytes)
    conv.register_structure_hook(Int64, structure_int)
    conv.register_structure_hook(datetime.timedelta, structure_duration)
    conv.register_structure_hook(typing.Any, structure_any)
    conv.register_structure_hook_factory(_is_enum, enum_hook)
    conv.register_structure_hook_factory(_is_mapping, lambda _tp: structure_json_object)
    conv.register_structure_hook_factory(
        _is_sequence, lambda tp: _sequence_structure_hook(conv, tp)
    )
    conv.register_structure_hook_factory(
        _is_wire, lambda cls: _wire_structure_hook(conv, cls, strict=strict)
    )
    conv.register_unstructure_hook_factory(_is_wire, lambda cls: _wire_unstructure_hook(conv, cls))
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
        raise RemoteProtocolError(f"frame is not a JSON object but {describe(obj)}")
    return obj


def decode_server_message(frame: str | bytes | bytearray | memoryview) -> ServerMessage:
    """Decode one server frame (text or binary UTF-8 JSON).

    Raises :class:`RemoteProtocolError` naming the field for anything that is
    not a JSON object matching the protocol's types.  Unknown keys and enum
    values are kept, never an error.
    """
    obj = _load(frame)
    chunk = audio_chunk_message(obj)
    if chunk is not None:
        return chunk
    try:
        message: ServerMessage = _server_structure(obj, ServerMessage)
    except FieldError as exc:
        raise RemoteProtocolError(
            f"invalid server message: {exc.path}: {exc.message}", field=exc.path
        ) from None
    return message


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
    except FieldError as exc:
        path = f"{canonical}.{exc.path}" if exc.path else canonical
        raise RemoteProtocolError(
            f"invalid client message: {path}: {exc.message}", field=path
        ) from None
    return message


def encode_client_message(message: ClientMessage) -> str:
    """Encode a client message as the JSON text of one WebSocket text frame."""
    if type(message) is RealtimeInput:
        frame = encode_media_input(message)
        if frame is not None:
            return frame
    key = CLIENT_MESSAGE_KEYS[type(message)]
    return orjson.dumps({key: _unstructure_wire(message)}).decode()


def encode_server_message(message: ServerMessage) -> bytes:
    """Encode a server message as UTF-8 JSON (the service sends binary frames)."""
    return orjson.dumps(_unstructure_wire(message))


def structure_config(value: Any, cls: type[T], *, what: str) -> T:
    """Structure user configuration strictly; errors become :class:`ConfigError`."""
    try:
        result: T = config_converter.structure(value, cls)
    except FieldError as exc:
        where = f"{what}.{exc.path}" if exc.path else what
        raise ConfigError(f"invalid {where}: {exc.message}") from None
    return result
