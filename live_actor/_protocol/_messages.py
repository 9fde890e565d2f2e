"""Frozen attrs classes for every message of the Live wire protocol.

Python names are snake_case; the codec maps them to the lowerCamelCase JSON of
the proto3 JSON mapping (``wire-protocol.md`` §3).  Every field is optional
(``None`` = absent on the wire), like proto3 message fields, so that a message
the server trims or extends still decodes.  Free-form JSON (function ``args``,
tool ``response`` objects, JSON schemas, grounding details) stays a plain
mapping.  Values the codec does not know are kept in ``extra`` (JSON key →
raw value) and written back out unchanged, so nothing the server sent is lost.

Sequences are typed ``Sequence`` so callers may pass lists; the codec always
produces tuples.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, NewType, TypeAlias, TypeVar, dataclass_transform

import attrs

from ._enums import (
    ActivityHandling,
    Behavior,
    EndSensitivity,
    FunctionResponseScheduling,
    Language,
    MediaModality,
    MediaResolution,
    Modality,
    Outcome,
    StartSensitivity,
    ThinkingLevel,
    TurnCompleteReason,
    TurnCoverage,
    VadSignalType,
    VoiceActivityType,
)

#: An int64 that the service writes as a JSON *string* (proto3 JSON mapping).
Int64 = NewType("Int64", int)
#: Arbitrary JSON object passed through untouched.
JsonObject: TypeAlias = Mapping[str, Any]

_T = TypeVar("_T")


@dataclass_transform(frozen_default=True, kw_only_default=True, field_specifiers=(attrs.field,))
def wire(cls: type[_T]) -> type[_T]:
    """Declare a wire class: frozen, keyword-only attrs class.

    ``slots=False`` lets the codec build instances by filling ``__dict__``
    directly, several times faster than a frozen ``__init__`` on the per-frame path.
    """
    return attrs.frozen(cls, kw_only=True, slots=False)


@wire
class _Wire:
    """Base of every wire class: the one place unknown JSON keys are kept."""

    #: JSON keys -> raw values this version does not model (forward compatibility).
    extra: JsonObject | None = attrs.field(default=None, repr=False, hash=False)
    #: JSON names that differ from the automatic lowerCamelCase of the attribute.
    _json_names: ClassVar[Mapping[str, str]] = {}
    #: Extra JSON names accepted on input for an attribute (renamed/legacy fields).
    _json_aliases: ClassVar[Mapping[str, str]] = {}


def _redacted(value: object) -> str:
    """A secret's repr: whether it is set, never what it is (resumption handles)."""
    return "None" if value is None else "'<redacted>'"


def replace(obj: _T, **changes: Any) -> _T:
    """``attrs.evolve`` for wire classes (typed for mypy's dataclass_transform view)."""
    result: _T = attrs.evolve(obj, **changes)  # type: ignore[misc]
    return result


# --------------------------------------------------------------------- content


@wire
class Blob(_Wire):
    """Inline bytes with their MIME type (audio chunk, video frame, ...)."""

    mime_type: str | None = None
    data: bytes | None = None
    display_name: str | None = None


@wire
class FileData(_Wire):
    file_uri: str | None = None
    mime_type: str | None = None
    display_name: str | None = None


@wire
class FunctionCall(_Wire):
    id: str | None = None
    name: str | None = None
    args: JsonObject | None = None
    #: Vertex streaming of arguments.
    partial_args: Sequence[JsonObject] | None = None
    will_continue: bool | None = None


@wire
class FunctionResponsePart(_Wire):
    inline_data: Blob | None = None
    file_data: FileData | None = None


@wire
class FunctionResponse(_Wire):
    id: str | None = None
    name: str | None = None
    response: JsonObject | None = None
    parts: Sequence[FunctionResponsePart] | None = None
    will_continue: bool | None = None
    scheduling: FunctionResponseScheduling | None = None


@wire
class ExecutableCode(_Wire):
    language: Language | None = None
    code: str | None = None
    id: str | None = None


