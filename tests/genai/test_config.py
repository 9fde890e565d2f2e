"""``live_config_from_genai``: the setup we send equals the one google-genai sends.

google-genai (the test extra) is the oracle: for the same ``LiveConnectConfig``
its own converters build the setup dict (``_oracle.sdk_setup``), which must
decode to exactly the ``Setup`` our ``LiveConfig.to_setup()`` produces.
"""

from __future__ import annotations

from typing import Any

import pytest
from google.genai import types

from live_actor import ConfigError, LiveConfig
from live_actor._genai import GENAI_SETUP_FIELDS, live_config_from_genai

from ._oracle import our_setup_normalised, sdk_setup

MODEL = "gemini-live-2.5-flash-preview"
NATIVE = "gemini-2.5-flash-native-audio-preview-12-2025"

WEATHER = types.FunctionDeclaration(
    name="get_weather",
    description="Current weather for a city.",
    parameters=types.Schema(
        type=types.Type.OBJECT,
        properties={"city_name": types.Schema(type=types.Type.STRING, description="City")},
        required=["city_name"],
    ),
    behavior=types.Behavior.NON_BLOCKING,
)
LIGHTS = types.FunctionDeclaration(
    name="turn_on_lights",
    parameters_json_schema={"type": "object", "properties": {"room": {"type": "string"}}},
)


def every_field() -> types.LiveConnectConfig:
    """A config setting every LiveConnectConfig field with a Gemini-API setup meaning."""
    return types.LiveConnectConfig(
        response_modalities=[types.Modality.AUDIO],
        temperature=0.7,
        top_p=0.9,
        top_k=40,
        max_output_tokens=1024,
        media_resolution=types.MediaResolution.MEDIA_RESOLUTION_LOW,
        seed=7,
        speech_config=types.SpeechConfig(
            voice_config=types.VoiceConfig(
                prebuilt_voice_config=types.PrebuiltVoiceConfig(voice_name="Kore")
            ),
            language_code="en-US",
        ),
        thinking_config=types.ThinkingConfig(include_thoughts=True, thinking_budget=512),
        enable_affective_dialog=True,
        system_instruction=types.Content(parts=[types.Part(text="Be terse.")], role="user"),
        tools=[
            types.Tool(function_declarations=[WEATHER]),
            types.Tool(google_search=types.GoogleSearch()),
            types.Tool(code_execution=types.ToolCodeExecution()),
            types.Tool(url_context=types.UrlContext(), function_declarations=[LIGHTS]),
        ],
        session_resumption=types.SessionResumptionConfig(handle="resume-me"),
        input_audio_transcription=types.AudioTranscriptionConfig(),
        output_audio_transcription=types.AudioTranscriptionConfig(language_codes=["en-US"]),
        realtime_input_config=types.RealtimeInputConfig(
            automatic_activity_detection=types.AutomaticActivityDetection(
                disabled=False,
                start_of_speech_sensitivity=types.StartSensitivity.START_SENSITIVITY_LOW,
                end_of_speech_sensitivity=types.EndSensitivity.END_SENSITIVITY_HIGH,
                prefix_padding_ms=20,
                silence_duration_ms=500,
            ),
            activity_handling=types.ActivityHandling.NO_INTERRUPTION,
            turn_coverage=types.TurnCoverage.TURN_INCLUDES_ALL_INPUT,
        ),
        context_window_compression=types.ContextWindowCompressionConfig(
            trigger_tokens=25600, sliding_window=types.SlidingWindow(target_tokens=12800)
        ),
        proactivity=types.ProactivityConfig(proactive_audio=True),
        history_config=types.HistoryConfig(initial_history_in_client_content=True),
        avatar_config=types.AvatarConfig(avatar_name="ada", audio_bitrate_bps=64000),
        safety_settings=[
            types.SafetySetting(
                category=types.HarmCategory.HARM_CATEGORY_HARASSMENT,
                threshold=types.HarmBlockThreshold.BLOCK_ONLY_HIGH,
            )
        ],
        translation_config=types.TranslationConfig(target_language_code="de"),
        labels={"team": "voice"},
    )


def test_the_converter_knows_every_live_connect_config_field() -> None:
    # A field google-genai adds must be mapped (or refused on purpose) here.
    assert set(types.LiveConnectConfig.model_fields) == GENAI_SETUP_FIELDS


def test_the_every_field_config_sets_every_gemini_setup_field() -> None:
    set_fields = set(every_field().model_dump(exclude_none=True))
    # http_options: not setup; generation_config: the deprecated spelling (tested below);
    # explicit_vad_signal: Vertex only (tested below).
    assert set_fields == GENAI_SETUP_FIELDS - {
        "http_options", "generation_config", "explicit_vad_signal"
    }


@pytest.mark.parametrize("form", ["object", "model_dump", "model_dump_json_mode"])
def test_every_field_setup_equals_the_sdk_setup(form: str) -> None:
    config: Any = every_field()
    expected = sdk_setup(NATIVE, every_field())
    if form == "model_dump":
        config = config.model_dump()
    elif form == "model_dump_json_mode":
        config = config.model_dump(mode="json", exclude_none=True)
    ours = live_config_from_genai(NATIVE, config)
    assert isinstance(ours, LiveConfig)
    assert our_setup_normalised(ours.to_setup()) == expected
    # spot checks, so a shared blind spot of decoder and oracle cannot hide a loss
    setup = ours.to_setup()
    assert setup.generation_config is not None
    assert setup.generation_config.seed == 7
    assert setup.generation_config.translation_config is not None
    assert setup.tools is not None and setup.tools[-1].function_declarations is not None
    assert [d.name for d in setup.tools[-1].function_declarations] == [
        "get_weather", "turn_on_lights"
    ]
    assert setup.session_resumption is not None
    assert setup.session_resumption.handle == "resume-me"


