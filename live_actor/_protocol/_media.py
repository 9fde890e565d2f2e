"""The per-chunk path of a voice agent: one audio chunk or video frame per message.

A voice session sends a ``realtimeInput`` every 20-100 ms.  Built and encoded
through the generic machinery (the frozen ``__init__``, the generated
unstructure hook, ``orjson`` of a nested dict) each costs several microseconds;
here the message is built by filling the instance's ``__dict__`` and its frame
is written directly.  The instance and the JSON are the same as the slow path's
(``tests/protocol/test_codec_hypothesis.py`` checks both), and
``bench/codec.py`` measures the gain.
"""

from __future__ import annotations

import binascii
from typing import Any

import attrs
import orjson

from ._messages import Blob, RealtimeInput

__all__ = ["encode_media_input", "media_input"]




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
