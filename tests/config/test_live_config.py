"""LiveConfig: structuring of user dicts, every validation rule, and to_setup()."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from live_actor._config import LiveConfig
from live_actor._errors import ConfigError
from live_actor._protocol._codec import encode_client_message
from live_actor._protocol._enums import (
    Behavior,
    Modality,
    StartSensitivity,
)
from live_actor._protocol._messages import (
    AudioTranscriptionConfig,
    Content,
    ContextWindowCompressionConfig,
    GenerationConfig,
    HistoryConfig,
    Part,
    ProactivityConfig,
    RealtimeInputConfig,
    SafetySetting,
    SessionResumptionConfig,
    SlidingWindow,
    Tool,
)
from live_actor._transport import redact_url

NATIVE = "gemini-2.5-flash-native-audio-preview-12-2025"


def setup_json(config: LiveConfig, **kwargs: Any) -> dict[str, Any]:
    import json

    obj: dict[str, Any] = json.loads(encode_client_message(config.to_setup(**kwargs)))
    return obj["setup"]  # type: ignore[no-any-return]


# ------------------------------------------------------------------ structuring


def test_minimal_defaults() -> None:
    config = LiveConfig(model="gemini-live-2.5-flash-preview")
    assert config.auth == "gemini"
    assert config.location == "us-central1"
    assert config.response_modality is None
    assert config.resolved_api_version() == "v1beta"
    assert setup_json(config) == {"model": "models/gemini-live-2.5-flash-preview"}


def test_dicts_in_snake_case_are_structured() -> None:
    config = LiveConfig(
        model="m",
        generation_config={
            "response_modalities": ["TEXT"],
            "temperature": 0.3,
            "speech_config": {"voice_config": {"prebuilt_voice_config": {"voice_name": "Kore"}}},
        },
        tools=[
            {"function_declarations": [{"name": "f", "behavior": "NON_BLOCKING"}]},
            {"google_search": {}},
        ],
        realtime_input_config={
            "automatic_activity_detection": {"start_of_speech_sensitivity": "START_SENSITIVITY_LOW"}
        },
        safety_settings=[{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
        history_config={"initial_history_in_client_content": True},
    )
    gc = config.generation_config
    assert isinstance(gc, GenerationConfig)
    assert gc.response_modalities == (Modality.TEXT,)
    assert config.response_modality is Modality.TEXT
    assert gc.speech_config is not None and gc.speech_config.voice_config is not None
    assert config.tools is not None and len(config.tools) == 2
    fds = config.tools[0].function_declarations
    assert fds is not None and fds[0].behavior is Behavior.NON_BLOCKING
    assert config.tools[1].google_search == {}
    ric = config.realtime_input_config
    assert isinstance(ric, RealtimeInputConfig) and ric.automatic_activity_detection is not None
    assert (
        ric.automatic_activity_detection.start_of_speech_sensitivity
        is StartSensitivity.START_SENSITIVITY_LOW
    )
    assert config.safety_settings == (
        SafetySetting(category="HARM_CATEGORY_HARASSMENT", threshold="BLOCK_NONE"),
    )
    assert config.history_config == HistoryConfig(initial_history_in_client_content=True)


def test_camel_case_dicts_equal_snake_case_dicts() -> None:
    snake = LiveConfig(
        model="m",
        generation_config={"response_modalities": ["AUDIO"], "max_output_tokens": 5},
        context_window_compression={"trigger_tokens": 1000, "sliding_window": {"target_tokens": 9}},
    )
    camel = LiveConfig(
        model="m",
        generation_config={"responseModalities": ["AUDIO"], "maxOutputTokens": 5},
        context_window_compression={"triggerTokens": 1000, "slidingWindow": {"targetTokens": 9}},
    )
    assert snake == camel
    assert setup_json(snake) == setup_json(camel)


def test_wire_class_instances_pass_through() -> None:
    gc = GenerationConfig(response_modalities=(Modality.AUDIO,), temperature=0.1)
    tool = Tool(code_execution={})
    config = LiveConfig(model="m", generation_config=gc, tools=[tool])
    assert config.generation_config is gc
    assert config.tools == (tool,)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"generation_config": {"response_modality": ["TEXT"]}},
            "did you mean 'response_modalities'",
        ),
        ({"generation_config": {"temprature": 1}}, "did you mean 'temperature'"),
        ({"tools": [{"functionDeclarations": [{"nme": "f"}]}]}, "did you mean 'name'"),
        (
            {"realtime_input_config": {"automatic_activity_detection": {"disable": True}}},
            "did you mean 'disabled'",
        ),
    ],
)
def test_unknown_key_is_an_error_with_suggestion(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        LiveConfig(model="m", **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"modle": "m"}, "unknown field 'modle' for LiveConfig; did you mean 'model'?"),
        (
            {"model": "m", "generation_confg": {}},
            "unknown field 'generation_confg' for LiveConfig; did you mean 'generation_config'?",
        ),
        (
            {"model": "m", "sesion_resumption": True},
            "unknown field 'sesion_resumption' for LiveConfig; did you mean 'session_resumption'?",
        ),
        (
            # google-genai's LiveConnectConfig keeps these at the top level
            {"model": "m", "response_modalities": ["TEXT"]},
            "unknown field 'response_modalities' for LiveConfig; it belongs in "
            "generation_config={'response_modalities': ...}",
        ),
        ({"model": "m", "xyzzy": 1}, "unknown field 'xyzzy' for LiveConfig (known: model, auth,"),
    ],
)
def test_a_top_level_typo_gets_the_same_suggestion_as_a_nested_one(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        LiveConfig(**kwargs)
    assert str(caught.value).startswith(message)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_positional_and_missing_arguments_say_how_to_call() -> None:
    with pytest.raises(ConfigError, match=r"keyword arguments only, e\.g\. LiveConfig\(model='m'"):
        LiveConfig("m")  # type: ignore[misc]
    with pytest.raises(ConfigError, match=r"LiveConfig needs model: pass e\.g\. LiveConfig\("):
        LiveConfig()  # type: ignore[call-arg]


def test_evolve_with_a_typo_gets_the_suggestion_too() -> None:
    with pytest.raises(ConfigError, match="did you mean 'system_instruction'"):
        LiveConfig(model="m").evolve(system_instructions="Be brief.")


def test_a_type_error_inside_a_converter_is_not_rewritten() -> None:
    class Exploding(dict[str, Any]):
        def items(self) -> Any:
            raise TypeError("boom from the mapping")

    with pytest.raises(TypeError, match="boom from the mapping"):
        LiveConfig(model="m", extra_headers=Exploding(a="b"))


def test_the_constructor_keeps_its_signature() -> None:
    import inspect

    parameters = inspect.signature(LiveConfig).parameters
    assert list(parameters)[:2] == ["model", "auth"]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values())


def test_unknown_key_error_names_the_path() -> None:
    with pytest.raises(ConfigError) as info:
        LiveConfig(
            model="m", tools=[{"google_search": {}}, {"function_declarations": [{"nme": "f"}]}]
        )
    assert str(info.value) == (
        "invalid tools[1].function_declarations[0]: unknown field 'nme' for "
        "FunctionDeclaration; did you mean 'name'?"
    )


def test_wrong_value_type_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"generation_config\.temperature.*expected a number"):
        LiveConfig(model="m", generation_config={"temperature": "hot"})
    with pytest.raises(ConfigError, match="generation_config: expected an object"):
        LiveConfig(model="m", generation_config=["TEXT"])  # type: ignore[arg-type]


def test_unknown_enum_name_is_an_error_with_suggestion() -> None:
    with pytest.raises(ConfigError, match=r"response_modalities\[0\].*'text'.*did you mean 'TEXT'"):
        LiveConfig(model="m", generation_config={"response_modalities": ["text"]})
    with pytest.raises(ConfigError, match="did you mean 'AUDIO'"):
        LiveConfig(model="m", generation_config={"response_modalities": ["AUIDO"]})
    with pytest.raises(ConfigError, match="did you mean 'NON_BLOCKING'"):
        LiveConfig(
            model="m", tools=[{"function_declarations": [{"name": "f", "behavior": "NONBLOCKING"}]}]
        )


def test_single_tool_dict_must_be_wrapped_in_a_list() -> None:
    with pytest.raises(ConfigError, match="wrap a single item in a list"):
        LiveConfig(model="m", tools={"google_search": {}})  # type: ignore[arg-type]


def test_empty_tool_list_is_no_tools() -> None:
    assert LiveConfig(model="m", tools=[]).tools is None


def test_shortcuts() -> None:
    config = LiveConfig(
        model="m",
        system_instruction="Be terse.",
        session_resumption=True,
        context_window_compression=True,
        input_audio_transcription=True,
        output_audio_transcription=True,
        proactivity=True,
    )
    assert config.system_instruction == Content(parts=(Part(text="Be terse."),), role="user")
    assert config.session_resumption == SessionResumptionConfig()
    assert config.context_window_compression == ContextWindowCompressionConfig(
        sliding_window=SlidingWindow()
    )
    assert config.input_audio_transcription == AudioTranscriptionConfig()
    assert config.output_audio_transcription == AudioTranscriptionConfig()
    assert config.proactivity == ProactivityConfig(proactive_audio=True)
    assert setup_json(config) == {
        "model": "models/m",
        "systemInstruction": {"parts": [{"text": "Be terse."}], "role": "user"},
        "sessionResumption": {},
        "contextWindowCompression": {"slidingWindow": {}},
        "inputAudioTranscription": {},
        "outputAudioTranscription": {},
        "proactivity": {"proactiveAudio": True},
    }


def test_false_shortcuts_mean_unset() -> None:
    config = LiveConfig(
        model="m",
        session_resumption=False,
        context_window_compression=False,
        input_audio_transcription=False,
        output_audio_transcription=False,
        proactivity=False,
    )
    assert setup_json(config) == {"model": "models/m"}


def test_system_instruction_as_dict() -> None:
    config = LiveConfig(model="m", system_instruction={"parts": [{"text": "x"}]})
    assert config.system_instruction == Content(parts=(Part(text="x"),))


def test_evolve_reruns_converters_and_validation() -> None:
    config = LiveConfig(model="m", generation_config={"response_modalities": ["TEXT"]})
    evolved = config.evolve(tools=[{"google_search": {}}])
    assert evolved.tools == (Tool(google_search={}),)
    assert evolved.generation_config == config.generation_config
    assert attrs.evolve(config, model="n").model == "n"
    with pytest.raises(ConfigError, match="model is empty"):
        config.evolve(model="")
    with pytest.raises(ConfigError, match="exactly one response modality"):
        config.evolve(generation_config={"response_modalities": ["TEXT", "AUDIO"]})


def test_config_without_mappings_is_hashable() -> None:
    assert hash(LiveConfig(model="m", extra_headers={"x": "y"})) == hash(LiveConfig(model="m"))


def test_config_is_frozen() -> None:
    config = LiveConfig(model="m")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        config.model = "x"  # type: ignore[misc]


def test_repr_hides_base_url_credentials_and_extra_header_values() -> None:
    config = LiveConfig(
        model="m",
        base_url="https://user:hunter2@proxy.example:8443/live?token=sekrit",
        extra_headers={"x-proxy-auth": "sekrit-header"},
    )
    text = repr(config)
    for secret in ("hunter2", "user:", "sekrit"):
        assert secret not in text
    assert "proxy.example:8443/live?token=REDACTED" in text
    assert "'x-proxy-auth': '<redacted>'" in text


def test_redact_url() -> None:
    assert redact_url("wss://h/p?key=a&x=b") == "wss://h/p?key=REDACTED&x=REDACTED"
    assert redact_url("ws://u:p@[::1]:80/x#frag") == "ws://REDACTED@[::1]:80/x#REDACTED"
    assert redact_url("wss://h/p") == "wss://h/p"


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize("model", ["", "   "])
def test_empty_model(model: str) -> None:
    with pytest.raises(ConfigError, match="model is empty; pass a Live model id"):
        LiveConfig(model=model)


@pytest.mark.parametrize("model", ["models/../x", "m?key=1", "a&b", " m"])
def test_malformed_model(model: str) -> None:
    with pytest.raises(ConfigError, match="not a valid model id"):
        LiveConfig(model=model)


def test_more_than_one_modality() -> None:
    with pytest.raises(ConfigError) as info:
        LiveConfig(model="m", generation_config={"response_modalities": ["TEXT", "AUDIO"]})
    assert str(info.value) == (
        "Live sessions support exactly one response modality; set "
        "generation_config.response_modalities to ['TEXT'] or ['AUDIO']"
    )


def test_text_with_native_audio_model() -> None:
    with pytest.raises(
        ConfigError, match=r"native-audio models only produce AUDIO;.*output_audio_transcription"
    ):
        LiveConfig(model=NATIVE, generation_config={"response_modalities": ["TEXT"]})
    # AUDIO is fine, and so is TEXT on another model.
    LiveConfig(model=NATIVE, generation_config={"response_modalities": ["AUDIO"]})
    LiveConfig(
        model="gemini-live-2.5-flash-preview", generation_config={"response_modalities": ["TEXT"]}
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"enable_affective_dialog": True}, "enable_affective_dialog"),
        ({"generation_config": {"enable_affective_dialog": True}}, "enable_affective_dialog"),
        ({"proactivity": {"proactive_audio": True}}, "proactivity"),
    ],
)
def test_v1alpha_features_with_explicit_other_version(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        LiveConfig(model=NATIVE, api_version="v1beta", **kwargs)
    assert "set api_version='v1alpha' (or leave it unset)" in str(info.value)
    # Unset api_version picks v1alpha; explicit v1alpha is accepted.
    assert LiveConfig(model=NATIVE, **kwargs).resolved_api_version() == "v1alpha"
    LiveConfig(model=NATIVE, api_version="v1alpha", **kwargs)
    # Vertex AI serves them on its own versions.
    vertex = LiveConfig(model=NATIVE, auth="vertex_ai", project_id="p", **kwargs)
    assert vertex.resolved_api_version() == "v1beta1"


def test_affective_dialog_goes_into_generation_config() -> None:
    config = LiveConfig(
        model=NATIVE, enable_affective_dialog=True, generation_config={"temperature": 0.5}
    )
    assert setup_json(config)["generationConfig"] == {
        "temperature": 0.5,
        "enableAffectiveDialog": True,
    }
    assert "enableAffectiveDialog" not in setup_json(config)
    assert setup_json(LiveConfig(model=NATIVE, enable_affective_dialog=True))[
        "generationConfig"
    ] == {"enableAffectiveDialog": True}


def test_affective_dialog_conflict() -> None:
    with pytest.raises(ConfigError, match="disagree; set only one"):
        LiveConfig(
            model=NATIVE,
            enable_affective_dialog=True,
            generation_config={"enable_affective_dialog": False},
        )


@pytest.mark.parametrize("transparent", [True, False])
def test_transparent_resumption_is_vertex_only(transparent: bool) -> None:
    with pytest.raises(
        ConfigError, match="only supported on Vertex AI; remove it, or set auth='vertex_ai'"
    ):
        LiveConfig(model="m", session_resumption={"transparent": transparent})
    LiveConfig(
        model="m", auth="vertex_ai", project_id="p", session_resumption={"transparent": True}
    )


def test_explicit_vad_signal_is_vertex_only() -> None:
    with pytest.raises(ConfigError, match="explicit_vad_signal is only supported on Vertex AI"):
        LiveConfig(model="m", explicit_vad_signal=True)
    config = LiveConfig(model="m", auth="vertex_ai", project_id="p", explicit_vad_signal=True)
    assert setup_json(config)["explicitVadSignal"] is True


def test_vertex_needs_project() -> None:
    with pytest.raises(
        ConfigError, match=r"needs project_id=.*express mode.*publishers/google/models/"
    ):
        LiveConfig(model="m", auth="vertex_ai")
    # Express mode: the model given as a publisher path needs no project.
    LiveConfig(model="publishers/google/models/m", auth="vertex_ai")


def test_vertex_needs_location() -> None:
    with pytest.raises(ConfigError, match="needs a location"):
        LiveConfig(model="m", auth="vertex_ai", project_id="p", location="")


@pytest.mark.parametrize(
    ("auth", "hint"), [("vertex", "did you mean 'vertex_ai'"), ("oauth", "use 'gemini'")]
)
def test_unknown_auth(auth: str, hint: str) -> None:
    with pytest.raises(ConfigError, match=hint):
        LiveConfig(model="m", auth=auth)  # type: ignore[arg-type]


@pytest.mark.parametrize("version", ["", "v1/beta", "v 1"])
def test_bad_api_version(version: str) -> None:
    with pytest.raises(ConfigError, match="leave it unset"):
        LiveConfig(model="m", api_version=version)


@pytest.mark.parametrize(
    ("generation_config", "message"),
    [
        ({"temperature": -0.1}, r"temperature must be between 0 and 2, got -0.1"),
        ({"temperature": 2.5}, r"temperature must be between 0 and 2, got 2.5"),
        ({"top_p": 1.5}, r"top_p must be between 0 and 1, got 1.5"),
        ({"top_p": -0.5}, r"top_p must be between 0 and 1"),
        ({"top_k": -1}, r"top_k must be >= 0"),
        ({"max_output_tokens": -1}, r"max_output_tokens must be >= 0, got -1"),
        ({"candidate_count": 0}, r"candidate_count must be >= 1"),
        (
            {"thinking_config": {"thinking_budget": -2}},
            r"thinking_budget \(0 = off, -1 = dynamic\)",
        ),
    ],
)
def test_generation_ranges(generation_config: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        LiveConfig(model="m", generation_config=generation_config)


def test_generation_range_edges_are_accepted() -> None:
    LiveConfig(
        model="m",
        generation_config={
            "temperature": 0,
            "top_p": 1,
            "top_k": 0,
            "max_output_tokens": 0,
            "thinking_config": {"thinking_budget": -1},
        },
    )


@pytest.mark.parametrize("name", ["prefix_padding_ms", "silence_duration_ms"])
def test_vad_ranges(name: str) -> None:
    with pytest.raises(ConfigError, match=f"automatic_activity_detection.{name} must be >= 0"):
        LiveConfig(model="m", realtime_input_config={"automatic_activity_detection": {name: -1}})


def test_compression_ranges() -> None:
    with pytest.raises(ConfigError, match="trigger_tokens must be >= 0"):
        LiveConfig(model="m", context_window_compression={"trigger_tokens": -5})
    with pytest.raises(ConfigError, match="target_tokens must be below trigger_tokens"):
        LiveConfig(
            model="m",
            context_window_compression={
                "trigger_tokens": 100,
                "sliding_window": {"target_tokens": 100},
            },
        )


@pytest.mark.parametrize(
    "base_url", ["127.0.0.1:8765", "ftp://host", "ws://", "wss://host:notaport", "/relative"]
)
def test_bad_base_url(base_url: str) -> None:
    with pytest.raises(ConfigError, match=r"base_url .* is not usable: give an absolute ws://"):
        LiveConfig(model="m", base_url=base_url)


def test_bad_base_url_error_does_not_echo_credentials() -> None:
    with pytest.raises(ConfigError) as info:
        LiveConfig(model="m", base_url="ftp://user:hunter2@host/?key=sekrit")
    assert "hunter2" not in str(info.value) and "sekrit" not in str(info.value)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"Authorization": "x"}, "must not set 'Authorization'"),
        ({"x-goog-api-key": "x"}, "must not set"),
        ({"bad header": "x"}, "not a valid HTTP header name"),
        ({"x-ok": "a\r\nInjected: 1"}, "without CR, LF or NUL"),
    ],
)
def test_bad_extra_headers(headers: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        LiveConfig(model="m", extra_headers=headers)
    assert "Injected" not in str(info.value)


def test_resume_handle_rules() -> None:
    with pytest.raises(ConfigError, match="resume_handle is empty"):
        LiveConfig(model="m", resume_handle="")
    with pytest.raises(ConfigError, match="disagree; set only resume_handle"):
        LiveConfig(model="m", resume_handle="a", session_resumption={"handle": "b"})


# -------------------------------------------------------------------- to_setup


def test_gemini_model_names() -> None:
    assert LiveConfig(model="x").to_setup().model == "models/x"
    assert LiveConfig(model="models/x").to_setup().model == "models/x"
    assert LiveConfig(model="tunedModels/t").to_setup().model == "tunedModels/t"


def test_vertex_model_names() -> None:
    def vertex(model: str, **kw: Any) -> str | None:
        return LiveConfig(model=model, auth="vertex_ai", project_id="p", **kw).to_setup().model

    assert (
        vertex("gemini-live")
        == "projects/p/locations/us-central1/publishers/google/models/gemini-live"
    )
    assert vertex("gemini-live", location="europe-west4") == (
        "projects/p/locations/europe-west4/publishers/google/models/gemini-live"
    )
    assert vertex("meta/llama") == "projects/p/locations/us-central1/publishers/meta/models/llama"
    assert vertex("publishers/google/models/g") == (
        "projects/p/locations/us-central1/publishers/google/models/g"
    )
    full = "projects/q/locations/global/publishers/google/models/g"
    assert vertex(full) == full
    express = LiveConfig(model="publishers/google/models/g", auth="vertex_ai")
    assert express.to_setup().model == "publishers/google/models/g"


def test_vertex_setup_makes_audio_explicit() -> None:
    config = LiveConfig(model="m", auth="vertex_ai", project_id="p")
    assert setup_json(config)["generationConfig"] == {"responseModalities": ["AUDIO"]}
    text = config.evolve(generation_config={"response_modalities": ["TEXT"]})
    assert setup_json(text)["generationConfig"] == {"responseModalities": ["TEXT"]}


def test_resume_handle_precedence() -> None:
    plain = LiveConfig(model="m")
    assert plain.to_setup().session_resumption is None
    # No session_resumption configured, but a handle: still resume.
    assert setup_json(plain, resume_handle="h1")["sessionResumption"] == {"handle": "h1"}

    configured = LiveConfig(model="m", resume_handle="cfg")
    assert setup_json(configured)["sessionResumption"] == {"handle": "cfg"}
    assert setup_json(configured, resume_handle="arg")["sessionResumption"] == {"handle": "arg"}

    enabled = LiveConfig(model="m", session_resumption=True)
    assert setup_json(enabled)["sessionResumption"] == {}
    assert setup_json(enabled, resume_handle="h2")["sessionResumption"] == {"handle": "h2"}

    in_sr = LiveConfig(model="m", session_resumption={"handle": "sr"})
    assert setup_json(in_sr)["sessionResumption"] == {"handle": "sr"}
    assert setup_json(in_sr, resume_handle="arg")["sessionResumption"] == {"handle": "arg"}

    vertex = LiveConfig(
        model="m", auth="vertex_ai", project_id="p", session_resumption={"transparent": True}
    )
    assert setup_json(vertex, resume_handle="h")["sessionResumption"] == {
        "handle": "h",
        "transparent": True,
    }


def test_to_setup_does_not_mutate_config() -> None:
    config = LiveConfig(model=NATIVE, enable_affective_dialog=True, session_resumption=True)
    config.to_setup(resume_handle="h")
    assert config.session_resumption == SessionResumptionConfig()
    assert config.generation_config is None


def test_full_setup_shape() -> None:
    config = LiveConfig(
        model="m",
        generation_config={
            "response_modalities": ["AUDIO"],
            "temperature": 0.7,
            "thinking_config": {"thinking_budget": 1024, "include_thoughts": True},
        },
        system_instruction="sys",
        tools=[{"function_declarations": [{"name": "f", "parameters": {"type": "OBJECT"}}]}],
        realtime_input_config={
            "automatic_activity_detection": {"disabled": True},
            "activity_handling": "NO_INTERRUPTION",
        },
        context_window_compression={
            "trigger_tokens": 25600,
            "sliding_window": {"target_tokens": 12800},
        },
        history_config={"initial_history_in_client_content": True},
        safety_settings=[{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE"}],
        labels={"team": "voice"},
    )
    assert setup_json(config) == {
        "model": "models/m",
        "generationConfig": {
            "responseModalities": ["AUDIO"],
            "temperature": 0.7,
            "thinkingConfig": {"includeThoughts": True, "thinkingBudget": 1024},
        },
        "systemInstruction": {"parts": [{"text": "sys"}], "role": "user"},
        "tools": [{"functionDeclarations": [{"name": "f", "parameters": {"type": "OBJECT"}}]}],
        "realtimeInputConfig": {
            "automaticActivityDetection": {"disabled": True},
            "activityHandling": "NO_INTERRUPTION",
        },
        "contextWindowCompression": {
            "triggerTokens": 25600,
            "slidingWindow": {"targetTokens": 12800},
        },
        "historyConfig": {"initialHistoryInClientContent": True},
        "safetySettings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE"}],
        "labels": {"team": "voice"},
    }
