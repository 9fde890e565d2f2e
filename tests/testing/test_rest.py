"""REST: models.list paging, auth_tokens.create, and ephemeral tokens on the Live socket."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest

from live_actor.testing import FakeLiveServer

from ._wsclient import connect

pytestmark = pytest.mark.anyio
DATA = pathlib.Path(__file__).parent.parent / "data"
KEY = {"x-goog-api-key": "test-key"}


async def test_models_paging(server: FakeLiveServer) -> None:
    names: list[str] = []
    live: list[str] = []
    token = None
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        while True:
            params = {"pageSize": "4", **({"pageToken": token} if token else {})}
            r = await http.get("/v1beta/models", params=params, headers=KEY)
            assert r.status_code == 200
            body = r.json()
            assert len(body["models"]) <= 4
            for model in body["models"]:
                names.append(model["name"])
                if "bidiGenerateContent" in model["supportedGenerationMethods"]:
                    live.append(model["name"])
            token = body.get("nextPageToken")
            if not token:
                break
        one = await http.get("/v1alpha/models/gemini-2.0-flash-exp", headers=KEY)
        assert one.json()["supportedGenerationMethods"][0] == "bidiGenerateContent"
        assert (await http.get("/v1beta/models/nope", headers=KEY)).status_code == 404
        bad = await http.get("/v1beta/models", params={"pageToken": "!!"}, headers=KEY)
        assert bad.status_code == 400
    assert len(names) == len(set(names)) > 4
    assert "models/gemini-2.5-flash-native-audio-preview-12-2025" in live
    assert "models/gemini-2.5-flash" in names and "models/gemini-2.5-flash" not in live


async def test_rest_requires_key(make_server: Callable[..., FakeLiveServer]) -> None:
    server = make_server(api_keys={"good"})
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        missing = await http.get("/v1beta/models")
        assert missing.status_code == 403
        assert missing.json()["error"]["status"] == "PERMISSION_DENIED"
        bad = await http.get("/v1beta/models", params={"key": "bad"})
        assert bad.status_code == 400
        assert bad.json()["error"]["message"] == "API key not valid. Please pass a valid API key."
        ok = await http.post("/v1alpha/auth_tokens", params={"key": "good"}, json={})
        assert ok.status_code == 200


async def create_token(server: FakeLiveServer, body: dict[str, Any]) -> str:
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        r = await http.post("/v1alpha/auth_tokens", json=body, headers=KEY)
    assert r.status_code == 200, r.text
    name: str = r.json()["name"]
    assert name.startswith("auth_tokens/")
    return name


async def test_token_header_and_query_and_uses(server: FakeLiveServer) -> None:
    body = json.loads((DATA / "rest_auth_tokens_create_unconstrained.json").read_text())["body"]
    token = await create_token(server, {**body, "uses": 2})
    url = server.live_url(constrained=True)
    async with connect(url, {"Authorization": f"Token {token}"}, key=None) as ws:
        assert await ws.setup(sessionResumption={}) == {"setupComplete": {}}
        handle = (await ws.recv())["sessionResumptionUpdate"]["newHandle"]
    async with connect(f"{url}?access_token={token}", key=None) as ws:
        assert await ws.setup() == {"setupComplete": {}}
    # resuming does not consume a use
    async with connect(url, {"Authorization": f"Token {token}"}, key=None) as ws:
        assert await ws.setup(sessionResumption={"handle": handle}) == {"setupComplete": {}}
    async with connect(url, {"Authorization": f"Token {token}"}, key=None) as ws:
        await ws.send({"setup": {"model": "models/gemini-2.0-flash-exp"}})
        closed = await ws.closed()
    assert (closed.code, closed.reason) == (1008, "The ephemeral token has no uses left.")
    assert server.connections[0].auth_kind == "token"


async def test_token_on_plain_method_and_unknown_token(server: FakeLiveServer) -> None:
    token = await create_token(server, {})
    async with connect(
        server.live_url("v1alpha"), {"Authorization": f"Token {token}"}, key=None
    ) as ws:
        await ws.send({"setup": {"model": "models/gemini-2.0-flash-exp"}})
        closed = await ws.closed()
    assert closed.code == 1008 and "unregistered callers" in closed.reason
    url = server.live_url(constrained=True)
    async with connect(url, {"Authorization": "Token auth_tokens/forged"}, key=None) as ws:
        await ws.send({"setup": {"model": "models/gemini-2.0-flash-exp"}})
        assert (await ws.closed()).code == 1008


async def test_token_global_lock(server: FakeLiveServer) -> None:
    body = json.loads((DATA / "rest_auth_tokens_create_lock_none.json").read_text())["body"]
    body["bidiGenerateContentSetup"] = {
        "model": "models/gemini-2.0-flash-exp",
        "generationConfig": {"responseModalities": ["TEXT"], "temperature": 0.5},
    }
    token = await create_token(server, body)
    async with connect(
        server.live_url(constrained=True), {"Authorization": f"Token {token}"}, key=None
    ) as ws:
        await ws.setup("models/gemini-live-2.5-flash-preview", outputAudioTranscription={})
    conn = server.connections[0]
    assert conn.config is not None
    assert conn.config.model == "models/gemini-2.0-flash-exp"
    assert conn.config.modality == "TEXT" and not conn.config.output_transcription


async def test_token_field_mask(server: FakeLiveServer) -> None:
    body = json.loads((DATA / "rest_auth_tokens_create_lock_empty.json").read_text())["body"]
    body["bidiGenerateContentSetup"]["model"] = "models/gemini-2.0-flash-exp"
    token = await create_token(server, body)
    async with connect(
        server.live_url(constrained=True), {"Authorization": f"Token {token}"}, key=None
    ) as ws:
        await ws.setup(
            "models/gemini-live-2.5-flash-preview",
            generationConfig={"responseModalities": ["TEXT"], "temperature": 1.5},
        )
    setup = server.connections[0].setup
    assert setup is not None
    assert setup["model"] == "models/gemini-2.0-flash-exp"
    assert setup["generationConfig"] == {"responseModalities": ["TEXT"], "temperature": 0.5}


async def test_token_times(server: FakeLiveServer) -> None:
    now = dt.datetime.now(dt.UTC)
    closed_for_new = await create_token(
        server, {"newSessionExpireTime": (now - dt.timedelta(seconds=1)).isoformat()}
    )
    url = server.live_url(constrained=True)
    async with connect(url, {"Authorization": f"Token {closed_for_new}"}, key=None) as ws:
        await ws.send({"setup": {"model": "models/gemini-2.0-flash-exp"}})
        assert (await ws.closed()).code == 1008
    short = await create_token(
        server, {"expireTime": (now + dt.timedelta(seconds=0.4)).isoformat(), "uses": 0}
    )
    async with connect(url, {"Authorization": f"Token {short}"}, key=None) as ws:
        await ws.setup(generationConfig={"responseModalities": ["TEXT"]})
        await anyio.sleep(0.5)
        await ws.send({"realtimeInput": {"text": "too late"}})
        closed = await ws.closed()
    assert (closed.code, closed.reason) == (1008, "The ephemeral token has expired.")
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        far = (now + dt.timedelta(hours=21)).isoformat()
        r = await http.post("/v1alpha/auth_tokens", json={"expireTime": far}, headers=KEY)
        assert r.status_code == 400
        r = await http.post("/v1beta/auth_tokens", json={}, headers=KEY)
        assert r.status_code == 404


def test_create_token_helper() -> None:
    with FakeLiveServer() as server:
        soon = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
        name = server.create_token(uses=0, expire_time=soon)
        assert name.startswith("auth_tokens/")
        with pytest.raises(ValueError, match="20 hours"):
            server.create_token(expire_time="2099-01-01T00:00:00Z")
