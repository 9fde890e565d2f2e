"""Small traps a newcomer falls into, refused with a message that says what to do.

Each test goes through the public API, against the fake server: the mistake is
refused before anything is queued, and the session stays ready for the next,
correct call.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

import live_actor
from live_actor.testing import FakeLiveServer
from live_actor.types import Blob

from ..helpers import API_KEY, audio_config

pytestmark = pytest.mark.anyio

PCM = b"\x01\x00" * 320


@pytest.mark.parametrize(
    ("audio", "message"),
    [
        ("hello", r"audio must be bytes of 16-bit .*got str; text goes in"),
        (PCM + b"\x00", r"odd number of bytes \(641\)"),
        (Blob(data=b"\x00" * 5, mime_type="audio/pcm;rate=16000"), r"odd number of bytes \(5\)"),
        (Blob(data=PCM, mime_type="audio/mp3"), r"got mime type 'audio/mp3': decode it first"),
        ({"data": PCM, "mime_type": "audio/ogg"}, r"got mime type 'audio/ogg'"),
        ({"data": PCM, "mimeType": "audio/wav"}, r"got mime type 'audio/wav'"),
    ],
)
async def test_send_realtime_input_refuses_audio_the_service_cannot_play(
    server: FakeLiveServer, audio: Any, message: str
) -> None:
    with anyio.fail_after(10):
        async with live_actor.open_session(
            audio_config(), api_key=API_KEY, base_url=server.url
        ) as s:
            with pytest.raises(live_actor.LocalProtocolError, match=message):
                await s.send_realtime_input(audio=audio)
            assert s.ledger.accepted == 0 and s.last_receipt is None
            assert s.status is live_actor.SessionStatus.READY
            # Any PCM rate is fine: the service resamples.
            for good in (PCM, Blob(data=PCM, mime_type="audio/pcm;rate=24000")):
                receipt = await s.send_realtime_input(audio=good)
                assert receipt.outcome is not live_actor.SendOutcome.DROPPED
            assert s.ledger.accepted == 2
