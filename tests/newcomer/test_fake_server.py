"""The README's fake server (live_actor.testing): what it simulates.

Each test quotes (in its docstring) the claim it checks and uses only the public
API; each assertion would fail if the quoted claim were false.
"""

from __future__ import annotations

import anyio
import anyio.lowlevel
import httpx
import pytest

import live_actor
from live_actor.testing import (
    FakeLiveServer,
    FaultPlan,
    Reply,
    ScriptedResponder,
    count_tokens,
    silence,
    speech,
    tone,
    transcribe,
)

from ..helpers import API_KEY, TEXT_MODEL, eventually, text_config
from ._support import answer_to, no_jitter, server_wait

pytestmark = pytest.mark.anyio


def test_fake_server_sync_context_urls_and_rest() -> None:
    """FakeLiveServer docstring: ``with``/``start()``/``stop()``; ``url``, ``http_url``,
    ``live_url()``, ``vertex_url()``; README: "ephemeral tokens and the two REST calls"."""
    with FakeLiveServer(api_keys=["k1"]) as server:
        assert server.url == f"ws://127.0.0.1:{server.port}"
        assert server.http_url == f"http://127.0.0.1:{server.port}"
        assert server.live_url().endswith(
            "v1beta.GenerativeService.BidiGenerateContent"
        ) and server.live_url().startswith(server.url)
        assert server.live_url("v1alpha", constrained=True).endswith(
            "v1alpha.GenerativeService.BidiGenerateContentConstrained"
        )
        assert "v1beta1" in server.vertex_url()
        models = httpx.get(f"{server.http_url}/v1beta/models", headers={"x-goog-api-key": "k1"})
        assert models.status_code == 200
        names = [m["name"] for m in models.json()["models"]]
        assert f"models/{TEXT_MODEL}" in names
        bad = httpx.get(f"{server.http_url}/v1beta/models", headers={"x-goog-api-key": "nope"})
        assert bad.status_code == 400
        token = httpx.post(
            f"{server.http_url}/v1alpha/auth_tokens",
            headers={"x-goog-api-key": "k1"},
            json={"uses": 1},
        )
        assert token.status_code == 200 and token.json()["name"].startswith("auth_tokens/")


async def test_fake_server_text_frames_record_sent_and_responder(anyio_backend: str) -> None:
    """FakeLiveServer options: ``text_frames``, ``record_sent`` (``connection.sent``),
    ``responder`` (ScriptedResponder ``rules`` template with groups), ``extra_models``."""
    responder = ScriptedResponder(rules=[(r"weather in (\w+)", "It is sunny in {0}.")])
    with FakeLiveServer(
        chunk_delay=0,
        text_frames=True,
        record_sent=True,
        responder=responder,
        extra_models=["my-tuned-live-model"],
    ) as server:
        config = live_actor.LiveConfig(
            model="my-tuned-live-model", generation_config={"response_modalities": ["TEXT"]}
        )
        async with live_actor.open_session(config, api_key=API_KEY, base_url=server.url) as s:
            await s.send_client_content("weather in Paris")
            turn = await s.receive_turn()
        conn = server.connections[0]
    assert turn.text == "It is sunny in Paris."
    assert conn.sent and "setupComplete" in conn.sent[0]


async def test_custom_responder_subclass(anyio_backend: str) -> None:
    """Responder docstring: pluggable model behaviour; Reply(text=..., function_calls=...)."""

    class Shouty(live_actor.testing.Responder):
        def respond(self, context: live_actor.testing.TurnContext) -> Reply:
            return Reply(text=context.user_text.upper())

    with FakeLiveServer(chunk_delay=0, responder=Shouty()) as server:
        async with live_actor.open_session(
            text_config(), api_key=API_KEY, base_url=server.url
        ) as s:
            await s.send_client_content("quiet please")
            assert (await s.receive_turn()).text == "QUIET PLEASE"


async def test_fake_server_connection_lifetime_sends_go_away(anyio_backend: str) -> None:
    """FakeLiveServer: ``connection_lifetime``/``go_away_notice``: goAway then a cut; the
    client rotates by itself (README: restart after a server goAway)."""
    with FakeLiveServer(chunk_delay=0, connection_lifetime=0.6, go_away_notice=0.4) as server:
        async with live_actor.open_session(
            text_config(), api_key=API_KEY, base_url=server.url
        ) as session:
            await session.send_client_content("my name is Alice")
            await session.receive_turn()
            await eventually(lambda: session.connection_number >= 2)
            await session.wait_ready()
            await session.send_client_content("what is my name")
            assert await answer_to(session, "Your name") == "Your name is Alice."
        assert server.connections[0].go_away_sent
        assert server.connections[0].closed_by == "client"


