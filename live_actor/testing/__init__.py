"""``live_actor.testing``: a protocol-faithful local Gemini Live API server.

:class:`FakeLiveServer` speaks the BidiGenerateContent WebSocket protocol (and the
two REST calls a Live client needs) on loopback.  It is the ground truth of the
library's integration tests and a product feature: point any Live client at it to
test reconnection, resumption, tools, audio and faults without the network.

It works on plain JSON and never imports the client side of ``live_actor``, so it
cannot share a bug with the code it tests.

Quick start::

    async with FakeLiveServer(chunk_delay=0) as server:       # asyncio or trio
        url = server.live_url()      # ws://127.0.0.1:PORT/ws/...v1beta...BidiGenerateContent
        ...                          # connect with header x-goog-api-key: anything
        conn = await server.wait_for_connection()
        conn.drop()                  # client sees 1006
        session = conn.session       # stable across resumptions
        assert session.control_texts() == ["hello", "my name is Alice"]

Speech in tests: ``speech("hello") + silence(600)`` is 16 kHz PCM that the fake
VAD hears as one utterance and transcribes back to ``"hello"``; the model's audio
replies use the same scheme at 24 kHz, so ``transcribe(reply_pcm)`` recovers the
reply text.  See the module docstrings of ``_audio``, ``_vad``, ``_model``,
``_setup``, ``_conn``, ``_session`` and ``_faults`` for the exact rules.
"""

from __future__ import annotations

from ._audio import silence, speech, tone, transcribe
from ._conn import ServerConnection
from ._faults import FaultEvent, FaultPlan
from ._ledger import CONTROL_KINDS, LedgerEntry
from ._model import (
    FunctionCallRequest,
    FunctionDeclaration,
    Reply,
    Responder,
    ScriptedResponder,
    TurnContext,
    count_tokens,
)
from ._server import FakeLiveServer
from ._session import Session
from ._setup import DEFAULT_MODELS

__all__ = [
    "CONTROL_KINDS",
    "DEFAULT_MODELS",
    "FakeLiveServer",
    "FaultEvent",
    "FaultPlan",
    "FunctionCallRequest",
    "FunctionDeclaration",
    "LedgerEntry",
    "Reply",
    "Responder",
    "ScriptedResponder",
    "ServerConnection",
    "Session",
    "TurnContext",
    "count_tokens",
    "silence",
    "speech",
    "tone",
    "transcribe",
]
