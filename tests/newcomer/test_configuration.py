"""The README's configuration claims: LiveConfig, its shortcuts and checks.

Each test quotes (in its docstring) the claim it checks and uses only the public
API; each assertion would fail if the quoted claim were false.
"""

from __future__ import annotations

from typing import Any

import pytest

import live_actor
from live_actor import types, wire

from ..helpers import AUDIO_MODEL, TEXT_MODEL, text_config

pytestmark = pytest.mark.anyio


def test_config_takes_attrs_snake_case_or_camel_case() -> None:
    """README: "Every field takes its attrs class or plain dicts/lists with snake_case (or
    camelCase) keys"."""
    snake = live_actor.LiveConfig(
        model=TEXT_MODEL,
        generation_config={"response_modalities": ["TEXT"], "max_output_tokens": 50},
        realtime_input_config={"automatic_activity_detection": {"silence_duration_ms": 300}},
        tools=[{"function_declarations": [{"name": "lookup"}]}],
    )
    camel = live_actor.LiveConfig(
        model=TEXT_MODEL,
        generation_config={"responseModalities": ["TEXT"], "maxOutputTokens": 50},
        realtime_input_config={"automaticActivityDetection": {"silenceDurationMs": 300}},
        tools=[{"functionDeclarations": [{"name": "lookup"}]}],
    )
    typed = live_actor.LiveConfig(
        model=TEXT_MODEL,
        generation_config=types.GenerationConfig(
            response_modalities=[types.Modality.TEXT], max_output_tokens=50
        ),
        realtime_input_config=types.RealtimeInputConfig(
            automatic_activity_detection=types.AutomaticActivityDetection(silence_duration_ms=300)
        ),
        tools=[types.Tool(function_declarations=[types.FunctionDeclaration(name="lookup")])],
    )
    assert snake.to_setup() == camel.to_setup()
    encode = wire.encode_client_message
    assert encode(snake.to_setup()) == encode(typed.to_setup())
    assert isinstance(snake.generation_config, types.GenerationConfig)
    frame = wire.encode_client_message(snake.to_setup())
    assert '"responseModalities":["TEXT"]' in frame
    assert '"silenceDurationMs":300' in frame


def test_config_shortcuts() -> None:
    """LiveConfig docstring: a str system_instruction becomes one user text part; True
    enables session_resumption, context_window_compression, the transcriptions and
    proactivity; enable_affective_dialog goes inside generationConfig; api_version None
    picks v1alpha for v1alpha-only features, else v1beta; v1beta1 on Vertex."""
    config = live_actor.LiveConfig(
        model=AUDIO_MODEL,
        system_instruction="Be nice.",
        session_resumption=True,
        context_window_compression=True,
        input_audio_transcription=True,
        output_audio_transcription=True,
        proactivity=True,
        enable_affective_dialog=True,
    )
    setup = config.to_setup()
    assert setup.system_instruction is not None
    assert setup.system_instruction.role == "user"
    assert [p.text for p in setup.system_instruction.parts or ()] == ["Be nice."]
    assert setup.session_resumption is not None
    assert setup.context_window_compression is not None
    assert setup.input_audio_transcription is not None
    assert setup.output_audio_transcription is not None
    assert setup.proactivity == types.ProactivityConfig(proactive_audio=True)
    frame = wire.encode_client_message(setup)
    assert '"generationConfig":{"enableAffectiveDialog":true}' in frame
    assert config.resolved_api_version() == "v1alpha"
    assert text_config().resolved_api_version() == "v1beta"
    vertex = text_config(auth="vertex_ai", project_id="p")
    assert vertex.resolved_api_version() == "v1beta1"
    assert vertex.model_resource == (
        "projects/p/locations/us-central1/publishers/google/models/" + TEXT_MODEL
    )
    assert text_config().model_resource == "models/" + TEXT_MODEL


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        # one response modality
        (
            {"model": TEXT_MODEL, "generation_config": {"response_modalities": ["TEXT", "AUDIO"]}},
            "exactly one response modality",
        ),
        # v1alpha-only features on v1beta
        (
            {"model": AUDIO_MODEL, "proactivity": True, "api_version": "v1beta"},
            "set api_version='v1alpha'",
        ),
        (
            {"model": AUDIO_MODEL, "enable_affective_dialog": True, "api_version": "v1beta"},
            "set api_version='v1alpha'",
        ),
        # transparent on the Gemini API
        (
            {"model": TEXT_MODEL, "session_resumption": {"transparent": True}},
            "auth='vertex_ai'",
        ),
        # Vertex without a project
        ({"model": TEXT_MODEL, "auth": "vertex_ai"}, "project_id="),
        # TEXT on a native-audio model
        (
            {"model": AUDIO_MODEL, "generation_config": {"response_modalities": ["TEXT"]}},
            "response_modalities to ['AUDIO']",
        ),
        # unknown keys (with a suggestion)
        (
            {"model": TEXT_MODEL, "generation_config": {"response_modality": ["TEXT"]}},
            "did you mean 'response_modalities'",
        ),
        (
            {"model": TEXT_MODEL, "tools": [{"function_declaration": []}]},
            "did you mean 'function_declarations'",
        ),
        (
            {"model": TEXT_MODEL, "generation_config": {"response_modalities": ["TXT"]}},
            "did you mean 'TEXT'",
        ),
        # out-of-range values
        ({"model": TEXT_MODEL, "generation_config": {"top_p": 1.5}}, "between 0 and 1"),
        (
            {
                "model": TEXT_MODEL,
                "realtime_input_config": {
                    "automatic_activity_detection": {"silence_duration_ms": -5}
                },
            },
            ">= 0",
        ),
    ],
)
def test_config_validation_says_what_to_change(kwargs: dict[str, Any], says: str) -> None:
    """README: validated when built, before any dialling, with messages that say what to
    change: one response modality, v1alpha-only features on v1beta, transparent on the
    Gemini API, Vertex without a project, TEXT on a native-audio model, unknown keys (with
    a suggestion), out-of-range values."""
    with pytest.raises(live_actor.ConfigError) as info:
        live_actor.LiveConfig(**kwargs)
    assert says in str(info.value)


def test_temperature_out_of_range_is_rejected() -> None:
    """README "out-of-range values": the Gemini API's temperature range is [0, 2]."""
    with pytest.raises(live_actor.ConfigError):
        live_actor.LiveConfig(model=TEXT_MODEL, generation_config={"temperature": 7.5})


def test_evolve_revalidates() -> None:
    """LiveConfig.evolve: "converters and validation run again"."""
    config = text_config()
    assert config.evolve(generation_config={"temperature": 0.5}).generation_config == (
        types.GenerationConfig(temperature=0.5)
    )
    with pytest.raises(live_actor.ConfigError):
        config.evolve(generation_config={"top_p": 9})
