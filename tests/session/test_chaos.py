"""Chaos: many supervised sessions over a seeded FaultPlan lose and duplicate nothing.

The fake server's per-session ledger is the evidence: every control message a
session sent must be consumed exactly once and in order, across drops, 1011s,
goAways and stalls.  Exactly-once needs the server to say what it consumed, so
the sessions use transparent resumption (Vertex AI's ``lastConsumedClientMessageIndex``);
every audio chunk that could not be replayed is counted by the ledger.  A reply
cut by a fault is not asked again here (``cut_turn_policy="none"``): asking again
sends the question a second time on purpose, which tests/session/test_continuity.py
covers; this file checks the ledger alone.
"""

from __future__ import annotations

import anyio
import pytest

from live_actor import (
    BearerToken,
    LiveConfig,
    RestartPolicy,
    SessionHandle,
    SessionOptions,
    Supervisor,
)
from live_actor.testing import FakeLiveServer, FakeSession, FaultPlan

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SESSIONS = 50
MESSAGES = 100
AUDIO = b"\x01\x00" * 320  # 20 ms of 16 kHz PCM


def _chaos_server(seed: int) -> FakeLiveServer:
    """A fake server whose seeded plan drops, 1011s, goAways and stalls connections."""
    plan = FaultPlan(
        seed=seed,
        drop_rate=0.004,
        error_1011_rate=0.004,
        go_away_rate=0.004,
        stall_rate=0.004,
        stall_seconds=(0.01, 0.1),
        go_away_time_left=(0.1, 0.5),
        grace_messages=1,
    )
    return FakeLiveServer(chunk_delay=0, fault_plan=plan, close_timeout=0.3).start()


async def test_chaos_exactly_once() -> None:
    server = _chaos_server(seed=20261123)
    config = LiveConfig(
        model="gemini-live-2.5-flash-preview",
        auth="vertex_ai",
        project_id="chaos",
        generation_config={"response_modalities": ["TEXT"]},
        session_resumption={"transparent": True},
    )
    policy = RestartPolicy(max_restarts=1000, period=60, backoff_base=0.01, backoff_max=0.1)
    options = SessionOptions(event_buffer=0, media_policy="drop", cut_turn_policy="none")
    try:
        async with Supervisor(policy=policy, options=options) as sup:
            handles = []
            for _ in range(SESSIONS):
                handle = await sup.start_session(
                    config, credentials=BearerToken("chaos-token"), base_url=server.url
                )
                handles.append(handle)

            async def drive(number: int) -> None:
                handle = handles[number]
                await handle.connect()
                for j in range(MESSAGES):
                    await handle.send_client_content(f"s{number} m{j}", turn_complete=j % 3 == 0)
                    if j % 5 == 0:
                        await handle.send_realtime_input(audio=AUDIO)
                    await anyio.sleep(0.002)

            with anyio.fail_after(90):
                async with anyio.create_task_group() as tg:
                    for number in range(SESSIONS):
                        tg.start_soon(drive, number)

                def all_consumed() -> bool | None:
                    for number in range(SESSIONS):
                        if len(_texts_of(server, number)) < MESSAGES:
                            return None
                    return True

                await _settle(server, handles)
                await server.wait_for(all_consumed)
    finally:
        server.stop()

    restarts = 0
    dropped_audio = 0
    for number, handle in enumerate(handles):
        session = _session_of(server, number)
        assert session is not None
        expected = [f"s{number} m{j}" for j in range(MESSAGES)]
        assert session.control_texts() == expected, f"session {number}"
        restarts += handle.connection_number - 1
        stats = handle.ledger
        assert stats.dropped == stats.dropped_media, stats.dropped_reasons
        dropped_audio += stats.dropped_media
        # every audio chunk either reached the server or is counted as dropped
        audio_sent = len(range(0, MESSAGES, 5))
        audio_received = sum(1 for e in session.received if e.kind == "realtimeInput.audio")
        assert audio_received + stats.dropped_media >= audio_sent
    faults = server.faults
    assert restarts > 0 and faults, "the plan injected faults"
    print(f"chaos: {SESSIONS} sessions, {SESSIONS * MESSAGES} control messages, "
          f"{restarts} restarts, {len(faults)} faults, {dropped_audio} audio chunks dropped")


async def test_chaos_gemini_api_loses_nothing() -> None:
    """Without transparent resumption the order of events bounds what a handle covers:
    nothing is lost, first deliveries keep the order, a few messages may repeat."""
    server = _chaos_server(seed=7)
    config = LiveConfig(
        model="gemini-live-2.5-flash-preview", generation_config={"response_modalities": ["TEXT"]}
    )
    policy = RestartPolicy(max_restarts=1000, period=60, backoff_base=0.01, backoff_max=0.1)
    sessions = 20
    try:
        async with Supervisor(policy=policy, options=SessionOptions(event_buffer=0)) as sup:
            handles = [
                await sup.start_session(config, api_key="chaos", base_url=server.url)
                for _ in range(sessions)
            ]

            async def drive(number: int) -> None:
                handle = handles[number]
                await handle.connect()
                for j in range(MESSAGES):
                    await handle.send_client_content(f"s{number} m{j}", turn_complete=j % 3 == 0)
                    await anyio.sleep(0.002)

            def all_consumed() -> bool | None:
                for number in range(sessions):
                    texts = _texts_of(server, number)
                    if not {f"s{number} m{j}" for j in range(MESSAGES)} <= set(texts):
                        return None
                return True

            with anyio.fail_after(90):
                async with anyio.create_task_group() as tg:
                    for number in range(sessions):
                        tg.start_soon(drive, number)
                await _settle(server, handles)
                await server.wait_for(all_consumed)
    finally:
        server.stop()
    duplicates = 0
    for number in range(sessions):
        texts = _texts_of(server, number)
        first_seen = list(dict.fromkeys(texts))
        assert first_seen == [f"s{number} m{j}" for j in range(MESSAGES)]
        duplicates += len(texts) - len(first_seen)
    print(f"gemini chaos: {sessions * MESSAGES} control messages, {duplicates} repeated")


def _session_of(server: FakeLiveServer, number: int) -> FakeSession | None:
    """The server session that client session ``number`` drives (by its texts)."""
    prefix = f"s{number} "
    for session in server.sessions:
        texts = session.control_texts()
        if texts and texts[0].startswith(prefix):
            return session
    return None


def _texts_of(server: FakeLiveServer, number: int) -> list[str]:
    session = _session_of(server, number)
    return session.control_texts() if session is not None else []


async def _settle(server: FakeLiveServer, handles: list[SessionHandle]) -> None:
    """Stop injecting faults and let rotations and replays in flight finish.

    A resume rolls the server session back to its handle until the client's replay
    arrives: checking (or closing) while one is in flight would see a gap that the
    replay is about to fill.
    """
    server.set_fault_plan(None)
    await anyio.sleep(1.0)  # longer than any injected goAway timeLeft or stall
    for handle in handles:
        await handle.wait_ready()
