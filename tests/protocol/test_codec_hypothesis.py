"""Property tests of the codec: exact round trips, and nothing but RemoteProtocolError.

Strategies live in ``tests/protocol/strategies.py`` (derived from the wire
classes themselves, so new fields are covered automatically).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import typing
from collections.abc import Iterator, Sequence
from typing import Any

import attrs
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from live_actor import RemoteProtocolError
from live_actor._protocol._codec import wire_converter
from live_actor._protocol._messages import CLIENT_MESSAGE_KEYS, _Wire
from live_actor._protocol._scalars import camel, format_duration, parse_duration
from live_actor.types import ServerMessage
from live_actor.wire import (
    decode_client_message,
    decode_server_message,
    encode_client_message,
    encode_server_message,
)

from ..helpers import strip_optional
from . import strategies as S

ROUND_TRIP = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------ shape-aware walk


def _is_wire(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, _Wire)


def _is_sequence(tp: Any) -> bool:
    return typing.get_origin(tp) in (Sequence, list, tuple)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def positions(tp: Any, value: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    """Every (json path, container, key) of a *modelled* field inside ``value``.

    Free-form JSON (``args``, schemas, ``extra``) is not descended into: any
    value is acceptable there.
    """
    tp = strip_optional(tp)
    if _is_wire(tp) and type(value) is dict:
        hints = typing.get_type_hints(tp)
        for field in attrs.fields(tp):
            if field.name == "extra":
                continue
            key = tp._json_names.get(field.name, camel(field.name))
            if key in value:
                sub = _join(path, key)
                yield sub, value, key
                yield from positions(hints[field.name], value[key], sub)
    elif _is_sequence(tp) and type(value) is list:
        (item_tp,) = typing.get_args(tp)[:1]
        for index, element in enumerate(value):
            sub = f"{path}[{index}]"
            yield sub, value, index
            yield from positions(item_tp, element, sub)


def snake_cased(tp: Any, value: Any) -> Any:
    """``value`` with every modelled key respelled as the Python field name."""
    tp = strip_optional(tp)
    if _is_wire(tp) and type(value) is dict:
        hints = typing.get_type_hints(tp)
        by_json = {
            tp._json_names.get(f.name, camel(f.name)): f.name
            for f in attrs.fields(tp)
            if f.name != "extra"
        }
        out = {}
        for key, element in value.items():
            name = by_json.get(key)
            if name is None:  # extra: kept verbatim
                out[key] = element
            else:
                out[name] = snake_cased(hints[name], element)
        return out
    if _is_sequence(tp) and type(value) is list:
        (item_tp,) = typing.get_args(tp)[:1]
        return [snake_cased(item_tp, element) for element in value]
    return value


def _under(field: str | None, path: str) -> bool:
    return field is not None and (
        field == path or field.startswith(path + ".") or field.startswith(path + "[")
    )


# ----------------------------------------------------------------- round trips


@ROUND_TRIP
@given(S.server_messages)
def test_server_message_round_trip(message: ServerMessage) -> None:
    frame = encode_server_message(message)
    assert isinstance(frame, bytes)
    assert decode_server_message(frame) == message
    # Text frames and bytes frames decode identically.
    assert decode_server_message(frame.decode()) == message
    # The snake_case spelling (proto3 JSON parsers accept both) decodes the same.
    snake = snake_cased(ServerMessage, orjson.loads(frame))
    assert decode_server_message(orjson.dumps(snake)) == message


@ROUND_TRIP
@given(S.client_messages)
def test_client_message_round_trip(message: Any) -> None:
    frame = encode_client_message(message)
    assert isinstance(frame, str)
    assert decode_client_message(frame) == message
    assert decode_client_message(frame.encode()) == message
    # snake_case spelling, top-level key included (what google-genai sends)
    cls = type(message)
    key = CLIENT_MESSAGE_KEYS[cls]
    snake_key = "".join("_" + c.lower() if c.isupper() else c for c in key)
    snake = {snake_key: snake_cased(cls, orjson.loads(frame)[key])}
    assert decode_client_message(orjson.dumps(snake)) == message


_NESTED_CLASSES = [
    cls for cls in S.WIRE_CLASSES if cls is not ServerMessage and cls not in CLIENT_MESSAGE_KEYS
]


@pytest.mark.parametrize("cls", _NESTED_CLASSES, ids=lambda c: c.__name__)
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_each_wire_class_round_trips(cls: type[Any], data: st.DataObject) -> None:
    """Every class on its own, so deep leaf fields are drawn often enough.

    Uses the codec's converter directly (the same hooks the frame functions use).
    """
    value = data.draw(S.STRATEGIES[cls])
    json_text = orjson.dumps(wire_converter.unstructure(value))
    assert wire_converter.structure(orjson.loads(json_text), cls) == value


@ROUND_TRIP
@given(S.single_realtime_inputs)
def test_single_field_realtime_input_round_trip(message: Any) -> None:
    frame = encode_client_message(message)
    (payload,) = json.loads(frame).values()
    assert len(payload) == 1
    assert decode_client_message(frame) == message


@pytest.mark.parametrize("cls", list(CLIENT_MESSAGE_KEYS), ids=lambda c: CLIENT_MESSAGE_KEYS[c])
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_each_client_message_kind_round_trips(cls: type[Any], data: st.DataObject) -> None:
    message = data.draw(S.STRATEGIES[cls])
    assert decode_client_message(encode_client_message(message)) == message


@settings(max_examples=200, deadline=None)
@given(S.TIMEDELTAS)
def test_duration_format_parse_round_trip(delta: datetime.timedelta) -> None:
    assert parse_duration(format_duration(delta)) == delta


@settings(max_examples=200, deadline=None)
@given(
    negative=st.booleans(),
    seconds=st.integers(0, 10**9),
    nanos=st.from_regex(r"\A[0-9]{1,9}\Z"),
)
def test_duration_parse_truncates_to_microseconds(negative: bool, seconds: int, nanos: str) -> None:
    text = f"{'-' if negative else ''}{seconds}.{nanos}s"
    micros = int(nanos.ljust(9, "0")[:6])
    expected = datetime.timedelta(seconds=seconds, microseconds=micros)
    assert parse_duration(text) == (-expected if negative else expected)


# ----------------------------------------------------- only RemoteProtocolError


def _decode_both(frame: Any) -> None:
    for decode in (decode_server_message, decode_client_message):
        with contextlib.suppress(RemoteProtocolError):
            decode(frame)


@FUZZ
@given(st.binary(max_size=64))
def test_arbitrary_bytes_raise_only_remote_protocol_error(frame: bytes) -> None:
    _decode_both(frame)


@FUZZ
@given(st.text(max_size=64))
def test_arbitrary_text_raises_only_remote_protocol_error(frame: str) -> None:
    try:
        frame.encode()
    except UnicodeEncodeError:  # lone surrogates: not a str a WebSocket can deliver
        return
    _decode_both(frame)


@FUZZ
@given(S.json_values)
def test_arbitrary_json_values_raise_only_remote_protocol_error(value: Any) -> None:
    _decode_both(orjson.dumps(value))


_SERVER_KEYS = sorted(S.known_json_keys(ServerMessage))
_CLIENT_KEYS = sorted({*CLIENT_MESSAGE_KEYS.values(), "client_content", "realtime_input"})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(_SERVER_KEYS + _CLIENT_KEYS) | S.SHORT_TEXT,
        S.json_values | st.dictionaries(S.SHORT_TEXT, S.json_values, max_size=4),
        max_size=4,
    )
)
def test_arbitrary_objects_with_known_keys_raise_only_remote_protocol_error(
    obj: dict[str, Any],
) -> None:
    _decode_both(orjson.dumps(obj))


def _mutate(data: st.DataObject, spots: list[tuple[str, Any, Any]]) -> str:
    path, container, key = data.draw(st.sampled_from(spots), label="spot")
    container[key] = data.draw(S.json_values, label="replacement")
    return path


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(message=S.server_messages, data=st.data())
def test_type_mutations_of_server_messages(message: ServerMessage, data: st.DataObject) -> None:
    obj = orjson.loads(encode_server_message(message))
    spots = list(positions(ServerMessage, obj, ""))
    if not spots:
        return
    path = _mutate(data, spots)
    try:
        decoded = decode_server_message(orjson.dumps(obj))
    except RemoteProtocolError as exc:
        assert _under(exc.field, path), (exc.field, path)
    else:
        # Whatever was accepted can be written back out.
        encode_server_message(decoded)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(message=S.client_messages, data=st.data())
def test_type_mutations_of_client_messages(message: Any, data: st.DataObject) -> None:
    key = CLIENT_MESSAGE_KEYS[type(message)]
    obj = orjson.loads(encode_client_message(message))
    spots = [(key, obj, key), *positions(type(message), obj[key], key)]
    path = _mutate(data, spots)
    try:
        decoded = decode_client_message(orjson.dumps(obj))
    except RemoteProtocolError as exc:
        assert _under(exc.field, path), (exc.field, path)
    else:
        encode_client_message(decoded)


@FUZZ
@given(st.sampled_from(S.WIRE_CLASSES), S.json_values)
def test_wrong_shapes_at_the_top_of_each_field(cls: type[Any], value: Any) -> None:
    """A random JSON value under each top-level server key and client key."""
    for key in S.known_json_keys(ServerMessage):
        try:
            decode_server_message(orjson.dumps({key: value}))
        except RemoteProtocolError as exc:
            assert _under(exc.field, key), (exc.field, key)
    if cls in CLIENT_MESSAGE_KEYS:
        with contextlib.suppress(RemoteProtocolError):
            decode_client_message(orjson.dumps({CLIENT_MESSAGE_KEYS[cls]: value}))


def test_walker_sees_nested_fields() -> None:
    """Sanity check of the mutation helper itself."""
    obj = {"serverContent": {"modelTurn": {"parts": [{"inlineData": {"data": "AA=="}}]}}}
    paths = [p for p, _, _ in positions(ServerMessage, obj, "")]
    assert "serverContent.modelTurn.parts[0].inlineData.data" in paths
    assert "serverContent.modelTurn.parts[0]" in paths


# ------------------------------------------------- the per-chunk media path


def _generic_frame(message: Any) -> Any:
    key = CLIENT_MESSAGE_KEYS[type(message)]
    return orjson.loads(orjson.dumps({key: wire_converter.unstructure(message)}))


@ROUND_TRIP
@given(S.client_messages)
def test_media_fast_path_encodes_like_the_generic_encoder(message: Any) -> None:
    """The direct realtimeInput encoder is an optimisation only: same JSON, every message."""
    assert orjson.loads(encode_client_message(message)) == _generic_frame(message)


@ROUND_TRIP
@given(
    data=st.binary(max_size=2048),
    mime=st.one_of(st.none(), st.text(max_size=30), st.sampled_from(["audio/pcm;rate=16000"])),
    field=st.sampled_from(["audio", "video"]),
    extra=st.one_of(
        st.none(),
        st.dictionaries(
            st.sampled_from(["futureField", "x"]), st.integers(-(2**31), 2**31), min_size=1
        ),
    ),
    display_name=st.one_of(st.none(), st.text(max_size=5)),
)
def test_plain_blob_inputs_encode_like_the_generic_encoder(
    data: bytes, mime: str | None, field: str, extra: Any, display_name: str | None
) -> None:
    from live_actor.types import Blob, RealtimeInput

    blob = Blob(mime_type=mime, data=data, extra=extra, display_name=display_name)
    message = RealtimeInput(**{field: blob})
    frame = encode_client_message(message)
    assert orjson.loads(frame) == _generic_frame(message)
    assert decode_client_message(frame) == message


@ROUND_TRIP
@given(
    data=st.binary(max_size=2048),
    mime=st.text(max_size=30),
    field=st.sampled_from(["audio", "video"]),
)
def test_media_input_builds_the_same_instance_as_the_constructor(
    data: bytes, mime: str, field: str
) -> None:
    from live_actor._protocol._media import media_input
    from live_actor.types import Blob, RealtimeInput

    built = media_input(data, mime, field=field)
    expected = RealtimeInput(**{field: Blob(mime_type=mime, data=data)})
    assert built == expected
    assert hash(built) == hash(expected)
    assert repr(built) == repr(expected)
    assert vars(built) == vars(expected)
