"""The captured samples (tests/data, copied from the wire-protocol probe) decode and re-encode.

Every client frame google-genai 3.4.0 produced in the probe must decode, and
re-encoding must give the same JSON up to what the protocol treats as
equivalent: field-name casing (proto3 JSON accepts snake_case and
lowerCamelCase), the base64 alphabet/padding (the SDK writes URL-safe, we
write standard), int64 as string or number, ``40`` vs ``40.0``, and the
spelling of durations.  Free-form objects (function ``args``, ``response``,
schemas) and unknown keys must come back byte-for-byte.
"""

from __future__ import annotations

import base64
import datetime
import json
import pathlib
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import pytest

from live_actor._protocol._messages import CLIENT_MESSAGE_KEYS, Int64, Setup, _Wire
from live_actor._protocol._scalars import camel
from live_actor.types import ServerMessage
from live_actor.wire import (
    decode_client_message,
    decode_server_message,
    encode_client_message,
    encode_server_message,
)

from ..helpers import strip_optional

DATA = pathlib.Path(__file__).parent.parent / "data"

_CLIENT_KEYS = {
    spelling: (key, cls)
    for cls, key in CLIENT_MESSAGE_KEYS.items()
    for spelling in (key, "".join("_" + c.lower() if c.isupper() else c for c in key))
}


# ------------------------------------------------------------------ normaliser


def _b64(text: str) -> bytes:
    """Lenient base64: either alphabet, padding optional (independent of the codec)."""
    text = text.replace("-", "+").replace("_", "/").rstrip("=")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _duration(text: str) -> datetime.timedelta:
    assert text.endswith("s"), text
    sign = -1 if text.startswith("-") else 1
    whole, _, frac = text.lstrip("-")[:-1].partition(".")
    return sign * datetime.timedelta(seconds=int(whole), microseconds=int(frac.ljust(9, "0")[:6]))


def canonical(tp: Any, value: Any) -> Any:
    """``value`` (JSON) with modelled keys in canonical lowerCamelCase and
    leaves normalised (bytes decoded, numbers as numbers, durations parsed).

    Only keys of modelled objects are renamed: free-form objects and unknown
    keys are returned verbatim.  Written from the type hints, not the codec.
    """
    tp = strip_optional(tp)
    if value is None:
        return None
    if isinstance(tp, type) and issubclass(tp, _Wire):
        assert type(value) is dict, (tp, value)
        hints = typing.get_type_hints(tp)
        spellings: dict[str, str] = {}
        for field in attrs.fields(tp):
            if field.name == "extra":
                continue
            json_name = tp._json_names.get(field.name, camel(field.name))
            spellings[field.name] = spellings[camel(field.name)] = json_name
            spellings[json_name] = json_name
        for alias, target in tp._json_aliases.items():
            spellings[alias] = tp._json_names.get(target, camel(target))
        by_json = {v: k for k, v in spellings.items() if k in hints}
        out: dict[str, Any] = {}
        for key, element in value.items():
            json_name = spellings.get(key)
            if json_name is None:
                out[key] = element  # unknown: verbatim
            elif element is not None:
                out[json_name] = canonical(hints[by_json[json_name]], element)
        return out
    origin = typing.get_origin(tp)
    if origin in (Sequence, list, tuple):
        (item_tp,) = typing.get_args(tp)[:1]
        return [canonical(item_tp, element) for element in value]
    if tp is bytes:
        return _b64(value)
    if tp in (int, Int64):
        return int(value)
    if tp is float:
        return float(value)
    if tp is datetime.timedelta:
        return _duration(value) if isinstance(value, str) else datetime.timedelta(seconds=value)
    return value  # str, bool, enums, Any, Mapping (free-form: verbatim)


def canonical_client(frame: Mapping[str, Any]) -> dict[str, Any]:
    (spelling,) = frame
    key, cls = _CLIENT_KEYS[spelling]
    return {key: canonical(cls, frame[spelling])}


# ---------------------------------------------------------------------- samples


def _load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def _is_client_message(obj: Any) -> bool:
    return isinstance(obj, dict) and len(obj) == 1 and next(iter(obj)) in _CLIENT_KEYS


ALL_JSON = sorted(p.name for p in DATA.glob("*.json"))
CLIENT_SAMPLES = [name for name in ALL_JSON if _is_client_message(_load(name))]
SHOWCASE = _load("server_messages_showcase.json")


def test_samples_were_copied() -> None:
    """tests/data holds the probe's samples; the classification finds them all."""
    assert len(ALL_JSON) >= 27
    assert (DATA / "raw_client_frames.jsonl").exists()
    assert len(CLIENT_SAMPLES) == 17, CLIENT_SAMPLES
    assert not any(n.startswith(("handshake", "rest_", "server_")) for n in CLIENT_SAMPLES)


@pytest.mark.parametrize("name", CLIENT_SAMPLES)
def test_client_sample_decodes_and_re_encodes(name: str) -> None:
    raw = (DATA / name).read_text()
    original = json.loads(raw)
    message = decode_client_message(raw)
    assert type(message) is _CLIENT_KEYS[next(iter(original))][1]
    # Binary frames decode the same.
    assert decode_client_message(raw.encode()) == message
    encoded = json.loads(encode_client_message(message))
    assert canonical_client(encoded) == canonical_client(original)
    # We emit camelCase only, and re-decoding is a fixed point.
    assert next(iter(encoded)) in CLIENT_MESSAGE_KEYS.values()
    assert decode_client_message(encode_client_message(message)) == message


