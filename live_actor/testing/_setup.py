"""Validation of ``setup``: what a setup may say, and what the fake keeps of it.

Why a separate module: the refusal rules are the part of the fake that client code
is tested against (fatal 1007/1008 must never be retried), so they are written down
in one place (reason texts in ``_refusals``, per-model rules in ``_models``).

Rules (checked in this order; the first failure closes the socket):

* unknown top-level setup field, wrong JSON type, unknown enum value, both TEXT and
  AUDIO, a modality other than TEXT/AUDIO, missing model ⇒ **1007**
  ``"Request contains an invalid argument."``
* unknown model ⇒ **1008** ``"models/X is not found for API version V, or is not
  supported for bidiGenerateContent"`` (V as dialled; Vertex: ``"Publisher Model
  `<name>` was not found or your project does not have access to it."``)
* native-audio model (id contains ``native-audio``) with TEXT ⇒ **1007** ``"The
  requested combination of response modalities (TEXT) is not supported by the model"``
* the model's own rules (``_models``: gemini-3.8 thinking, proactivity, affective
  dialog, audio only) ⇒ **1007**
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import attrs

from ._model import DeclaredFunction
from ._models import ModelRules, check_setup_for_model, rules_for
from ._refusals import (
    BAD_HANDLE,
    INTERNAL,
    INVALID_ARGUMENT,
    MANUAL_ACTIVITY,
    SESSION_LIMIT,
    VOICE_CONSENT,
    Reject,
    invalid,
)
from ._vad import DEFAULT_PREFIX_MS, DEFAULT_SILENCE_MS, VadSettings
from ._wire import parse_int

__all__ = [
    "BAD_HANDLE",
    "DEFAULT_MODELS",
    "INTERNAL",
    "INVALID_ARGUMENT",
    "MANUAL_ACTIVITY",
    "SESSION_LIMIT",
    "VOICE_CONSENT",
    "Reject",
    "ReplicatedVoice",
    "SessionConfig",
    "parse_setup",
]

DEFAULT_MODELS: Final = (
    "gemini-2.0-flash-exp",
    "gemini-2.0-flash-live-001",
    "gemini-live-2.5-flash-preview",
    "gemini-live-2.5-flash",
    "gemini-live-2.5-flash-native-audio",
    "gemini-2.5-flash-native-audio-preview-09-2025",
    "gemini-2.5-flash-native-audio-preview-12-2025",
    "gemini-2.5-flash-native-audio-latest",
    "gemini-2.5-flash-preview-native-audio-dialog",
    "gemini-2.5-flash-exp-native-audio-thinking-dialog",
    "gemini-2.5-flash-live-preview",
    "gemini-3.1-flash-live-preview",
    "gemini-3.8-live",
    "gemini-3.8-live-extended-thinking",
)

SETUP_FIELDS: Final = frozenset(
    {
        "model",
        "generationConfig",
        "systemInstruction",
        "tools",
        "realtimeInputConfig",
        "sessionResumption",
        "contextWindowCompression",
        "inputAudioTranscription",
        "outputAudioTranscription",
        "proactivity",
        "historyConfig",
        "explicitVadSignal",
        "safetySettings",
        "avatarConfig",
        "labels",
        "translationConfig",
        "toolConfig",
    }
)

ENUMS: Final[dict[str, frozenset[str]]] = {
    "startOfSpeechSensitivity": frozenset(
        {"START_SENSITIVITY_UNSPECIFIED", "START_SENSITIVITY_HIGH", "START_SENSITIVITY_LOW"}
    ),
    "endOfSpeechSensitivity": frozenset(
        {"END_SENSITIVITY_UNSPECIFIED", "END_SENSITIVITY_HIGH", "END_SENSITIVITY_LOW"}
    ),
    "activityHandling": frozenset(
        {"ACTIVITY_HANDLING_UNSPECIFIED", "START_OF_ACTIVITY_INTERRUPTS", "NO_INTERRUPTION"}
    ),
    "turnCoverage": frozenset(
        {
            "TURN_COVERAGE_UNSPECIFIED",
            "TURN_INCLUDES_ONLY_ACTIVITY",
            "TURN_INCLUDES_ALL_INPUT",
            "TURN_INCLUDES_AUDIO_ACTIVITY_AND_ALL_VIDEO",
        }
    ),
    "mediaResolution": frozenset(
        {
            "MEDIA_RESOLUTION_UNSPECIFIED",
            "MEDIA_RESOLUTION_LOW",
            "MEDIA_RESOLUTION_MEDIUM",
            "MEDIA_RESOLUTION_HIGH",
        }
    ),
    "thinkingLevel": frozenset({"THINKING_LEVEL_UNSPECIFIED", "MINIMAL", "LOW", "MEDIUM", "HIGH"}),
    "behavior": frozenset({"UNSPECIFIED", "BLOCKING", "NON_BLOCKING"}),
}
#: The documented default of 2.5-era models; the wire-protocol notes leave 3.x open.
DEFAULT_TURN_COVERAGE: Final = "TURN_INCLUDES_ONLY_ACTIVITY"
MODALITIES: Final = frozenset({"TEXT", "AUDIO", "IMAGE", "MODALITY_UNSPECIFIED"})


@attrs.define
class SessionConfig:
    """A validated setup, reduced to what the fake's behaviour depends on."""

    model: str
    model_id: str
    modality: str
    system_instruction: str
    functions: dict[str, DeclaredFunction]
    resumption: bool
    resume_handle: str | None
    transparent: bool
    vad: VadSettings
    activity_handling: str
    #: What a voice-activity turn holds: the speech only, or all input since the last
    #: turn (``realtimeInputConfig.turnCoverage``); decides its prompt token count.
    turn_coverage: str
    input_transcription: bool
    output_transcription: bool
    compression: bool
    include_thoughts: bool
    #: ``historyConfig.initialHistoryInClientContent``: clientContent seeds history first.
    initial_history: bool
    #: ``speechConfig.voiceConfig.replicatedVoiceConfig`` (None: a prebuilt voice).
    voice: ReplicatedVoice | None
    rules: ModelRules
    raw: dict[str, Any]


