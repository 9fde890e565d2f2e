"""The per-chunk fast paths of the codec build exactly what the generic path builds."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from live_actor._errors import RemoteProtocolError
from live_actor._protocol._codec import (
    _load,
    _server_structure,
    decode_server_message,
    encode_server_message,
)
from live_actor._protocol._messages import ServerMessage

from .strategies import server_messages


def _generic(frame: bytes) -> ServerMessage:
    message: ServerMessage = _server_structure(_load(frame), ServerMessage)
    return message


def _same(a: ServerMessage, b: ServerMessage) -> None:
    assert a == b
    assert repr(a) == repr(b)
    assert vars(a) == vars(b)
    content_a, content_b = a.server_content, b.server_content
    if content_a is not None and content_b is not None:
        assert vars(content_a) == vars(content_b)
        turn_a, turn_b = content_a.model_turn, content_b.model_turn
        if turn_a is not None and turn_b is not None:
            assert vars(turn_a) == vars(turn_b)
            for part_a, part_b in zip(turn_a.parts or (), turn_b.parts or (), strict=True):
                assert vars(part_a) == vars(part_b)
                if part_a.inline_data is not None and part_b.inline_data is not None:
                    assert vars(part_a.inline_data) == vars(part_b.inline_data)


def _audio(mime: Any, data: Any) -> dict[str, Any]:
    return _chunk({"mimeType": mime, "data": data})


def _chunk(
    inline: dict[str, Any],
    *,
    part: dict[str, Any] | None = None,
    turn: dict[str, Any] | None = None,
    content: dict[str, Any] | None = None,
    top: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The audio chunk shape with ``inline`` as its blob and extra keys at each level."""
    parts = [{"inlineData": inline, **(part or {})}]
    model_turn = {"parts": parts, **(turn or {})}
    return {"serverContent": {"modelTurn": model_turn, **(content or {})}, **(top or {})}


BLOB = {"mimeType": "audio/pcm;rate=24000", "data": "AAAA"}


@given(data=st.binary(max_size=4096), mime=st.text(max_size=40))
def test_an_audio_chunk_decodes_to_the_generic_instance(data: bytes, mime: str) -> None:
    frame = orjson.dumps(_audio(mime, base64.b64encode(data).decode()))
    decoded = decode_server_message(frame)
    _same(decoded, _generic(frame))
    assert decoded.data == data


@pytest.mark.parametrize(
    "obj",
    [
        # every variation of the shape takes the generic path, and decodes the same
        _chunk({"data": "AAAA"}),
        _chunk({"mimeType": "a", "data": "AA"}),  # unpadded
        _chunk({"mimeType": "a", "data": "-_-_"}),  # URL-safe alphabet
        _chunk({"mimeType": None, "data": "AAAA"}),
        _chunk({**BLOB, "displayName": "x"}),
        _chunk({**BLOB, "unknown": 1}),
        _chunk(BLOB, part={"thought": True}),
        _chunk(BLOB, turn={"role": "model"}),
        _chunk(BLOB, content={"turnComplete": True}),
        _chunk(BLOB, top={"usageMetadata": {}}),
        {"serverContent": {"modelTurn": {"parts": [{"inlineData": BLOB}, {"text": "hi"}]}}},
        {"serverContent": {"modelTurn": {"parts": [{"inline_data": BLOB}]}}},
        {"server_content": {"model_turn": {"parts": [{"inlineData": BLOB}]}}},
    ],
)
def test_variations_of_the_shape_decode_like_the_generic_path(obj: dict[str, Any]) -> None:
    frame = orjson.dumps(obj)
    _same(decode_server_message(frame), _generic(frame))


@pytest.mark.parametrize(
    "obj",
    [
        _audio(1, "AAAA"),
        _audio("a", 1),
        _audio("a", "not base64!"),
        {"serverContent": {"modelTurn": {"parts": {"inlineData": BLOB}}}},
    ],
)
def test_bad_audio_chunks_are_still_refused_with_the_field(obj: dict[str, Any]) -> None:
    with pytest.raises(RemoteProtocolError) as caught:
        decode_server_message(orjson.dumps(obj))
    assert caught.value.field is not None and caught.value.field.startswith("serverContent")


@given(message=server_messages)
def test_every_server_message_decodes_like_the_generic_path(message: ServerMessage) -> None:
    frame = encode_server_message(message)
    _same(decode_server_message(frame), _generic(frame))
