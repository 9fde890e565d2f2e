"""The per-chunk path of a voice agent: one audio chunk or video frame per message.

A voice session sends a ``realtimeInput`` every 20-100 ms.  Built and encoded
through the generic machinery (the frozen ``__init__``, the generated
unstructure hook, ``orjson`` of a nested dict) each costs several microseconds;
here the message is built by filling the instance's ``__dict__`` and its frame
is written directly.  The instance and the JSON are the same as the slow path's
(``tests/protocol/test_codec_hypothesis.py`` checks both), and
``bench/codec.py`` measures the gain.

:func:`check_audio` is the other half of that path: the Live API takes audio as
raw 16-bit PCM only, and answers anything else (an MP3, a WAV with its header,
a chunk cut mid-sample) with noise or a silent session rather than an error.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from typing import Any, Final, TypeVar

import attrs
import orjson

from .._errors import LocalProtocolError
from ._messages import Blob, Content, Part, RealtimeInput, ServerContent, ServerMessage

__all__ = [
    "PCM_MIME",
    "audio_chunk_message",
    "check_audio",
    "encode_media_input",
    "media_input",
]

#: The only audio format the Live API takes: raw 16-bit little-endian PCM.  Any
#: ``rate=`` is fine (the service resamples); 16 kHz is the native input rate.
PCM_MIME: Final = "audio/pcm"

_PCM_EXAMPLE: Final = "'audio/pcm;rate=16000'"


def _defaults(cls: type[Any]) -> dict[str, Any]:
    return {field.name: field.default for field in attrs.fields(cls)}


_BLOB_DEFAULTS = _defaults(Blob)
_INPUT_DEFAULTS = _defaults(RealtimeInput)
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


def encode_media_input(message: RealtimeInput) -> str | None:
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


def check_audio(audio: object, mime_type: str | None = None) -> None:
    """Refuse audio the Live API cannot play, with a :class:`LocalProtocolError`
    that says what to send instead.

    ``audio`` is what a caller gave: PCM bytes (then ``mime_type`` is the one
    they named, if any), a ``Blob`` (ours or google-genai's) or its dict.
    Refused: anything else (a ``str`` in particular), an odd number of bytes (a
    16-bit sample cut in half: every later sample would be misread), and a MIME
    type other than ``audio/pcm`` with any parameters (mp3, ogg, wav, ...).  A
    MIME type is only checked when the caller gave one.
    """
    data: object
    if isinstance(audio, bytes | bytearray | memoryview):
        data = audio
    elif isinstance(audio, Mapping):
        data = audio.get("data")
        mime_type = audio.get("mime_type", audio.get("mimeType"))
    elif hasattr(audio, "data") and hasattr(audio, "mime_type"):  # Blob, types.Blob
        data, mime_type = audio.data, audio.mime_type
    else:
        hint = "; text goes in send_realtime_input(text=...)" if isinstance(audio, str) else ""
        raise LocalProtocolError(
            "audio must be bytes of 16-bit little-endian mono PCM (16 kHz), a Blob or "
            f"{{'data': ..., 'mime_type': {_PCM_EXAMPLE}}}, got {type(audio).__name__}{hint}"
        )
    if isinstance(data, bytes | bytearray | memoryview):
        size = data.nbytes if isinstance(data, memoryview) else len(data)
    elif isinstance(data, str):  # base64 in a dict: the decoded size's parity
        size = len(data.rstrip("=")) * 3 // 4
    else:
        size = 0  # no data, or a type the codec reports itself
    if size & 1:
        raise LocalProtocolError(
            f"audio has an odd number of bytes ({size}): 16-bit PCM has 2 bytes per "
            "sample, so a chunk must not end mid-sample; cut chunks at even offsets"
        )
    if mime_type is not None and not _is_pcm(mime_type):
        raise LocalProtocolError(
            f"audio must be raw 16-bit PCM ({_PCM_EXAMPLE}; any rate works, the service "
            f"resamples), got mime type {mime_type!r}: decode it first, e.g. "
            "ffmpeg -i in.mp3 -f s16le -ac 1 -ar 16000 out.pcm"
        )


def _is_pcm(mime_type: object) -> bool:
    return isinstance(mime_type, str) and mime_type.partition(";")[0].strip().lower() == PCM_MIME


# Receiving: a model turn's audio arrives as ``{"serverContent": {"modelTurn":
# {"parts": [{"inlineData": {"mimeType": ..., "data": ...}}]}}}``, 25 times a
# second.  That exact shape is built directly (the generic hooks cost ~5 µs for
# its five nested objects); anything else, including every variation of it,
# takes the codec's generic path.  Same instances
# (``tests/protocol/test_codec_fast_paths.py``).

_NEW = object.__new__
_DEFAULTS: dict[type[Any], dict[str, Any]] = {
    cls: _defaults(cls) for cls in (ServerMessage, ServerContent, Content, Part, Blob)
}
_T = TypeVar("_T")


def _build(cls: type[_T], name: str, value: Any) -> _T:
    instance = _NEW(cls)
    values = instance.__dict__
    values.update(_DEFAULTS[cls])
    values[name] = value
    return instance


def audio_chunk_message(obj: dict[str, Any]) -> ServerMessage | None:
    """The message of a decoded audio chunk frame of exactly the shape above, else
    ``None`` (for the generic path)."""
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