@wire
class CodeExecutionResult(_Wire):
    outcome: Outcome | None = None
    output: str | None = None
    id: str | None = None


@wire
class Part(_Wire):
    text: str | None = None
    inline_data: Blob | None = None
    file_data: FileData | None = None
    function_call: FunctionCall | None = None
    function_response: FunctionResponse | None = None
    executable_code: ExecutableCode | None = None
    code_execution_result: CodeExecutionResult | None = None
    thought: bool | None = None
    thought_signature: bytes | None = None
    video_metadata: JsonObject | None = None
    media_resolution: JsonObject | None = None


@wire
class Content(_Wire):
    parts: Sequence[Part] | None = None
    role: str | None = None


# ----------------------------------------------------------------------- setup


@wire
class PrebuiltVoiceConfig(_Wire):
    voice_name: str | None = None


@wire
class VoiceConfig(_Wire):
    prebuilt_voice_config: PrebuiltVoiceConfig | None = None
    replicated_voice_config: JsonObject | None = None


@wire
class SpeechConfig(_Wire):
    voice_config: VoiceConfig | None = None
    language_code: str | None = None


@wire
class ThinkingConfig(_Wire):
    include_thoughts: bool | None = None
    thinking_budget: int | None = None
    thinking_level: ThinkingLevel | None = None


@wire
class TranslationConfig(_Wire):
    target_language_code: str | None = None
    echo_target_language: bool | None = None


@wire
class GenerationConfig(_Wire):
    response_modalities: Sequence[Modality] | None = None
    speech_config: SpeechConfig | None = None
    thinking_config: ThinkingConfig | None = None
    media_resolution: MediaResolution | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: float | None = None
    max_output_tokens: int | None = None
    seed: int | None = None
    candidate_count: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    enable_affective_dialog: bool | None = None
    translation_config: TranslationConfig | None = None


@wire
class FunctionDeclaration(_Wire):
    name: str | None = None
    description: str | None = None
    #: OpenAPI-subset schema (``{"type": "OBJECT", "properties": ...}``).
    parameters: JsonObject | None = None
    #: Plain JSON Schema, an alternative to ``parameters``.
    parameters_json_schema: Any = None
    response: JsonObject | None = None
    response_json_schema: Any = None
    behavior: Behavior | None = None


@wire
class Tool(_Wire):
    function_declarations: Sequence[FunctionDeclaration] | None = None
    google_search: JsonObject | None = None
    code_execution: JsonObject | None = None
    url_context: JsonObject | None = None
    google_maps: JsonObject | None = None
    file_search: JsonObject | None = None
    computer_use: JsonObject | None = None
    mcp_servers: Sequence[JsonObject] | None = None
    google_search_retrieval: JsonObject | None = None
    enterprise_web_search: JsonObject | None = None
    retrieval: JsonObject | None = None


@wire
class AutomaticActivityDetection(_Wire):
    disabled: bool | None = None
    start_of_speech_sensitivity: StartSensitivity | None = None
    end_of_speech_sensitivity: EndSensitivity | None = None
    prefix_padding_ms: int | None = None
    silence_duration_ms: int | None = None


@wire
class RealtimeInputConfig(_Wire):
    automatic_activity_detection: AutomaticActivityDetection | None = None
    activity_handling: ActivityHandling | None = None
    turn_coverage: TurnCoverage | None = None
    interim_transcript_timestamp_enabled: bool | None = None


@wire
class SessionResumptionConfig(_Wire):
    #: a resumption handle resumes the conversation: a secret, never in a repr.
    handle: str | None = attrs.field(default=None, repr=_redacted)
    #: Vertex AI only: server reports ``lastConsumedClientMessageIndex``.
    transparent: bool | None = None


@wire
class SlidingWindow(_Wire):
    target_tokens: int | None = None


@wire
class ContextWindowCompressionConfig(_Wire):
    trigger_tokens: int | None = None
    sliding_window: SlidingWindow | None = None


