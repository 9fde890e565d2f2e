"""Realtime audio: VAD, transcription, audio replies, barge-in, manual activity, video."""

from __future__ import annotations

import base64
import json
import pathlib
from collections.abc import Callable
from typing import Any

import pytest

from live_actor.testing import FakeLiveServer, silence, speech, tone, transcribe
from live_actor.testing._vad import ActivityEnd, ActivityStart, EnergyVad, VadSettings

from ._wsclient import Client, connect

pytestmark = pytest.mark.anyio
DATA = pathlib.Path(__file__).parent.parent / "data"
FAST_VAD = {"automaticActivityDetection": {"silenceDurationMs": 100, "prefixPaddingMs": 20}}


def audio_msg(pcm: bytes, *, urlsafe: bool = False, pad: bool = True) -> dict[str, Any]:
    data = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(pcm).decode()
    if not pad:
        data = data.rstrip("=")
    return {"realtime_input": {"audio": {"data": data, "mime_type": "audio/pcm;rate=16000"}}}


async def stream(ws: Client, pcm: bytes, chunk_ms: int = 20, **kw: Any) -> None:
    step = 32 * chunk_ms
    for i in range(0, len(pcm), step):
        await ws.send(audio_msg(pcm[i : i + step], **kw))


def audio_of(messages: list[dict[str, Any]]) -> bytes:
    out = b""
    for m in messages:
        for part in m.get("serverContent", {}).get("modelTurn", {}).get("parts", []):
            if "inlineData" in part:
                assert part["inlineData"]["mimeType"] == "audio/pcm;rate=24000"
                out += base64.b64decode(part["inlineData"]["data"])
    return out


def test_speech_round_trip() -> None:
    pcm = silence(50) + speech("hello, wörld") + silence(30) + speech("again")
    assert transcribe(pcm) == "hello, wörld again"
    assert transcribe(speech("aabb", rate=24000)) == "aabb"
    assert transcribe(tone(200)) == "" and transcribe(silence(100)) == ""


def test_vad_unit_offsets() -> None:
    vad = EnergyVad(VadSettings(prefix_padding_ms=20, silence_duration_ms=100))
    events = vad.feed(silence(120) + speech("hi") + silence(150))
    assert events[0] == ActivityStart(0.12)
    assert isinstance(events[1], ActivityEnd)
    assert events[1].offset == pytest.approx(0.16 + 0.10, abs=0.011)
    assert transcribe(events[1].audio) == "hi"


