"""Secrets (API key, ephemeral token, bearer token) never appear in logs, reprs or errors."""

from __future__ import annotations

import pytest
import structlog

from live_actor import (
    BearerToken,
    EphemeralToken,
    LiveConfig,
    LiveError,
    RestartPolicy,
    open_session,
)
from live_actor.testing import FakeLiveServer

from ..helpers import text_config

pytestmark = pytest.mark.anyio

API_KEY = "AIzaSECRET-api-key-DO-NOT-LOG-1234"
BEARER = "ya29.SECRET-bearer-DO-NOT-LOG"
NO_JITTER = RestartPolicy(random=lambda: 0.0, backoff_base=0.01)


async def test_no_secret_in_any_log_repr_or_error() -> None:
    server = FakeLiveServer(chunk_delay=0, close_timeout=0.3).start()
    strict = FakeLiveServer(chunk_delay=0, api_keys={"other"}, reject_auth_at_upgrade=True).start()
    token = server.create_token(uses=0)
    secrets = [API_KEY, BEARER, token, token.split("/", 1)[1]]
    seen: list[str] = []
    try:
        with structlog.testing.capture_logs() as logs:
            # API key: chat, tool-less turn, drop + resume
            async with open_session(
                text_config(), api_key=API_KEY, base_url=server.url, policy=NO_JITTER
            ) as session:
                seen.append(repr(session))
                await session.send_client_content("hello")
                await session.receive_turn()
                (await server.wait_for_connection()).drop()
                await session.send_client_content("again")
                await session.receive_turn()
            # ephemeral token on the constrained v1alpha endpoint
            async with open_session(
                text_config(api_version="v1alpha"),
                credentials=EphemeralToken(token),
                base_url=server.url,
            ) as session:
                await session.send_client_content("with a token")
                await session.receive_turn()
            # Vertex bearer token
            async with open_session(
                LiveConfig(model="gemini-live-2.5-flash-preview", auth="vertex_ai",
                           project_id="p", generation_config={"response_modalities": ["TEXT"]}),
                credentials=BearerToken(BEARER),
                base_url=server.url,
            ) as session:
                await session.send_client_content("vertex")
                await session.receive_turn()
            # refused credentials at the upgrade and after it
            for target in (strict, FakeLiveServer(chunk_delay=0, api_keys={"x"}).start()):
                try:
                    with pytest.raises(LiveError) as caught:
                        async with open_session(text_config(), api_key=API_KEY,
                                                base_url=target.url):
                            pass
                    seen.extend([str(caught.value), repr(caught.value)])
                    cause = caught.value.__cause__
                    seen.extend([str(cause), repr(cause)])
                finally:
                    if target is not strict:
                        target.stop()
            seen.append(repr(EphemeralToken(token)))
            seen.append(repr(BearerToken(BEARER)))
    finally:
        server.stop()
        strict.stop()
    assert len(logs) > 20
    events = {entry["event"] for entry in logs}
    assert {"live_actor.session.connect", "live_actor.supervisor.resumed"} <= events
    text = repr(logs) + "\n".join(seen)
    for secret in secrets:
        assert secret not in text


async def test_no_resumption_handle_in_any_log_repr_or_traceback() -> None:
    """Issue 10 item 12: resumption handles are secrets too.  Every stdlib logger at
    DEBUG, structlog rendering exceptions with rich (locals shown), a drop, a resume, a
    goAway, a failing tool and a crashing callback: no handle appears anywhere, while
    the accessor still returns it."""
    import io
    import logging

    import anyio
    from structlog.dev import ConsoleRenderer, RichTracebackFormatter

    import live_actor

    server = FakeLiveServer(chunk_delay=0, close_timeout=0.3).start()
    stdlib = io.StringIO()
    rendered = io.StringIO()
    handler = logging.StreamHandler(stdlib)
    root = logging.getLogger()
    old_level, old_config = root.level, structlog.get_config()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            ConsoleRenderer(
                colors=False,
                exception_formatter=RichTracebackFormatter(show_locals=True, width=200),
            ),
        ],
        logger_factory=structlog.PrintLoggerFactory(rendered),
    )
    handles: set[str] = set()
    reprs: list[str] = []

    def crash(message: object) -> None:
        raise RuntimeError("a callback that fails")

    def tool(call: live_actor.types.ToolCall) -> None:
        raise RuntimeError("a tool that fails")

    try:
        async with open_session(
            text_config(tools=[{"function_declarations": [{"name": "lookup"}]}]),
            api_key=API_KEY,
            base_url=server.url,
            policy=NO_JITTER,
            on_session_resumption=crash,
            on_tool_call=tool,
        ) as session:
            await session.send_client_content("my name is Alice")
            await session.receive_turn()
            handles.add(session.resumption_handle or "")
            (await server.wait_for_connection()).drop()
            await session.send_client_content("call lookup city=Rome")
            with anyio.fail_after(10):
                while "returned" not in (await session.receive_turn()).text:
                    pass
            handles.add(session.resumption_handle or "")
            server.connections[-1].go_away(5.0)
            with anyio.fail_after(10):
                async for event in session.events(lifecycle=True):
                    reprs.append(repr(event))
                    if isinstance(event, live_actor.Resumed):
                        break
            handles.add(session.resumption_handle or "")
            reprs += [repr(session), repr(session.config), repr(session._actor.core.ledger)]
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        structlog.configure(**old_config)
        server.stop()
    handles.discard("")
    assert len(handles) >= 2
    everything = stdlib.getvalue() + rendered.getvalue() + "\n".join(reprs)
    assert "a callback that fails" in everything  # the tracebacks were rendered
    for handle in handles:
        assert handle not in everything
