"""The README's errors: their types, attributes and what they never show.

Each test quotes (in its docstring) the claim it checks and uses only the public
API; each assertion would fail if the quoted claim were false.
"""

from __future__ import annotations

import socket

import pytest
from structlog.testing import capture_logs

import live_actor
from live_actor.testing import FakeLiveServer

from ..helpers import API_KEY, text_config
from ._support import Recorder

pytestmark = pytest.mark.anyio


def test_error_hierarchy() -> None:
    """README: "All errors derive from live_actor.LiveError"; SetupRejectedError is a
    ConnectError with code/reason/status and also a SessionClosedError."""
    for cls in (
        live_actor.ConfigError,
        live_actor.ConnectError,
        live_actor.SetupRejectedError,
        live_actor.SessionClosedError,
        live_actor.GaveUpError,
        live_actor.LocalProtocolError,
        live_actor.RemoteProtocolError,
    ):
        assert issubclass(cls, live_actor.LiveError)
    assert issubclass(live_actor.SetupRejectedError, live_actor.ConnectError)
    assert issubclass(live_actor.SetupRejectedError, live_actor.SessionClosedError)
    err = live_actor.SetupRejectedError("x", code=1008, reason="why", status=None)
    assert (err.code, err.reason, err.status) == (1008, "why", None)
    assert live_actor.RemoteProtocolError("x", field="a.b").field == "a.b"


async def test_bad_key_is_setup_rejected_1008(anyio_backend: str) -> None:
    """README: SetupRejectedError (1007/1008 with code and reason); "never loop"."""
    with FakeLiveServer(chunk_delay=0, api_keys=["the-good-key"]) as server:
        with pytest.raises(live_actor.SetupRejectedError) as info:
            async with live_actor.open_session(text_config(), api_key=API_KEY, base_url=server.url):
                pass
        assert len(server.connections) == 1
    assert info.value.code == 1008
    assert "API key not valid" in info.value.reason
    assert API_KEY not in str(info.value) and API_KEY not in repr(info.value)


async def test_http_4xx_at_upgrade_is_setup_rejected_with_status(anyio_backend: str) -> None:
    """README/CHANGELOG: an HTTP 4xx refusing the upgrade raises SetupRejectedError with
    ``status``."""
    server = FakeLiveServer(chunk_delay=0, api_keys=["good"], reject_auth_at_upgrade=True)
    with server, pytest.raises(live_actor.SetupRejectedError) as info:
        async with live_actor.open_session(text_config(), api_key=API_KEY, base_url=server.url):
            pass
    assert info.value.status in (401, 403)
    assert API_KEY not in str(info.value)


async def test_unknown_model_is_setup_rejected(anyio_backend: str, server: FakeLiveServer) -> None:
    """README table: fatal 1008 "model not found" stops with SetupRejectedError."""
    config = text_config().evolve(model="gemini-does-not-exist")
    with pytest.raises(live_actor.SetupRejectedError) as info:
        async with live_actor.open_session(config, api_key=API_KEY, base_url=server.url):
            pass
    assert info.value.code == 1008
    assert "models/gemini-does-not-exist is not found" in info.value.reason


async def test_activity_markers_with_automatic_vad_are_refused_locally(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """Issue 10 item 6: a local protocol mistake raises LocalProtocolError to the caller
    and the session stays READY (the server would close with 1007)."""
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url
    ) as session:
        with pytest.raises(live_actor.LocalProtocolError, match="automatic activity detection"):
            await session.send_realtime_input(activity_start=True)
        with pytest.raises(live_actor.LocalProtocolError, match="no function call"):
            await session.send_tool_response({"id": "never-issued", "name": "f", "response": {}})
        assert session.status is live_actor.SessionStatus.READY
        await session.send_client_content("still fine?")
        assert (await session.receive_turn()).text
    assert session.error is None
    assert len(server.connections) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_dial_error_is_connect_error_with_no_code(anyio_backend: str) -> None:
    """ConnectError docstring: code/reason are "None/"" for dial errors and timeouts"."""
    with pytest.raises(live_actor.ConnectError) as info:
        async with live_actor.open_session(
            text_config(), api_key=API_KEY, base_url=f"ws://127.0.0.1:{_free_port()}"
        ):
            pass
    assert not isinstance(info.value, live_actor.SetupRejectedError)
    assert info.value.code is None
    assert info.value.status is None
    assert info.value.reason == ""


async def test_connect_timeout_is_connect_error(anyio_backend: str) -> None:
    """README table: timeouts; the first connection raises ConnectError (and the README log
    event ``live_actor.session.connect_failed``)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"ws://127.0.0.1:{silent.getsockname()[1]}"
        options = live_actor.SessionOptions(
            transport=live_actor.TransportOptions(connect_timeout=0.3)
        )
        with capture_logs() as logs, pytest.raises(live_actor.ConnectError) as info:
            async with live_actor.open_session(
                text_config(), api_key=API_KEY, base_url=url, options=options
            ):
                pass
    assert info.value.code is None
    assert not isinstance(info.value, live_actor.SetupRejectedError)
    assert "live_actor.session.connect_failed" in [e["event"] for e in logs]


async def test_restart_intensity_gives_up_with_gave_up_error(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: "More than max_restarts charged restarts within period seconds gives up with
    GaveUpError (on the handle, on_gave_up, and a live_actor.supervisor.gave_up log event)
    — never an ExceptionGroup in your task group"; GaveUp in events(lifecycle=True)."""
    rec = Recorder()
    policy = live_actor.RestartPolicy(max_restarts=1, period=60, random=lambda: 0.0)
    with capture_logs() as logs:
        async with live_actor.Supervisor(policy=policy) as sup:
            session = await sup.start_session(
                text_config(), api_key=API_KEY, base_url=server.url, **rec.kwargs("on_gave_up")
            )
            await session.connect()
            (await server.wait_for_connection(1)).drop()
            (await server.wait_for_connection(2)).drop()
            lifecycle = [e async for e in session.events(lifecycle=True)]
            await session.wait_closed()
    assert isinstance(session.error, live_actor.GaveUpError)
    assert len(server.connections) == 2
    gave_up = [e for e in lifecycle if isinstance(e, live_actor.GaveUp)]
    assert gave_up and gave_up[0].reason == str(session.error)
    assert rec.args("on_gave_up") == [(str(session.error),)]
    assert any(e["event"] == "live_actor.supervisor.gave_up" for e in logs)


async def test_supervisor_body_exception_is_not_an_exception_group(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: never an ``ExceptionGroup`` in your task group."""
    with pytest.raises(KeyError):
        async with live_actor.Supervisor() as sup:
            session = await sup.start_session(text_config(), api_key=API_KEY, base_url=server.url)
            await session.connect()
            raise KeyError("mine")
    assert session.status is live_actor.SessionStatus.CLOSED
