"""Per-model rules (3.1, 3.8), history seeding, replicated voices, undecodable speech."""

from __future__ import annotations

from typing import Any

import pytest

from live_actor.testing import FakeLiveServer, silence, tone

from ._wsclient import Client, connect, texts

pytestmark = pytest.mark.anyio
M31 = "models/gemini-3.1-flash-live-preview"
M38 = "models/gemini-3.8-live"
M38X = "models/gemini-3.8-live-extended-thinking"
TEXT: dict[str, Any] = {"generationConfig": {"responseModalities": ["TEXT"]}}
SEED: dict[str, Any] = {"historyConfig": {"initialHistoryInClientContent": True}}
INVALID = (1007, "Request contains an invalid argument.")


def _content(text: str, *, role: str = "user", complete: bool = False) -> dict[str, Any]:
    turns = [{"role": role, "parts": [{"text": text}]}]
    return {"clientContent": {"turns": turns, "turnComplete": complete}}


async def _closed(ws: Client) -> tuple[int, str]:
    closed = await ws.closed()
    return closed.code, closed.reason


def _transcript(messages: list[dict[str, Any]]) -> str:
    return "".join(
        m["serverContent"]["outputTranscription"]["text"]
        for m in messages
        if "outputTranscription" in m.get("serverContent", {})
    )


# -- gemini-3.1-flash-live-preview ---------------------------------------------------


async def test_31_closes_with_1007_on_client_content_after_realtime_input(
    server: FakeLiveServer,
) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(M31, **TEXT)
        await ws.send({"realtimeInput": {"text": "hello"}})
        await ws.turn()
        await ws.send(_content("too late", complete=True))
        assert await _closed(ws) == INVALID


async def test_31_takes_a_seed_then_closes_on_client_content_after_it(
    server: FakeLiveServer,
) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(M31, **SEED, **TEXT)
        await ws.send(_content("my name is Ada"))
        await ws.send(_content("Hello Ada.", role="model", complete=True))  # ends the seed
        await ws.send({"realtimeInput": {"text": "what is my name"}})
        messages = await ws.turn()
        assert texts(messages) == "Your name is Ada."
        # several parts per message on 3.1
        assert any(
            len(m["serverContent"]["modelTurn"]["parts"]) > 1
            for m in messages
            if "modelTurn" in m.get("serverContent", {})
        )
        await ws.send(_content("mid-session"))
        assert await _closed(ws) == INVALID


# -- history seeding (any model) -----------------------------------------------------


async def test_seeded_history_is_never_answered_and_ends_with_realtime_input(
    server: FakeLiveServer,
) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(**SEED, **TEXT)
        await ws.send(_content("my city is Lyon"))
        await ws.send(_content("Noted.", role="model"))
        await ws.send({"realtimeInput": {"text": "what is my city"}})
        messages = await ws.turn()
    assert texts(messages) == "Your city is Lyon."
    assert sum(1 for m in messages if m.get("serverContent", {}).get("turnComplete")) == 1
    roles = [c["role"] for c in server.sessions[0].history]
    assert roles == ["user", "model", "user", "model"]


async def test_a_seeded_turn_with_a_function_part_closes_with_1007(
    server: FakeLiveServer,
) -> None:
    call = {"functionCall": {"id": "c1", "name": "lookup", "args": {}}}
    async with connect(server.live_url()) as ws:
        await ws.setup(**SEED, **TEXT)
        await ws.send({"clientContent": {"turns": [{"role": "model", "parts": [call]}]}})
        assert await _closed(ws) == INVALID


# -- gemini-3.8 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (M38, {"generationConfig": {"thinkingConfig": {"thinkingLevel": "LOW"}}}),
        (M38, {"generationConfig": {"enableAffectiveDialog": True}}),
        (M38, {"proactivity": {"proactiveAudio": False}}),
        (M38, TEXT),
        (M38X, {}),
        (M38X, {"generationConfig": {"thinkingConfig": {"thinkingLevel": "MINIMAL"}}}),
        (
            M38X,
            {"generationConfig": {"thinkingConfig": {"thinkingLevel": "LOW", "thinkingBudget": 9}}},
        ),
    ],
    ids=[
        "thinking-level",
        "affective-dialog",
        "proactive-audio-off",
        "text-output",
        "extended-without-thinking",
        "extended-minimal",
        "extended-level-and-budget",
    ],
)
async def test_38_setup_rules_close_with_1007(
    server: FakeLiveServer, model: str, fields: dict[str, Any]
) -> None:
    async with connect(server.live_url()) as ws:
        await ws.send({"setup": {"model": model, **fields}})
        code, _reason = await _closed(ws)
    assert code == 1007


async def test_38_accepts_proactive_audio_on_and_client_content_all_session(
    server: FakeLiveServer,
) -> None:
    async with connect(server.live_url()) as ws:
        reply = await ws.setup(
            M38, proactivity={"proactiveAudio": True}, outputAudioTranscription={}
        )
        assert reply == {"setupComplete": {}}
        await ws.send({"realtimeInput": {"text": "hello"}})
        first = await ws.turn()
        assert first[-1]["serverContent"]["interactionStatus"] == "IDLE"
        await ws.send(_content("my name is Bo", complete=True))
        assert _transcript(await ws.turn()) == "Got it, your name is Bo."


