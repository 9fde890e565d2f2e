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