async def test_fake_server_virtual_clock_runs_hours_of_rotations(anyio_backend: str) -> None:
    """CHANGELOG: ``FakeLiveServer(clock=...)``: the connection lifetime starts at
    setupComplete, so a virtual clock runs hours of goAway rotations in a second
    (``advance_time`` jumps to each goAway notice)."""
    import trio.testing

    # The server's 10-minute connections last milliseconds of the client's real time:
    # reset_after=0 keeps the client from taking them for a goAway storm.
    policy = live_actor.RestartPolicy(reset_after=0)
    with FakeLiveServer(
        chunk_delay=0, clock=trio.testing.MockClock(), connection_lifetime=600, go_away_notice=60
    ) as server:
        async with live_actor.open_session(  # no 15-minute session limit with compression
            text_config(context_window_compression=True),
            api_key=API_KEY,
            base_url=server.url,
            policy=policy,
        ) as session:
            for n in range(1, 7):  # one hour of 10-minute connections
                await session.wait_ready()
                await server.wait_for_connection(n)
                server.advance_time(541)  # past the goAway notice, before the cut
                await eventually(lambda n=n: session.connection_number == n + 1)
            await session.wait_ready()
            await session.send_client_content("still here")
            assert (await session.receive_turn()).text == 'You said: "still here".'
        assert server.current_time() >= 6 * 541
        assert all(c.go_away_sent for c in server.connections[:6])
        assert len({c.session_id for c in server.connections}) == 1
        assert session.error is None


async def test_fake_server_jump_past_the_lifetime_still_sends_go_away(anyio_backend: str) -> None:
    """live_actor.testing: the fake is "protocol-faithful" with "goAway and connection
    lifetimes": the service announces every lifetime cut with a goAway.  One
    ``advance_time(lifetime)`` jump should not turn a rotation into a bare 1000."""
    import trio.testing

    with FakeLiveServer(
        chunk_delay=0, clock=trio.testing.MockClock(), connection_lifetime=600, go_away_notice=60
    ) as server:
        async with live_actor.open_session(
            text_config(), api_key=API_KEY, base_url=server.url
        ) as session:
            conn = await server.wait_for_connection(1)
            server.advance_time(600)
            await server_wait(server, lambda: not conn.is_open)
            await eventually(
                lambda: (
                    session.connection_number == 2
                    or session.status is live_actor.SessionStatus.CLOSED
                )
            )
        assert conn.go_away_sent
        assert session.error is None


async def test_fault_injection_api(anyio_backend: str, server: FakeLiveServer) -> None:
    """live_actor.testing: ``conn.drop()``, ``conn.close(code, reason)``, ``conn.go_away``,
    ``conn.stall(seconds)``, ``conn.send_json``; ``server.faults`` records them."""
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url, policy=no_jitter()
    ) as session:
        conn = await server.wait_for_connection(1)
        conn.stall(0.2)
        await session.send_client_content("after stall")
        assert (await session.receive_turn()).text == 'You said: "after stall".'
        conn.close(1011)
        await eventually(lambda: session.connection_number == 2)
        await session.wait_ready()
        (await server.wait_for_connection(2)).drop()
        await eventually(lambda: session.connection_number == 3)
        await session.wait_ready()
    kinds = [f.kind for f in server.faults]
    assert "stall" in kinds and "drop" in kinds
    assert all(not f.planned for f in server.faults)
    assert server.connections[0].close_code == 1011
    assert server.connections[0].close_reason == "Internal error occurred."