async def test_38_tools_are_non_blocking_by_default(server: FakeLiveServer) -> None:
    tools = [{"functionDeclarations": [{"name": "get_weather"}]}]
    async with connect(server.live_url()) as ws:
        await ws.setup(M38, tools=tools, outputAudioTranscription={})
        await ws.send({"realtimeInput": {"text": "call get_weather"}})
        turn = await ws.turn()  # the turn ends without waiting for the result
        [call] = next(m for m in turn if "toolCall" in m)["toolCall"]["functionCalls"]
        assert turn[-1]["serverContent"]["interactionStatus"] == "IN_PROGRESS"  # a call is owed
        response = {"id": call["id"], "name": "get_weather", "response": {"output": "sun"}}
        await ws.send({"toolResponse": {"functionResponses": [response]}})
        result = await ws.turn()
        assert _transcript(result) == 'get_weather returned "sun".'
        assert result[-1]["serverContent"]["interactionStatus"] == "IDLE"
    config = server.connections[0].config
    assert config is not None and config.functions["get_weather"].behavior == "NON_BLOCKING"


async def test_38_extended_thinking_speaks_a_filler_then_answers(server: FakeLiveServer) -> None:
    thinking = {"thinkingConfig": {"thinkingLevel": "LOW"}}
    async with connect(server.live_url()) as ws:
        await ws.setup(M38X, generationConfig=thinking, outputAudioTranscription={})
        await ws.send({"realtimeInput": {"text": "my name is Cy"}})
        filler = await ws.turn()
        assert filler[-1]["serverContent"] == {
            "turnComplete": True,
            "interactionStatus": "IN_PROGRESS",
        }
        assert _transcript(filler) == "Let me think."
        answer = await ws.turn()
        assert answer[-1]["serverContent"]["interactionStatus"] == "IDLE"
        assert _transcript(answer) == "Got it, your name is Cy."


# -- replicated voices -------------------------------------------------------------


def _voice(**replicated: Any) -> dict[str, Any]:
    return {
        "generationConfig": {"speechConfig": {"voiceConfig": {"replicatedVoiceConfig": replicated}}}
    }


async def _handle_and_signature(server: FakeLiveServer) -> tuple[str, str]:
    async with connect(server.live_url()) as ws:
        complete = await ws.setup(
            sessionResumption={}, **_voice(mimeType="audio/wav", consentAudio="AAAA")
        )
        signature = complete["setupComplete"]["voiceConsentSignature"]["signature"]
        handle = (await ws.recv())["sessionResumptionUpdate"]["newHandle"]
    return handle, signature


async def test_a_voice_consent_signature_is_issued_and_required_on_resumption(
    server: FakeLiveServer,
) -> None:
    handle, signature = await _handle_and_signature(server)
    assert signature.startswith("voice-consent-")
    async with connect(server.live_url()) as ws:  # consent audio again: not the signature
        await ws.send(
            {
                "setup": {
                    "model": "models/gemini-live-2.5-flash-preview",
                    "sessionResumption": {"handle": handle},
                    **_voice(consentAudio="AAAA"),
                }
            }
        )
        code, reason = await _closed(ws)
    assert code == 1007 and "voiceConsentSignature" in reason
    async with connect(server.live_url()) as ws:
        signed = _voice(voiceConsentSignature={"signature": signature})
        reply = await ws.setup(sessionResumption={"handle": handle}, **signed)
        assert reply == {"setupComplete": {}}


async def test_a_new_session_may_use_a_signature_this_server_issued(
    server: FakeLiveServer,
) -> None:
    _handle, signature = await _handle_and_signature(server)
    async with connect(server.live_url()) as ws:
        reply = await ws.setup(**_voice(voiceConsentSignature={"signature": signature}))
        assert reply == {"setupComplete": {}}
    async with connect(server.live_url()) as ws:
        await ws.send(
            {
                "setup": {
                    "model": "models/gemini-live-2.5-flash-preview",
                    **_voice(voiceConsentSignature={"signature": "forged"}),
                }
            }
        )
        assert (await _closed(ws))[0] == 1007


# -- speech the fake cannot decode ---------------------------------------------------


async def test_undecodable_speech_is_transcribed_as_a_placeholder_naming_its_length(
    server: FakeLiveServer,
) -> None:
    import base64

    async with connect(server.live_url()) as ws:
        await ws.setup(inputAudioTranscription={}, **TEXT)
        pcm = tone(1240, amplitude=3000) + silence(700)
        data = base64.b64encode(pcm).decode()
        await ws.send(
            {"realtimeInput": {"audio": {"mimeType": "audio/pcm;rate=16000", "data": data}}}
        )
        messages = await ws.turn()
    heard = [
        m["serverContent"]["inputTranscription"]["text"]
        for m in messages
        if "inputTranscription" in m.get("serverContent", {})
    ]
    # the activity: 1.24 s of tone and the 0.5 s of silence the VAD waits for
    assert heard == ["[speech 1.74 s]"]
    assert texts(messages) == "I heard 1.74 seconds of audio."  # still no words for the model