async def test_voice_turn_with_transcriptions_and_audio_reply(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(
            realtimeInputConfig=FAST_VAD,
            inputAudioTranscription={},
            outputAudioTranscription={},
        )
        await stream(ws, silence(100) + speech("my name is Bob") + silence(200))
        messages = await ws.turn()
    kinds = [next(iter(m)) for m in messages]
    assert messages[0] == {"voiceActivity": {"type": "ACTIVITY_START", "audioOffset": "0.100s"}}
    assert messages[1]["voiceActivity"]["type"] == "ACTIVITY_END"
    assert messages[2] == {
        "serverContent": {"inputTranscription": {"text": "my name is Bob", "finished": True}}
    }
    assert "serverContent" in kinds
    pcm = audio_of(messages)
    assert transcribe(pcm) == "Got it, your name is Bob."
    # ~40 ms chunks of 24 kHz s16le
    sizes = [
        len(base64.b64decode(p["inlineData"]["data"]))
        for m in messages
        for p in m.get("serverContent", {}).get("modelTurn", {}).get("parts", [])
    ]
    assert max(sizes) == 1920
    transcript = "".join(
        m["serverContent"]["outputTranscription"]["text"]
        for m in messages
        if "outputTranscription" in m.get("serverContent", {})
    )
    assert transcript == "Got it, your name is Bob."
    usage = messages[-1]["usageMetadata"]
    assert usage["responseTokensDetails"][0]["modality"] == "AUDIO"
    assert any(d["modality"] == "AUDIO" for d in usage["promptTokensDetails"])
    conn = server.connections[0]
    assert conn.audio_seconds == pytest.approx(0.1 + 14 * 0.02 + 0.2, abs=0.021)


async def test_base64_alphabets_and_media_chunks(server: FakeLiveServer) -> None:
    sample = json.loads((DATA / "realtime_input_media_chunks.json").read_text())
    async with connect(server.live_url()) as ws:
        await ws.setup(realtimeInputConfig=FAST_VAD)
        await ws.send(sample)  # URL-safe, padded, deprecated mediaChunks
        pcm = speech("hey") + silence(150)
        await ws.send(audio_msg(pcm[:3000], urlsafe=True, pad=False))
        await ws.send(audio_msg(pcm[3000:], pad=False))
        messages = await ws.turn()
    assert transcribe(audio_of(messages)) == 'You said: "hey".'


async def test_bad_base64_is_1007(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup()
        await ws.send({"realtimeInput": {"audio": {"data": "!!!", "mimeType": "audio/pcm"}}})
        assert (await ws.closed()).code == 1007


async def test_low_start_sensitivity_ignores_quiet_sound(server: FakeLiveServer) -> None:
    vad = {
        "automaticActivityDetection": {
            "startOfSpeechSensitivity": "START_SENSITIVITY_LOW",
            "silenceDurationMs": 100,
        }
    }
    async with connect(server.live_url()) as ws:
        await ws.setup(realtimeInputConfig=vad)
        await stream(ws, tone(300, amplitude=1000) + silence(200))
        await stream(ws, speech("loud") + silence(200))
        messages = await ws.turn()
    assert messages[0]["voiceActivity"]["audioOffset"] == "0.500s"  # the tone was not speech
    assert transcribe(audio_of(messages)) == 'You said: "loud".'


async def test_end_sensitivity_low_needs_longer_silence(server: FakeLiveServer) -> None:
    vad = {
        "automaticActivityDetection": {
            "endOfSpeechSensitivity": "END_SENSITIVITY_LOW",
            "silenceDurationMs": 100,
        }
    }
    async with connect(server.live_url()) as ws:
        await ws.setup(realtimeInputConfig=vad)
        # 150 ms gap < 2 x 100 ms: one utterance
        await stream(ws, speech("one") + silence(150) + speech("two") + silence(250))
        messages = await ws.turn()
    assert transcribe(audio_of(messages)) == 'You said: "one two".'


async def test_audio_stream_end_flushes(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(
            realtimeInputConfig={"automaticActivityDetection": {"silenceDurationMs": 5000}}
        )
        await stream(ws, speech("flush me"))
        await ws.send({"realtimeInput": {"audioStreamEnd": True}})
        messages = await ws.turn()
    assert messages[1]["voiceActivity"]["type"] == "ACTIVITY_END"
    assert transcribe(audio_of(messages)) == 'You said: "flush me".'


async def test_manual_activity(server: FakeLiveServer) -> None:
    manual = {"automaticActivityDetection": {"disabled": True}}
    async with connect(server.live_url()) as ws:
        await ws.setup(realtimeInputConfig=manual)
        await stream(ws, speech("ignored"))  # outside an activity: ignored
        await ws.send({"realtimeInput": {"activityStart": {}}})
        await stream(ws, speech("inside") + silence(600))
        await ws.send({"realtimeInput": {"activityEnd": {}}})
        messages = await ws.turn()
    assert not any("voiceActivity" in m for m in messages)
    assert transcribe(audio_of(messages)) == 'You said: "inside".'
    conn = server.connections[0]
    assert conn.ignored_audio_seconds == pytest.approx(0.14, abs=0.021)
    kinds = [e.kind for e in conn.session.received] if conn.session else []
    assert "realtimeInput.activityStart" in kinds and "realtimeInput.activityEnd" in kinds


async def test_activity_markers_with_automatic_vad_are_1007(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup()
        await ws.send({"realtimeInput": {"activityStart": {}}})
        closed = await ws.closed()
    assert closed.code == 1007
    assert "automatic activity detection" in closed.reason


@pytest.mark.parametrize("handling", ["START_OF_ACTIVITY_INTERRUPTS", "NO_INTERRUPTION"])
async def test_barge_in(make_server: Callable[..., FakeLiveServer], handling: str) -> None:
    server = make_server(chunk_delay=0.02)
    cfg = {**FAST_VAD, "activityHandling": handling}
    async with connect(server.live_url()) as ws:
        await ws.setup(realtimeInputConfig=cfg)
        await ws.send({"realtimeInput": {"text": " ".join(["long"] * 8)}})
        await ws.recv_until(lambda m: "modelTurn" in m.get("serverContent", {}))
        await stream(ws, speech("wait") + silence(200))
        first = await ws.turn()
        second = await ws.turn()
    if handling == "NO_INTERRUPTION":
        assert {"serverContent": {"interrupted": True}} not in first
        assert {"serverContent": {"generationComplete": True}} in first
    else:
        assert {"serverContent": {"interrupted": True}} in first
        assert {"serverContent": {"generationComplete": True}} not in first
    assert transcribe(audio_of(second)) == 'You said: "wait".'


async def test_video_frames_counted(server: FakeLiveServer) -> None:
    sample = json.loads((DATA / "realtime_input_video.json").read_text())
    async with connect(server.live_url()) as ws:
        await ws.setup()
        for _ in range(3):
            await ws.send(sample)
        await ws.send(
            {"realtimeInput": {"mediaChunks": [{"mimeType": "image/png", "data": "AAAA"}]}}
        )
        await ws.send({"realtimeInput": {"text": "done"}})
        await ws.turn()
    conn = server.connections[0]
    assert conn.video_frames == 4
    assert conn.session is not None and conn.session.used_video


@pytest.mark.parametrize(
    ("coverage", "audio_seconds", "frames"),
    [
        (None, "speech", 1),
        ("TURN_COVERAGE_UNSPECIFIED", "speech", 1),
        ("TURN_INCLUDES_ONLY_ACTIVITY", "speech", 1),
        ("TURN_INCLUDES_ALL_INPUT", "all", 2),
        ("TURN_INCLUDES_AUDIO_ACTIVITY_AND_ALL_VIDEO", "speech", 2),
    ],
)
async def test_turn_coverage_decides_the_prompt_tokens(
    server: FakeLiveServer, coverage: str | None, audio_seconds: str, frames: int
) -> None:
    """Audio and frames sent outside the activity count only when turnCoverage says so."""
    ric: dict[str, Any] = {"automaticActivityDetection": {"disabled": True}}
    if coverage is not None:
        ric["turnCoverage"] = coverage
    frame = {"realtimeInput": {"video": {"mimeType": "image/jpeg", "data": "AAAA"}}}
    before, during = silence(1000), speech("hello")
    async with connect(server.live_url()) as ws:
        await ws.setup(realtimeInputConfig=ric)
        await stream(ws, before)
        await ws.send(frame)
        await ws.send({"realtimeInput": {"activityStart": {}}})
        await stream(ws, during)
        await ws.send(frame)
        await ws.send({"realtimeInput": {"activityEnd": {}}})
        messages = await ws.turn()
    details = {
        d["modality"]: d["tokenCount"] for d in messages[-1]["usageMetadata"]["promptTokensDetails"]
    }
    seconds = (len(during) if audio_seconds == "speech" else len(before) + len(during)) / 32_000
    assert details["AUDIO"] == round(seconds * 25)
    assert details["VIDEO"] == frames * 258
    assert messages[-1]["usageMetadata"]["promptTokenCount"] == sum(details.values())
