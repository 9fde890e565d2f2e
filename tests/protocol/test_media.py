"""``check_audio``: what the Live API cannot play is refused before it is queued."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from google.genai import types as genai_types

from live_actor import LocalProtocolError
from live_actor._protocol._media import check_audio
from live_actor.types import Blob

PCM = b"\x01\x00" * 160


@pytest.mark.parametrize(
    ("audio", "mime_type"),
    [
        (PCM, None),
        (bytearray(PCM), None),
        (memoryview(PCM), None),
        (b"", None),
        (PCM, "audio/pcm"),
        (PCM, "audio/pcm;rate=16000"),
        (PCM, "audio/pcm;rate=24000"),
        (PCM, "audio/pcm; rate=8000"),
        (PCM, "AUDIO/PCM;RATE=44100"),
        (Blob(data=PCM, mime_type="audio/pcm;rate=16000"), None),
        (Blob(data=PCM), None),
        ({"data": PCM, "mime_type": "audio/pcm;rate=48000"}, None),
        ({"data": base64.b64encode(PCM).decode(), "mimeType": "audio/pcm"}, None),
        (genai_types.Blob(data=PCM, mime_type="audio/pcm;rate=16000"), None),
    ],
)
def test_pcm_of_any_rate_passes(audio: Any, mime_type: str | None) -> None:
    check_audio(audio, mime_type)


@pytest.mark.parametrize(
    "audio",
    [
        b"\x00\x00\x01",
        bytearray(3),
        memoryview(b"\x00" * 641),
        Blob(data=b"\x00" * 641, mime_type="audio/pcm;rate=16000"),
        {"data": b"\x00" * 5},
        {"data": base64.b64encode(b"\x00" * 5).decode()},
        {"data": base64.b64encode(b"\x00" * 7).decode().rstrip("=")},
        genai_types.Blob(data=b"\x00" * 3, mime_type="audio/pcm"),
    ],
)
def test_odd_length_pcm_is_refused(audio: Any) -> None:
    with pytest.raises(LocalProtocolError, match=r"odd number of bytes \(\d+\).*even offsets"):
        check_audio(audio)


@pytest.mark.parametrize(
    "mime_type",
    [
        "audio/mp3",
        "audio/mpeg",
        "audio/ogg",
        "audio/ogg;codecs=opus",
        "audio/wav",
        "audio/x-wav",
        "audio/webm",
        "audio/flac",
        "audio/pcmu",
        "audio/l16;rate=16000",
        "video/mp4",
        "",
    ],
)
def test_non_pcm_mime_types_are_refused(mime_type: str) -> None:
    for audio in (
        Blob(data=PCM, mime_type=mime_type),
        {"data": PCM, "mime_type": mime_type},
        genai_types.Blob(data=PCM, mime_type=mime_type),
    ):
        with pytest.raises(LocalProtocolError) as caught:
            check_audio(audio)
        message = str(caught.value)
        assert f"got mime type {mime_type!r}" in message
        assert "'audio/pcm;rate=16000'" in message and "any rate works" in message
    with pytest.raises(LocalProtocolError, match="raw 16-bit PCM"):
        check_audio(PCM, mime_type)


@pytest.mark.parametrize(
    ("audio", "shown"),
    [
        ("hello", "got str; text goes in send_realtime_input(text=...)"),
        (42, "got int"),
        ([b"\x00\x00"], "got list"),
        (None, "got NoneType"),
    ],
)
def test_what_is_not_audio_is_refused_with_what_is_expected(audio: Any, shown: str) -> None:
    with pytest.raises(LocalProtocolError) as caught:
        check_audio(audio)
    message = str(caught.value)
    assert message.startswith("audio must be bytes of 16-bit little-endian mono PCM (16 kHz)")
    assert message.endswith(shown)
