"""Smallest end-to-end check of the codec; the thorough suites live beside it."""

from live_actor.types import Blob, RealtimeInput
from live_actor.wire import decode_client_message, encode_client_message


def test_audio_round_trip() -> None:
    message = RealtimeInput(audio=Blob(mime_type="audio/pcm;rate=16000", data=b"\x00\x01" * 320))
    assert decode_client_message(encode_client_message(message)) == message