def test_minimal_and_none_configs() -> None:
    assert live_config_from_genai(MODEL).to_setup() == sdk_setup(MODEL, None)
    assert live_config_from_genai(MODEL, {}).to_setup() == sdk_setup(MODEL, {})
    assert live_config_from_genai(f"models/{MODEL}", {"response_modalities": ["TEXT"]}).to_setup(
    ) == sdk_setup(f"models/{MODEL}", {"response_modalities": ["TEXT"]})


@pytest.mark.parametrize(
    "instruction",
    [
        "You are a pirate.",
        types.Part(text="You are a pirate."),
        ["You are a pirate.", "Answer in French."],
        {"parts": [{"text": "sys"}]},
        types.Content(parts=[types.Part(text="sys")]),
    ],
    ids=["str", "part", "list", "content-dict", "content-no-role"],
)
def test_system_instruction_forms(instruction: Any) -> None:
    config = {"system_instruction": instruction}
    assert live_config_from_genai(MODEL, config).to_setup() == sdk_setup(MODEL, config)


def test_deprecated_generation_config_merges_with_flat_fields_like_the_sdk() -> None:
    config = types.LiveConnectConfig(
        generation_config=types.GenerationConfig(temperature=0.9, top_k=3, seed=1),
        temperature=0.9,
        response_modalities=["TEXT"],
    )
    ours = live_config_from_genai(MODEL, config).to_setup()
    with pytest.warns(DeprecationWarning, match="generation_config"):
        expected = sdk_setup(MODEL, config)
    assert ours == expected
    assert ours.generation_config is not None
    assert ours.generation_config.temperature == 0.9 and ours.generation_config.top_k == 3


def test_deprecated_generation_config_clashing_with_a_flat_field_is_refused() -> None:
    config = types.LiveConnectConfig(
        generation_config=types.GenerationConfig(temperature=0.1), temperature=0.9
    )
    with pytest.raises(ConfigError, match="temperature set both"):
        live_config_from_genai(MODEL, config)


def test_speech_config_as_a_voice_name() -> None:
    config = live_config_from_genai(MODEL, {"speech_config": "Puck"})
    expected = sdk_setup(
        MODEL,
        {"speech_config": {"voice_config": {"prebuilt_voice_config": {"voice_name": "Puck"}}}},
    )
    assert config.to_setup() == expected


def test_vertex_setup_equals_the_sdk_setup() -> None:
    config = types.LiveConnectConfig(
        explicit_vad_signal=True,
        session_resumption=types.SessionResumptionConfig(transparent=True),
        temperature=0.2,
        tools=[types.Tool(function_declarations=[WEATHER])],
        labels={"a": "b"},
    )
    ours = live_config_from_genai(
        NATIVE, config, auth="vertex_ai", project_id="proj", location="europe-west4"
    )
    assert our_setup_normalised(ours.to_setup()) == sdk_setup(NATIVE, config, vertex=True)


def test_http_options_map_to_the_endpoint() -> None:
    config = live_config_from_genai(
        MODEL,
        types.LiveConnectConfig(
            http_options=types.HttpOptions(
                base_url="http://127.0.0.1:9", api_version="v1alpha", headers={"x-team": "t"}
            )
        ),
    )
    assert config.base_url == "http://127.0.0.1:9"
    assert config.api_version == "v1alpha"
    assert dict(config.extra_headers) == {"x-team": "t"}


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({"response_modality": ["TEXT"]}, "response_modalities"),
        ({"http_options": {"timeout": 5}}, "http_options.timeout"),
        (
            types.LiveConnectConfig(
                speech_config=types.SpeechConfig(
                    multi_speaker_voice_config=types.MultiSpeakerVoiceConfig(
                        speaker_voice_configs=[]
                    )
                )
            ),
            "multi_speaker_voice_config",
        ),
        (
            types.LiveConnectConfig(
                input_audio_transcription=types.AudioTranscriptionConfig(word_timestamp=True)
            ),
            "word_timestamp",
        ),
        (
            types.LiveConnectConfig(generation_config=types.GenerationConfig(stop_sequences=["x"])),
            "stop_sequences",
        ),
        ({"tools": [{"exa_ai_search": {}}]}, "exa_ai_search"),
        ({"explicit_vad_signal": True}, "explicit_vad_signal"),
        ({"session_resumption": {"transparent": True}}, "transparent"),
    ],
    ids=[
        "typo", "http-timeout", "multi-speaker", "transcription-extra", "generation-extra",
        "unknown-tool", "vertex-only-vad", "vertex-only-transparent",
    ],
)
def test_unsupported_fields_raise_config_error_naming_them(config: Any, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        live_config_from_genai(MODEL, config)


def test_python_callables_as_tools_are_refused_with_advice() -> None:
    def get_weather(city: str) -> str:
        return city

    with pytest.raises(ConfigError, match=r"tools\[0\] is a Python callable"):
        live_config_from_genai(MODEL, {"tools": [get_weather]})


def test_naming_a_field_twice_is_an_error() -> None:
    with pytest.raises(ConfigError, match="base_url given both"):
        live_config_from_genai(
            MODEL, {"http_options": {"base_url": "ws://a:1"}}, base_url="ws://b:2"
        )