@wire
class AudioTranscriptionConfig(_Wire):
    language_codes: Sequence[str] | None = None


@wire
class ProactivityConfig(_Wire):
    proactive_audio: bool | None = None
    proactive_video: bool | None = None


@wire
class HistoryConfig(_Wire):
    initial_history_in_client_content: bool | None = None


@wire
class SafetySetting(_Wire):
    category: str | None = None
    threshold: str | None = None
    method: str | None = None


@wire
class Setup(_Wire):
    """``setup``: the first client message of every connection."""

    model: str | None = None
    generation_config: GenerationConfig | None = None
    system_instruction: Content | None = None
    tools: Sequence[Tool] | None = None
    realtime_input_config: RealtimeInputConfig | None = None
    session_resumption: SessionResumptionConfig | None = None
    context_window_compression: ContextWindowCompressionConfig | None = None
    input_audio_transcription: AudioTranscriptionConfig | None = None
    output_audio_transcription: AudioTranscriptionConfig | None = None
    proactivity: ProactivityConfig | None = None
    history_config: HistoryConfig | None = None
    explicit_vad_signal: bool | None = None
    safety_settings: Sequence[SafetySetting] | None = None
    avatar_config: JsonObject | None = None
    labels: Mapping[str, str] | None = None


# ------------------------------------------------------------- client messages


@wire
class ClientContent(_Wire):
    """``clientContent``: turns appended to the conversation in order."""

    turns: Sequence[Content] | None = None
    turn_complete: bool | None = None


@wire
class ActivityStart(_Wire):
    """Marks the start of user activity (only with automatic VAD disabled)."""


@wire
class ActivityEnd(_Wire):
    """Marks the end of user activity (only with automatic VAD disabled)."""


@wire
class RealtimeInput(_Wire):
    """``realtimeInput``: exactly one field set per message."""

    media_chunks: Sequence[Blob] | None = None
    audio: Blob | None = None
    video: Blob | None = None
    text: str | None = None
    activity_start: ActivityStart | None = None
    activity_end: ActivityEnd | None = None
    audio_stream_end: bool | None = None


@wire
class ToolResponse(_Wire):
    function_responses: Sequence[FunctionResponse] | None = None


@wire
class ContextUpdateTools(_Wire):
    tools: Sequence[Tool] | None = None


@wire
class ContextUpdate(_Wire):
    """``contextUpdate``: replace system instruction and/or tools mid-session."""

    system_instruction: Content | None = None
    tools: ContextUpdateTools | None = None


ClientMessage: TypeAlias = Setup | ClientContent | RealtimeInput | ToolResponse | ContextUpdate

# ------------------------------------------------------------- server messages


@wire
class SetupComplete(_Wire):
    session_id: str | None = None
    voice_consent_signature: JsonObject | None = None


@wire
class Transcription(_Wire):
    text: str | None = None
    finished: bool | None = None
    language_code: str | None = None


@wire
class GroundingMetadata(_Wire):
    web_search_queries: Sequence[str] | None = None
    grounding_chunks: Sequence[JsonObject] | None = None
    grounding_supports: Sequence[JsonObject] | None = None
    search_entry_point: JsonObject | None = None
    retrieval_metadata: JsonObject | None = None
    retrieval_queries: Sequence[str] | None = None
    image_search_queries: Sequence[str] | None = None
    google_maps_widget_context_token: str | None = None


@wire
class UrlMetadata(_Wire):
    retrieved_url: str | None = None
    url_retrieval_status: str | None = None


@wire
class UrlContextMetadata(_Wire):
    url_metadata: Sequence[UrlMetadata] | None = None


@wire
class ServerContent(_Wire):
    model_turn: Content | None = None
    turn_complete: bool | None = None
    interrupted: bool | None = None
    generation_complete: bool | None = None
    grounding_metadata: GroundingMetadata | None = None
    input_transcription: Transcription | None = None
    output_transcription: Transcription | None = None
    interim_input_transcription: Transcription | None = None
    url_context_metadata: UrlContextMetadata | None = None
    turn_complete_reason: TurnCompleteReason | None = None
    waiting_for_input: bool | None = None
    interaction_status: str | None = None


