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

Close codes (reason texts are exact, in ``_refusals``; details in ``_setup``,
``_models``, ``_input``, ``_upgrade``, ``_conn``):

=====  ==============================================================================
1000   lifetime cut after ``goAway`` (``go_away_cut="drop"``: abrupt, client sees 1006)
1001   server stopping
1007   invalid setup/message ("Request contains an invalid argument."), setup not
       first, bad base64, unknown tool-call id, native-audio model asked for TEXT,
       activity markers while automatic VAD is on; gemini-3.1: ``clientContent``
       after the history seed or after realtime input; a seeded turn (``historyConfig``)
       with a non-text part; gemini-3.8: ``thinkingConfig`` (extended thinking:
       without exactly one of LOW/MEDIUM/HIGH ``thinkingLevel`` or ``thinkingBudget``),
       ``proactiveAudio: false``, ``enableAffectiveDialog``, TEXT output; a
       replicated voice without the session's ``voiceConsentSignature`` (own reason)
1008   credentials refused (sent after the client's first message; or HTTP 401/403 at
       the upgrade with ``reject_auth_at_upgrade=True``), unknown model ("models/X is
       not found for API version V, or is not supported for bidiGenerateContent"),
       unknown/expired resumption handle ("Session resumption handle is invalid or
       has expired."), session duration limit, ephemeral token spent/expired
1009   client message larger than ``max_message_size``
1011   "Internal error occurred.": resume while the session's previous socket is still
       open, ``conn.close()`` default, ``FaultPlan.error_1011_rate``
=====  ==============================================================================

Sessions across resumptions: the first setup (no handle) creates a session with a
stable id (``"session-1"`` ...); every handle maps back to it
(``server.session_for_handle(h)``) and a resumed connection joins the same
:class:`FakeSession`.  ``FakeSession.received`` is the ledger of every client message
(with per-connection ``index``, setup = 0, and ``connection`` number within the
session); ``FakeSession.consumed``/``control_texts()`` is what the current state
contains, so a lossless client shows each control message exactly once there.

Fault injection (thread-safe, synchronous, callable from asyncio or trio tests):
``conn.drop()``, ``conn.close(code, reason)``, ``conn.go_away(time_left)``,
``conn.stall(seconds)``, ``conn.send_raw(data, raw_tcp=False)``,
``conn.send_json(msg)``, and ``FakeLiveServer(fault_plan=FaultPlan(seed=..., ...))``
or ``server.set_fault_plan(...)``.  Waiting helpers are awaitable on both backends
(``await server.wait_for_connection(n)``, ``await server.wait_for(predicate)``; wrap
them in ``anyio.fail_after``) with ``*_sync`` twins for plain threads.

Timing (``profile=``): ``"dev"`` (default: ``sessionResumptionUpdate {}`` when a turn
starts, a resumable handle right after ``turnComplete``), ``"vertex"`` (every update
resumable, the handle 20-70 ms after ``turnComplete``) or ``"3.x"`` (a handle after
each ``toolResponse``, updates nobody asked for, several parts per message,
``interactionStatus``); ``first_response_delay=`` delays every reply.  A resumed
connection never continues a cut answer; a ``toolResponse`` for a call issued after
the handle it resumed from is ignored (``LedgerEntry.ignored``).  See ``_profiles``,
``_resumption``, ``_models`` and ``docs/wire-protocol.md`` §13.

Speech in tests: ``speech("hello") + silence(600)`` is 16 kHz PCM that the fake
VAD hears as one utterance and transcribes back to ``"hello"`` (other sound is
transcribed as ``"[speech N.NN s]"``); the model's audio
replies use the same scheme at 24 kHz, so ``transcribe(reply_pcm)`` recovers the
reply text.  See the module docstrings of ``_audio``, ``_vad``, ``_model``,
``_setup``, ``_conn``, ``_input``, ``_turns``, ``_session`` and ``_faults`` for the
exact rules.

Layout (one job per module): ``_server`` (the public class and its thread),
``_listener`` (the server thread: accept, HTTP, connections), ``_http``/``_upgrade``
/``_rest`` (HTTP, WebSocket routing and credentials, REST), ``_conn`` (one connection:
dispatch, faults, timer), ``_socket`` (framing), ``_input`` (the user's side),
``_turns`` (the model's side), ``_registry`` (sessions, handles, ids, logs),
``_bridge`` (cross-thread calls and waiting), ``_settings`` (the frozen knobs).

Renamed names: ``Session`` is now :class:`FakeSession` and the fake's
``FunctionDeclaration`` is :class:`DeclaredFunction` (it is not the wire class); the
old names still import, with a ``DeprecationWarning``.
"""

from __future__ import annotations

import warnings
from typing import Any

from ._audio import silence, speech, tone, transcribe
from ._conn import ServerConnection
from ._faults import FaultEvent, FaultPlan
from ._ledger import CONTROL_KINDS, LedgerEntry
from ._model import (
    DeclaredFunction,
    FunctionCallRequest,
    Reply,
    Responder,
    ScriptedResponder,
    TurnContext,
    count_tokens,
)
from ._server import FakeLiveServer
from ._session import FakeSession
from ._settings import FakeServerSettings
from ._setup import DEFAULT_MODELS

__all__ = [
    "CONTROL_KINDS",
    "DEFAULT_MODELS",
    "DeclaredFunction",
    "FakeLiveServer",
    "FakeServerSettings",
    "FakeSession",
    "FaultEvent",
    "FaultPlan",
    "FunctionCallRequest",
    "LedgerEntry",
    "Reply",
    "Responder",
    "ScriptedResponder",
    "ServerConnection",
    "TurnContext",
    "count_tokens",
    "silence",
    "speech",
    "tone",
    "transcribe",
]

#: Old name → (new name, object): importable, with a DeprecationWarning on access.
_DEPRECATED: dict[str, tuple[str, Any]] = {
    "Session": ("FakeSession", FakeSession),
    "FunctionDeclaration": ("DeclaredFunction", DeclaredFunction),
}


def __getattr__(name: str) -> Any:
    try:
        new_name, value = _DEPRECATED[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    warnings.warn(
        f"live_actor.testing.{name} is deprecated; use live_actor.testing.{new_name}",
        DeprecationWarning,
        stacklevel=2,
    )
    return value
