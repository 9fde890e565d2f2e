"""The demo (``make demo``): a codec round trip of a realtime audio message.

Replaced by the full demo on the embedded fake server once the session actor lands.
"""

from __future__ import annotations

import math
import struct

from ._protocol._codec import decode_client_message, encode_client_message
from ._protocol._messages import Blob, RealtimeInput


def main() -> None:
    pcm = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 16000))) for i in range(320)
    )
    message = RealtimeInput(audio=Blob(mime_type="audio/pcm;rate=16000", data=pcm))
    frame = encode_client_message(message)
    print("encoded 20 ms of 16 kHz audio as", len(frame), "bytes of JSON:")
    print(frame[:120] + "...")
    assert decode_client_message(frame) == message
    print("decoded back to an equal RealtimeInput: ok")


if __name__ == "__main__":
    main()