async def test_seeded_fault_plan(anyio_backend: str) -> None:
    """README: seeded ``FaultPlan``; FaultPlan docstring: probabilities per draw;
    ``set_fault_plan(None)`` disables random faults; drawn faults are ``planned``."""
    assert [FaultPlan(seed=3, drop_rate=0.5).draw(FaultPlan(seed=3).rng(1)) for _ in range(3)] == [
        FaultPlan(seed=3, drop_rate=0.5).draw(FaultPlan(seed=3).rng(1)) for _ in range(3)
    ]
    plan = FaultPlan(seed=1, drop_rate=1.0, grace_messages=1)
    with FakeLiveServer(chunk_delay=0, close_timeout=0.5, fault_plan=plan) as server:
        async with live_actor.open_session(
            text_config(), api_key=API_KEY, base_url=server.url, policy=no_jitter()
        ) as session:
            await session.send_client_content("one", turn_complete=False)
            await session.send_client_content("two", turn_complete=False)
            await server_wait(server, lambda: server.faults)
            server.set_fault_plan(None)
            assert server.fault_plan is None
            await eventually(lambda: session.connection_number >= 2)
            await session.wait_ready()
            await session.send_client_content("three")
            await answer_to(session, 'You said: "three"')  # a reply cut by a drop may come first
        fault = server.faults[0]
        assert fault.kind == "drop" and fault.planned
        # The drop may beat the first handle: then the second connection is a fresh
        # session, which gets the unanswered messages replayed.
        sid = server.connections[-1].session_id
        texts = server.session(sid).control_texts()
    assert [t for i, t in enumerate(texts) if t not in texts[:i]] == ["one", "two", "three"]


async def test_ledger_and_session_views(anyio_backend: str, server: FakeLiveServer) -> None:
    """live_actor.testing docstring: ``conn.session`` stable across resumptions,
    ``Session.received`` with per-connection ``index`` (setup = 0), ``control_texts()``,
    ``server.session_for_handle(h)``; LedgerEntry ``kind``/``text``; ``ledger_media`` off:
    audio ``data`` replaced by ``byteCount``."""
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url, policy=no_jitter()
    ) as session:
        await session.send_client_content("hello")
        await session.receive_turn()
        await session.send_realtime_input(audio=silence(20))
        conn = await server.wait_for_connection(1)
        conn.drop()
        await eventually(lambda: session.connection_number == 2)
        await session.wait_ready()
        await session.send_client_content("my name is Alice")
        await answer_to(session, "Got it")
        handle = session.resumption_handle
    conn2 = server.connections[1]
    assert conn.session is conn2.session
    fake_session = conn.session
    assert fake_session is not None
    assert server.session_for_handle(handle) is fake_session
    texts = fake_session.control_texts()
    assert [t for i, t in enumerate(texts) if t not in texts[:i]] == ["hello", "my name is Alice"]
    entries = fake_session.received
    assert entries[0].kind == "setup" and entries[0].index == 0
    assert [e.connection for e in entries if e.kind == "setup"] == [1, 2]
    audio = next(e for e in entries if e.kind == "realtimeInput.audio")
    assert "byteCount" in repr(audio.message) and audio.is_control is False
    assert next(e for e in entries if e.kind == "clientContent").is_control is True


async def test_fake_server_wait_helpers_sync_twins(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """live_actor.testing: waiting helpers are awaitable on both backends with ``*_sync``
    twins for plain threads."""
    async with live_actor.open_session(text_config(), api_key=API_KEY, base_url=server.url):
        conn = await anyio.to_thread.run_sync(server.wait_for_connection_sync, 1, 2.0)
        got = await anyio.to_thread.run_sync(
            lambda: server.wait_for_sync(lambda: server.connections, timeout=2.0)
        )
        assert got[0] is conn
    with pytest.raises(TimeoutError):
        server.wait_for_sync(lambda: False, timeout=0.05)


async def test_fake_server_max_message_size_closes_1009(anyio_backend: str) -> None:
    """FakeLiveServer: ``max_message_size``: larger client messages close with 1009."""
    with FakeLiveServer(chunk_delay=0, max_message_size=2000) as server:
        async with live_actor.open_session(
            text_config(), api_key=API_KEY, base_url=server.url, restart="temporary"
        ) as session:
            await session.send_client_content("x" * 5000)
            await session.wait_closed()
    assert session.close_code == 1009


def test_audio_helpers() -> None:
    """live_actor.testing: speech/silence/tone/transcribe/count_tokens as documented."""
    pcm = speech("hello")
    assert transcribe(pcm + silence(600)) == "hello"
    assert len(pcm) == 2 * int(16000 * len(b"hello") * 20 / 1000)
    assert len(silence(10)) == 320 and set(silence(10)) == {0}
    sound = tone(100, amplitude=1000)
    samples = [
        int.from_bytes(sound[i : i + 2], "little", signed=True) for i in range(0, len(sound), 2)
    ]
    assert sum(abs(s) for s in samples) / len(samples) == pytest.approx(1000, rel=0.02)
    assert transcribe(sound) == ""
    assert count_tokens("a b  c\nd") == 4
