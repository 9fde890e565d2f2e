"""Ephemeral tokens: the request body equals google-genai's, minting works against the
fake, and a supervised session with a per-dial provider of single-use tokens
survives a drop and a goAway."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import anyio
import pytest
import structlog
from google.genai import types

import live_actor
from live_actor import ConfigError, EphemeralToken, LiveConfig, RestartPolicy, SetupRejectedError
from live_actor.rest import (
    AuthToken,
    EphemeralTokenProvider,
    RestAuthError,
    create_ephemeral_token,
    token_request_body,
)
from live_actor.testing import FakeLiveServer

from ..helpers import API_KEY, TEXT_MODEL

DATA = Path(__file__).parent.parent / "data"
NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def sample_body(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((DATA / f"rest_auth_tokens_create_{name}.json").read_text())[
        "body"
    ]
    return body


def test_unconstrained_body_equals_the_sdk_capture() -> None:
    assert token_request_body(uses=3) == sample_body("unconstrained")


def test_whole_setup_lock_equals_the_sdk_capture() -> None:
    config = LiveConfig(model="m", generation_config={"temperature": 0.5})
    assert token_request_body(uses=0, live_connect_constraints=config) == sample_body("lock_none")


def test_empty_lock_list_locks_the_set_fields_like_the_sdk() -> None:
    config = LiveConfig(model="m", generation_config={"temperature": 0.5})
    body = token_request_body(uses=0, live_connect_constraints=config, lock_additional_fields=[])
    assert body == sample_body("lock_empty")


@pytest.mark.parametrize("form", ["live_config", "genai_dict", "genai_object"])
def test_additional_lock_fields_equal_the_sdk_capture(form: str) -> None:
    model = "gemini-2.5-flash-native-audio-preview-09-2025"
    constraints: Any
    if form == "live_config":
        constraints = LiveConfig(
            model=model,
            generation_config={"response_modalities": ["AUDIO"], "temperature": 0.7},
            session_resumption=True,
        )
    else:
        constraints = {
            "model": model,
            "config": types.LiveConnectConfig(
                response_modalities=["AUDIO"],
                temperature=0.7,
                session_resumption=types.SessionResumptionConfig(),
            ),
        }
        if form == "genai_object":
            constraints = types.LiveConnectConstraints(**constraints)
    body = token_request_body(
        uses=1,
        expire_time=NOW + dt.timedelta(minutes=30),
        new_session_expire_time=dt.timedelta(minutes=1),
        live_connect_constraints=constraints,
        lock_additional_fields=["temperature"],
        now=NOW,
    )
    expected = sample_body("lock_temperature")
    # The SDK appends an additional field even when it is already locked
    # ("...generationConfig.temperature,...,generationConfig.temperature"); we don't.
    expected["fieldMask"] = ",".join(dict.fromkeys(expected["fieldMask"].split(",")))
    assert body == expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"uses": -1}, "uses must be an int >= 0"),
        ({"expire_time": dt.datetime(2030, 1, 1)}, "naive datetime"),
        ({"expire_time": dt.timedelta(hours=20)}, "less than 20 hours"),
        ({"new_session_expire_time": dt.timedelta(seconds=-1)}, "in the past"),
        ({"lock_additional_fields": ["temperature"]}, "needs live_connect_constraints"),
        ({"live_connect_constraints": 42}, "must be a LiveConfig"),
        (
            {"live_connect_constraints": LiveConfig(model="m", auth="vertex_ai", project_id="p")},
            "Gemini API feature",
        ),
    ],
)
def test_bad_token_requests_are_config_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        token_request_body(**kwargs)


@pytest.mark.anyio
async def test_minting_against_the_fake(server: FakeLiveServer) -> None:
    token = await create_ephemeral_token(uses=2, api_key=API_KEY, base_url=server.url)
    assert isinstance(token, AuthToken)
    assert token.name.startswith("auth_tokens/") and token.uses == 2
    assert token.expire_time is not None and token.new_session_expire_time is not None
    assert token.new_session_expire_time < token.expire_time
    assert token.name not in repr(token) and "redacted" in repr(token)
    assert isinstance(token.credentials, EphemeralToken)
    # the token opens a session (v1alpha ...Constrained method, Authorization: Token)
    config = LiveConfig(model=TEXT_MODEL, generation_config={"response_modalities": ["TEXT"]})
    async with live_actor.open_session(
        config, credentials=token.credentials, base_url=server.url
    ) as session:
        await session.send_client_content("hello")
        assert (await session.receive_turn()).text
    conn = await server.wait_for_connection()
    assert conn.auth_kind == "token" and "Constrained" in conn.path
    assert conn.headers.get("authorization") == f"Token {token.name}"


@pytest.mark.anyio
async def test_a_spent_single_use_token_cannot_open_a_new_session(
    server: FakeLiveServer,
) -> None:
    token = await create_ephemeral_token(uses=1, api_key=API_KEY, base_url=server.url)
    config = LiveConfig(model=TEXT_MODEL, generation_config={"response_modalities": ["TEXT"]})
    async with live_actor.open_session(config, credentials=token.name, base_url=server.url):
        pass
    with pytest.raises(SetupRejectedError, match="no uses left") as info:
        async with live_actor.open_session(config, credentials=token.name, base_url=server.url):
            pass
    assert token.name not in str(info.value)


@pytest.mark.anyio
async def test_minting_with_a_refused_key(server: FakeLiveServer) -> None:
    with pytest.raises(RestAuthError) as info:
        await create_ephemeral_token(api_key="AIzaNOPE-secret", base_url=server.url)
    assert "AIzaNOPE-secret" not in str(info.value)


@pytest.mark.anyio
async def test_a_supervised_session_resumes_with_fresh_single_use_tokens(
    server: FakeLiveServer,
) -> None:
    provider = EphemeralTokenProvider(api_key=API_KEY, base_url=server.url, uses=1)
    assert API_KEY not in repr(provider)
    config = LiveConfig(
        model=TEXT_MODEL,
        generation_config={"response_modalities": ["TEXT"]},
        session_resumption=True,
    )
    policy = RestartPolicy(backoff_base=0.05, random=lambda: 0.0)
    with structlog.testing.capture_logs() as logs, anyio.fail_after(30):
        async with live_actor.open_session(
            config, credentials=provider, base_url=server.url, policy=policy
        ) as session:
            await session.send_client_content("My name is Ada")
            await session.receive_turn()
            first = await server.wait_for_connection(1)

            first.drop()  # the network drops the socket
            await server.wait_for_connection(2)
            await session.send_client_content("What is my name?")
            answer = ""
            while "Ada" not in answer:
                answer += (await session.receive_turn()).text
            assert session.connection_number == 2

            second = server.connections[-1]
            second.go_away(2.0)  # the server announces the end of the connection
            third = await server.wait_for_connection(3)
            while session.connection_number < 3:
                await session.wait_ready()
            await session.send_client_content("And again, what is my name?")
            answer = ""
            while "Ada" not in answer:
                answer += (await session.receive_turn()).text

    connections = server.connections[:3]
    tokens = [c.headers.get("authorization", "") for c in connections]
    assert all(t.startswith("Token auth_tokens/") for t in tokens)
    assert len(set(tokens)) == 3  # a fresh token for every dial
    assert provider.minted == 3
    assert third.session is first.session  # one server-side session throughout: resumed
    text = repr(logs)
    assert API_KEY not in text
    assert not any(t.removeprefix("Token ") in text for t in tokens)