def test_setup_rich_details() -> None:
    setup = decode_client_message((DATA / "setup_rich.json").read_text())
    assert isinstance(setup, Setup)
    assert setup.generation_config is not None
    assert setup.generation_config.top_k == 40.0
    speech = setup.generation_config.speech_config
    assert speech is not None and speech.voice_config is not None
    assert speech.voice_config.prebuilt_voice_config is not None
    assert speech.voice_config.prebuilt_voice_config.voice_name == "Kore"
    assert setup.realtime_input_config is not None
    vad = setup.realtime_input_config.automatic_activity_detection
    assert vad is not None and vad.silence_duration_ms == 500
    assert setup.context_window_compression is not None
    assert setup.context_window_compression.trigger_tokens == 25600
    assert setup.tools is not None
    declarations = setup.tools[-1].function_declarations
    assert declarations is not None
    # Free-form schema keys are kept exactly (no case conversion).
    assert declarations[1].parameters_json_schema == {
        "type": "object",
        "properties": {"room": {"type": "string"}},
    }
    assert setup.extra is None  # nothing unknown in a real SDK setup


def test_audio_sample_bytes_match_urlsafe_base64() -> None:
    raw = json.loads((DATA / "realtime_input_audio.json").read_text())
    message = decode_client_message(json.dumps(raw))
    assert message.audio is not None  # type: ignore[union-attr]
    expected = base64.urlsafe_b64decode(raw["realtime_input"]["audio"]["data"])
    assert message.audio.data == expected  # type: ignore[union-attr]
    out = json.loads(encode_client_message(message))
    assert out["realtimeInput"]["audio"]["data"] == base64.b64encode(expected).decode()


@pytest.mark.parametrize(
    "name",
    [n for n in ALL_JSON if n.startswith("rest_auth_tokens_create")],
)
def test_ephemeral_token_constraint_setups_decode(name: str) -> None:
    body = _load(name)["body"]
    if "bidiGenerateContentSetup" not in body:
        pytest.skip("unconstrained token")
    frame = {"setup": body["bidiGenerateContentSetup"]}
    message = decode_client_message(json.dumps(frame))
    assert canonical_client(json.loads(encode_client_message(message))) == canonical_client(frame)


# ---------------------------------------------------------------- raw frames


RAW_FRAMES = [
    json.loads(line) for line in (DATA / "raw_client_frames.jsonl").read_text().splitlines()
]


@pytest.mark.parametrize("record", RAW_FRAMES, ids=[r["name"] for r in RAW_FRAMES])
def test_raw_client_frames_decode(record: dict[str, Any]) -> None:
    assert record["kind"] == "text"  # the SDK sends text frames
    raw = record["raw"]
    message = decode_client_message(raw)
    assert decode_client_message(raw.encode()) == message
    assert canonical_client(json.loads(encode_client_message(message))) == canonical_client(
        json.loads(raw)
    )


def test_raw_frames_match_the_pretty_samples() -> None:
    by_name = {r["name"]: r["raw"] for r in RAW_FRAMES}
    for name, raw in by_name.items():
        path = DATA / f"{name}.json"
        if path.exists():
            assert decode_client_message(raw) == decode_client_message(path.read_text()), name


# ------------------------------------------------------------- server samples


@pytest.mark.parametrize("index", range(len(SHOWCASE)))
def test_server_showcase_decodes_and_re_encodes(index: int) -> None:
    original = SHOWCASE[index]
    text = json.dumps(original, indent=2)  # the server may pretty-print
    message = decode_server_message(text.encode())
    assert decode_server_message(text) == message
    encoded = json.loads(encode_server_message(message))
    assert canonical(ServerMessage, encoded) == canonical(ServerMessage, original)
    assert decode_server_message(encode_server_message(message)) == message


SDK_DECODED = _load("server_messages_showcase_sdk_decoded.json")


def _snake_keys(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            "".join("_" + c.lower() if c.isupper() else c for c in k): _snake_keys(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_snake_keys(v) for v in value]
    return value


def _matches_sdk(ours: Any, theirs: Any, path: str) -> None:
    """``theirs`` is google-genai's ``model_dump(exclude_none=True)`` (snake_case)."""
    if isinstance(theirs, dict) and isinstance(ours, _Wire):
        for key, value in theirs.items():
            assert hasattr(ours, key), f"{path}.{key}: not modelled"
            _matches_sdk(getattr(ours, key), value, f"{path}.{key}")
    elif isinstance(theirs, dict) and isinstance(ours, Mapping):
        # Free-form in our model (kept as the server spelled it); the SDK models
        # it, so compare with our keys snake_cased.
        assert _snake_keys(ours) == theirs, path
    elif isinstance(theirs, list):
        assert len(ours) == len(theirs), path
        for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            _matches_sdk(a, b, f"{path}[{index}]")
    elif isinstance(ours, bytes):
        assert ours == _b64(theirs), path
    elif isinstance(ours, datetime.timedelta):
        assert ours == _duration(theirs), path
    else:
        assert ours == theirs, path


@pytest.mark.parametrize("index", range(len(SHOWCASE)))
def test_server_showcase_agrees_with_google_genai(index: int) -> None:
    """Field by field, our decoding equals the SDK's (captured in the probe)."""
    message = decode_server_message(json.dumps(SHOWCASE[index]))
    sdk = SDK_DECODED[index]
    _matches_sdk(message, sdk["decoded"], "")
    assert message.text == sdk["m.text"]
    data = message.data
    assert (None if data is None else len(data)) == sdk["m.data_len"]


def test_showcase_unknown_fields_are_kept() -> None:
    (entry,) = [e for e in SHOWCASE if "someFutureTopLevel" in e]
    message = decode_server_message(json.dumps(entry))
    assert message.extra == {"someFutureTopLevel": True}
    assert message.server_content is not None
    assert message.server_content.extra == {"someFutureField": {"x": 1}}
    assert json.loads(encode_server_message(message)) == entry