@wire
class ToolCall(_Wire):
    function_calls: Sequence[FunctionCall] | None = None


@wire
class ToolCallCancellation(_Wire):
    ids: Sequence[str] | None = None


@wire
class GoAway(_Wire):
    time_left: datetime.timedelta | None = None


@wire
class SessionResumptionUpdate(_Wire):
    new_handle: str | None = attrs.field(default=None, repr=_redacted)
    resumable: bool | None = None
    last_consumed_client_message_index: Int64 | None = None


@wire
class ModalityTokenCount(_Wire):
    modality: MediaModality | None = None
    token_count: int | None = None


@wire
class UsageMetadata(_Wire):
    """Token counts; Vertex's ``candidates*`` names decode into ``response_*``."""

    prompt_token_count: int | None = None
    cached_content_token_count: int | None = None
    response_token_count: int | None = None
    tool_use_prompt_token_count: int | None = None
    thoughts_token_count: int | None = None
    total_token_count: int | None = None
    prompt_tokens_details: Sequence[ModalityTokenCount] | None = None
    cache_tokens_details: Sequence[ModalityTokenCount] | None = None
    response_tokens_details: Sequence[ModalityTokenCount] | None = None
    tool_use_prompt_tokens_details: Sequence[ModalityTokenCount] | None = None
    traffic_type: str | None = None

    _json_aliases: ClassVar[Mapping[str, str]] = {
        "candidatesTokenCount": "response_token_count",
        "candidates_token_count": "response_token_count",
        "candidatesTokensDetails": "response_tokens_details",
        "candidates_tokens_details": "response_tokens_details",
    }


@wire
class VoiceActivity(_Wire):
    voice_activity_type: VoiceActivityType | None = None
    audio_offset: datetime.timedelta | None = None

    _json_names: ClassVar[Mapping[str, str]] = {"voice_activity_type": "type"}


@wire
class VoiceActivityDetectionSignal(_Wire):
    vad_signal_type: VadSignalType | None = None


@wire
class ServerMessage(_Wire):
    """One frame from the server; several fields may be set at once.

    ``usage_metadata`` in particular rides along with ``server_content``.
    """

    setup_complete: SetupComplete | None = None
    server_content: ServerContent | None = None
    tool_call: ToolCall | None = None
    tool_call_cancellation: ToolCallCancellation | None = None
    go_away: GoAway | None = None
    session_resumption_update: SessionResumptionUpdate | None = None
    usage_metadata: UsageMetadata | None = None
    voice_activity: VoiceActivity | None = None
    voice_activity_detection_signal: VoiceActivityDetectionSignal | None = None

    @property
    def text(self) -> str | None:
        """Concatenated non-thought text parts of ``server_content.model_turn``."""
        sc = self.server_content
        if sc is None or sc.model_turn is None or not sc.model_turn.parts:
            return None
        texts = [p.text for p in sc.model_turn.parts if p.text is not None and not p.thought]
        return "".join(texts) if texts else None

    @property
    def data(self) -> bytes | None:
        """Concatenated inline data (audio) of ``server_content.model_turn``."""
        sc = self.server_content
        if sc is None or sc.model_turn is None or not sc.model_turn.parts:
            return None
        chunks = [
            p.inline_data.data
            for p in sc.model_turn.parts
            if p.inline_data is not None and p.inline_data.data is not None
        ]
        return b"".join(chunks) if chunks else None


#: Top-level key of each client message, in the order the protocol lists them.
CLIENT_MESSAGE_KEYS: Mapping[type[Any], str] = {
    Setup: "setup",
    ClientContent: "clientContent",
    RealtimeInput: "realtimeInput",
    ToolResponse: "toolResponse",
    ContextUpdate: "contextUpdate",
}
