"""to_setup() against google-genai: its pydantic types accept every setup we build,
and our setups equal the ones the SDK itself sent in the captured samples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from google.genai import types

from live_actor._config import LiveConfig
from live_actor._protocol._codec import decode_client_message, encode_client_message

#: Setups captured from google-genai 3.4.0 talking to a local probe server.
SAMPLES = Path(__file__).parent / "sdk_samples"
NATIVE = "gemini-2.5-flash-native-audio-preview-12-2025"

FUNCTION_TOOLS: list[dict[str, Any]] = [
    {"google_search": {}},
    {"code_execution": {}},
    {"url_context": {}},
    {
        "function_declarations": [
            {
                "name": "get_weather",
                "description": "Current weather for a city.",
                "parameters": {
                    "type": "OBJECT",
                    "properties": {"city": {"type": "STRING"}},
                    "required": ["city"],
                },
                "behavior": "NON_BLOCKING",
            },
            {
                "name": "turn_on_lights",
                "parameters_json_schema": {
                    "type": "object",
                    "properties": {"room": {"type": "string"}},
                },
            },
        ]
    },
]

RICH_GENERATION: dict[str, Any] = {
    "response_modalities": ["AUDIO"],
    "temperature": 0.7,
    "top_p": 0.95,
    "top_k": 40,
    "max_output_tokens": 1024,
    "media_resolution": "MEDIA_RESOLUTION_LOW",
    "seed": 42,
    "speech_config": {
        "voice_config": {"prebuilt_voice_config": {"voice_name": "Kore"}},
        "language_code": "en-US",
    },
    "thinking_config": {"include_thoughts": True, "thinking_budget": 1024},
}

RICH_VAD: dict[str, Any] = {
    "automatic_activity_detection": {
        "disabled": False,
        "start_of_speech_sensitivity": "START_SENSITIVITY_LOW",
        "end_of_speech_sensitivity": "END_SENSITIVITY_HIGH",
        "prefix_padding_ms": 20,
        "silence_duration_ms": 500,
    },
    "activity_handling": "START_OF_ACTIVITY_INTERRUPTS",
    "turn_coverage": "TURN_INCLUDES_ONLY_ACTIVITY",
}


def configs() -> list[tuple[str, LiveConfig, str | None]]:
    """(id, config, resume handle passed to to_setup)."""
    rich = LiveConfig(
        model=NATIVE,
        generation_config=RICH_GENERATION,
        enable_affective_dialog=True,
        system_instruction="You are a terse assistant.",
        tools=FUNCTION_TOOLS,
        session_resumption=True,
        input_audio_transcription=True,
        output_audio_transcription={"language_codes": ["en-US"]},
        realtime_input_config=RICH_VAD,
        context_window_compression={
            "trigger_tokens": 25600,
            "sliding_window": {"target_tokens": 12800},
        },
        proactivity={"proactive_audio": True},
    )
    return [
        ("minimal", LiveConfig(model="gemini-live-2.5-flash-preview"), None),
        ("minimal-resume", LiveConfig(model="m"), "handle-1"),
        (
            "text-manual-vad",
            LiveConfig(
                model="models/gemini-live-2.5-flash-preview",
                generation_config={"responseModalities": ["TEXT"]},
                system_instruction={"parts": [{"text": "sys"}]},
                session_resumption=True,
                realtime_input_config={"automaticActivityDetection": {"disabled": True}},
            ),
            None,
        ),
        ("rich", rich, "prev-handle-abc"),
        (
            "thinking-level-translation-history",
            LiveConfig(
                model="gemini-3.1-flash-live-preview",
                generation_config={
                    "thinking_config": {"thinking_level": "MINIMAL"},
                    "translation_config": {"target_language_code": "de"},
                    "frequency_penalty": 0.1,
                    "presence_penalty": 0.2,
                },
                history_config={"initial_history_in_client_content": True},
                realtime_input_config={
                    "turn_coverage": "TURN_INCLUDES_ALL_INPUT",
                    "interim_transcript_timestamp_enabled": True,
                },
                context_window_compression=True,
                safety_settings=[
                    {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}
                ],
            ),
            None,
        ),
        (
            "vertex-rich",
            LiveConfig(
                model=NATIVE,
                auth="vertex_ai",
                project_id="proj",
                location="europe-west4",
                generation_config=RICH_GENERATION,
                enable_affective_dialog=True,
                tools=FUNCTION_TOOLS[:2],
                session_resumption={"transparent": True},
                explicit_vad_signal=True,
                proactivity=True,
                labels={"team": "voice"},
            ),
            "h",
        ),
        ("vertex-minimal", LiveConfig(model="m", auth="vertex_ai", project_id="p"), None),
    ]


@pytest.mark.parametrize(
    ("config", "handle"), [(c, h) for _, c, h in configs()], ids=[i for i, _, _ in configs()]
)
def test_google_genai_accepts_every_setup(config: LiveConfig, handle: str | None) -> None:
    obj = json.loads(encode_client_message(config.to_setup(resume_handle=handle)))
    ric = obj["setup"].pop("realtimeInputConfig", None)
    # SDK type gap (wire-protocol.md §10): LiveClientSetup lacks realtimeInputConfig.
    if ric is not None:
        types.RealtimeInputConfig.model_validate(ric)
    message = types.LiveClientMessage.model_validate(obj)
    assert message.setup is not None
    assert message.setup.model == config.to_setup().model
    if handle is not None:
        assert message.setup.session_resumption is not None
        assert message.setup.session_resumption.handle == handle


def _sample_setup(name: str) -> Any:
    return decode_client_message((SAMPLES / name).read_text())


def test_rich_setup_equals_the_sdk_capture() -> None:
    config = LiveConfig(
        model="probe-echo",
        generation_config=RICH_GENERATION,
        enable_affective_dialog=True,
        system_instruction="You are a terse assistant.",
        tools=FUNCTION_TOOLS,
        session_resumption=True,
        input_audio_transcription=True,
        output_audio_transcription=True,
        realtime_input_config=RICH_VAD,
        context_window_compression={
            "trigger_tokens": 25600,
            "sliding_window": {"target_tokens": 12800},
        },
        proactivity={"proactive_audio": True},
    )
    assert config.to_setup(resume_handle="prev-handle-abc") == _sample_setup("setup_rich.json")


def test_vertex_rich_setup_equals_the_sdk_capture() -> None:
    # The capture is from a custom-URL (no project) client: the model stays a
    # publisher path, as in express mode.
    config = LiveConfig(
        model="publishers/google/models/probe-echo",
        auth="vertex_ai",
        generation_config=RICH_GENERATION,
        enable_affective_dialog=True,
        system_instruction="You are a terse assistant.",
        tools=FUNCTION_TOOLS,
        session_resumption={"transparent": True},
        input_audio_transcription=True,
        output_audio_transcription=True,
        realtime_input_config=RICH_VAD,
        context_window_compression={
            "trigger_tokens": 25600,
            "sliding_window": {"target_tokens": 12800},
        },
        proactivity=True,
    )
    assert config.to_setup(resume_handle="h") == _sample_setup("vertex_setup_rich.json")


def test_minimal_and_manual_vad_setups_equal_the_sdk_captures() -> None:
    assert LiveConfig(model="probe-echo").to_setup() == _sample_setup("setup_minimal.json")
    manual = LiveConfig(
        model="probe-echo",
        generation_config={"response_modalities": ["TEXT"]},
        system_instruction={"parts": [{"text": "sys"}]},
        session_resumption=True,
        realtime_input_config={"automatic_activity_detection": {"disabled": True}},
    )
    assert manual.to_setup() == _sample_setup("setup_from_dict_text_manual_vad.json")