def _obj(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid()
    return value


def _bool(value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise invalid()
    return value


def _enum(obj: Mapping[str, Any], key: str, default: str) -> str:
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, str) or value not in ENUMS[key]:
        raise invalid()
    return default if value.endswith("UNSPECIFIED") else value


def _int(value: Any, default: int) -> int:
    if value is None:
        return default
    try:
        return parse_int(value)
    except ValueError:
        raise invalid() from None


def _number(value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise invalid()
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            raise invalid() from None


def content_text(content: Any) -> str:
    """Concatenated text parts of a Content (system instructions)."""
    if isinstance(content, str):
        return content
    if not isinstance(content, dict):
        raise invalid()
    parts = content.get("parts") or []
    if not isinstance(parts, list):
        raise invalid()
    return " ".join(
        p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)
    )


@attrs.frozen
class ReplicatedVoice:
    """A replicated voice asked for by a setup: with consent audio, or its signature."""

    consent_audio: bool
    signature: str | None


def parse_tools(tools: Any, default_behavior: str = "BLOCKING") -> dict[str, DeclaredFunction]:
    """Function declarations of a ``tools`` list (other tool kinds are accepted, unused).

    ``default_behavior`` is the model's behaviour for a declaration without one.
    """
    if tools is None:
        return {}
    if not isinstance(tools, list):
        raise invalid()
    functions: dict[str, DeclaredFunction] = {}
    for tool in tools:
        tool = _obj(tool)
        decls = tool.get("functionDeclarations")
        if decls is None:
            continue
        if not isinstance(decls, list):
            raise invalid()
        for decl in decls:
            decl = _obj(decl)
            name = decl.get("name")
            if not isinstance(name, str) or not name:
                raise invalid()
            behavior = _enum(decl, "behavior", default_behavior)
            description = decl.get("description") or ""
            if not isinstance(description, str):
                raise invalid()
            functions[name] = DeclaredFunction(name, behavior, description)
    return functions


def _replicated_voice(speech: dict[str, Any]) -> ReplicatedVoice | None:
    replicated = _obj(_obj(speech.get("voiceConfig")).get("replicatedVoiceConfig"))
    if not replicated:
        return None
    consent = replicated.get("consentAudio")
    if consent is not None and not isinstance(consent, str):
        raise invalid()
    signature = _obj(replicated.get("voiceConsentSignature")).get("signature")
    if signature is not None and not isinstance(signature, str):
        raise invalid()
    return ReplicatedVoice(consent_audio=bool(consent), signature=signature or None)


def model_id_of(model: str) -> str:
    """``models/x``, ``publishers/google/models/x``, ``projects/.../models/x`` → ``x``."""
    return model.rsplit("/models/", 1)[-1].removeprefix("models/")


def parse_setup(
    setup: Any,
    *,
    known_models: frozenset[str],
    api_version: str,
    vertex: bool,
) -> SessionConfig:
    """Validate a camelCased ``setup`` object; raise :class:`Reject` like the service."""
    setup = _obj(setup)
    if any(key not in SETUP_FIELDS for key in setup):
        raise invalid()
    model = setup.get("model")
    if not isinstance(model, str) or not model:
        raise invalid()
    gen = _obj(setup.get("generationConfig"))
    modalities = gen.get("responseModalities")
    if modalities is None:
        modality = "AUDIO"
    else:
        if not isinstance(modalities, list) or not all(isinstance(m, str) for m in modalities):
            raise invalid()
        if any(m not in MODALITIES for m in modalities):
            raise invalid()
        chosen = {m for m in modalities if m != "MODALITY_UNSPECIFIED"}
        if len(chosen) > 1 or chosen - {"TEXT", "AUDIO"}:
            raise invalid()
        modality = chosen.pop() if chosen else "AUDIO"
    for key in ("temperature", "topP", "topK", "presencePenalty", "frequencyPenalty"):
        _number(gen.get(key))
    for key in ("maxOutputTokens", "seed", "candidateCount"):
        _int(gen.get(key), 0)
    _enum(gen, "mediaResolution", "")
    voice = _replicated_voice(_obj(gen.get("speechConfig")))
    thinking = _obj(gen.get("thinkingConfig"))
    _enum(thinking, "thinkingLevel", "")
    _int(thinking.get("thinkingBudget"), 0)
    include_thoughts = _bool(thinking.get("includeThoughts"))
    _bool(gen.get("enableAffectiveDialog"))

    system = setup.get("systemInstruction")
    system_text = "" if system is None else content_text(system)
    rules = rules_for(model_id_of(model))
    functions = parse_tools(setup.get("tools"), rules.default_behavior)

    ric = _obj(setup.get("realtimeInputConfig"))
    aad = _obj(ric.get("automaticActivityDetection"))
    vad = VadSettings(
        disabled=_bool(aad.get("disabled")),
        start_sensitivity=_enum(aad, "startOfSpeechSensitivity", "START_SENSITIVITY_HIGH"),
        end_sensitivity=_enum(aad, "endOfSpeechSensitivity", "END_SENSITIVITY_HIGH"),
        prefix_padding_ms=_int(aad.get("prefixPaddingMs"), DEFAULT_PREFIX_MS),
        silence_duration_ms=_int(aad.get("silenceDurationMs"), DEFAULT_SILENCE_MS),
    )
    handling = _enum(ric, "activityHandling", "START_OF_ACTIVITY_INTERRUPTS")
    coverage = _enum(ric, "turnCoverage", DEFAULT_TURN_COVERAGE)
    if coverage == "TURN_COVERAGE_UNSPECIFIED":
        coverage = DEFAULT_TURN_COVERAGE

    resumption_raw = setup.get("sessionResumption")
    resumption = _obj(resumption_raw)
    handle = resumption.get("handle")
    if handle is not None and not isinstance(handle, str):
        raise invalid()
    transparent = _bool(resumption.get("transparent"))

    cwc_raw = setup.get("contextWindowCompression")
    cwc = _obj(cwc_raw)
    _int(cwc.get("triggerTokens"), 0)
    _int(_obj(cwc.get("slidingWindow")).get("targetTokens"), 0)

    input_tr = setup.get("inputAudioTranscription")
    output_tr = setup.get("outputAudioTranscription")
    _obj(input_tr)
    _obj(output_tr)
    _bool(_obj(setup.get("proactivity")).get("proactiveAudio"))
    initial_history = _bool(_obj(setup.get("historyConfig")).get("initialHistoryInClientContent"))

    model_id = model_id_of(model)
    if model_id not in known_models:
        if vertex:
            raise Reject(
                1008,
                f"Publisher Model `{model}` was not found or your project does not have "
                "access to it.",
            )
        raise Reject(
            1008,
            f"models/{model_id} is not found for API version {api_version}, or is not "
            "supported for bidiGenerateContent",
        )
    if modality == "TEXT" and "native-audio" in model_id:
        raise Reject(
            1007,
            "The requested combination of response modalities (TEXT) is not supported by the model",
        )
    check_setup_for_model(setup, rules, modality)
    return SessionConfig(
        model=model,
        model_id=model_id,
        modality=modality,
        system_instruction=system_text,
        functions=functions,
        resumption=resumption_raw is not None,
        resume_handle=handle or None,
        transparent=transparent,
        vad=vad,
        activity_handling=handling,
        turn_coverage=coverage,
        input_transcription=input_tr is not None,
        output_transcription=output_tr is not None,
        compression=cwc_raw is not None,
        include_thoughts=include_thoughts,
        initial_history=initial_history,
        voice=voice,
        rules=rules,
        raw=setup,
    )
