"""``LiveConfig``: everything that decides what a session's ``setup`` message and
dial look like, validated once, at construction.

The fields' converters (user values -> wire classes) are in
``_config_convert``, the rules a configuration must satisfy in
``_config_rules``; this module holds the class and what it derives: the API
version to dial, the model resource name and the ``setup`` message.  To send a
field this version does not model, use the wire classes' ``extra`` mapping.

The object is frozen; derive variants with ``config.evolve(**changes)`` (every
converter and check runs again).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

import attrs

from ._config_convert import (
    to_context_window_compression,
    to_generation_config,
    to_headers,
    to_history_config,
    to_input_transcription,
    to_json_object,
    to_labels,
    to_output_transcription,
    to_proactivity,
    to_realtime_input_config,
    to_safety_settings,
    to_session_resumption,
    to_system_instruction,
    to_tools,
)
from ._config_rules import (
    DEFAULT_LOCATION,
    GEMINI_API_VERSION,
    V1ALPHA,
    VERTEX_API_VERSION,
    Auth,
    arguments_error,
    check_config,
)
from ._protocol._enums import Modality
from ._protocol._messages import (
    AudioTranscriptionConfig,
    Content,
    ContextWindowCompressionConfig,
    GenerationConfig,
    HistoryConfig,
    ProactivityConfig,
    RealtimeInputConfig,
    SafetySetting,
    SessionResumptionConfig,
    Setup,
    Tool,
)
from ._redact import describe_headers, redact_url

__all__ = [
    "DEFAULT_LOCATION",
    "GEMINI_API_VERSION",
    "V1ALPHA",
    "VERTEX_API_VERSION",
    "Auth",
    "LiveConfig",
]

_W = TypeVar("_W")


def _base_url_repr(value: str | None) -> str:
    return "None" if value is None else repr(redact_url(value))


def _evolve(obj: _W, **changes: Any) -> _W:
    # The wire classes are attrs classes declared through dataclass_transform,
    # which mypy does not recognise as attrs instances.
    result: _W = attrs.evolve(cast(Any, obj), **changes)
    return result


@attrs.frozen(kw_only=True)
class LiveConfig:
    """Configuration of a Live session: model, backend, endpoint and ``setup`` fields.

    Example::

        LiveConfig(
            model="gemini-live-2.5-flash-preview",
            generation_config={"response_modalities": ["TEXT"]},
            tools=[{"function_declarations": [{"name": "get_weather"}]}],
            session_resumption=True,
        )

    Backend and endpoint:

    * ``auth``: ``"gemini"`` (Gemini Developer API) or ``"vertex_ai"``;
      ``project_id`` and ``location`` address Vertex AI.
    * ``api_version``: ``None`` picks one: ``v1beta`` on the Gemini API, or
      ``v1alpha`` when a v1alpha-only feature (``enable_affective_dialog``,
      ``proactivity``) or an ephemeral token is used; ``v1beta1`` on Vertex AI.
    * ``base_url``: another server (``ws://127.0.0.1:8765``, a proxy); http(s)
      schemes map to ws(s).  ``extra_headers`` are added to the upgrade request.

    ``setup`` fields mirror ``BidiGenerateContentSetup``; shortcuts: a str
    ``system_instruction`` becomes one user text part; ``True`` enables
    ``session_resumption``, ``context_window_compression`` (server-default
    sliding window), the transcriptions and ``proactivity`` (proactive audio).
    ``enable_affective_dialog`` goes inside ``generationConfig`` on the wire,
    where the service expects it.  ``resume_handle`` resumes a previous session.
    """

    model: str
    auth: Auth = "gemini"
    project_id: str | None = None
    location: str = DEFAULT_LOCATION
    api_version: str | None = None
    base_url: str | None = attrs.field(default=None, repr=_base_url_repr)
    extra_headers: Mapping[str, str] = attrs.field(
        default=None, converter=to_headers, repr=describe_headers, hash=False
    )

    generation_config: GenerationConfig | None = attrs.field(
        default=None, converter=to_generation_config
    )
    system_instruction: Content | None = attrs.field(default=None, converter=to_system_instruction)
    tools: tuple[Tool, ...] | None = attrs.field(default=None, converter=to_tools)
    realtime_input_config: RealtimeInputConfig | None = attrs.field(
        default=None, converter=to_realtime_input_config
    )
    session_resumption: SessionResumptionConfig | None = attrs.field(
        default=None, converter=to_session_resumption
    )
    #: a secret (with the key it resumes the conversation): never in the repr.
    resume_handle: str | None = attrs.field(
        default=None, repr=lambda value: "None" if value is None else "'<redacted>'"
    )
    context_window_compression: ContextWindowCompressionConfig | None = attrs.field(
        default=None, converter=to_context_window_compression
    )
    input_audio_transcription: AudioTranscriptionConfig | None = attrs.field(
        default=None, converter=to_input_transcription
    )
    output_audio_transcription: AudioTranscriptionConfig | None = attrs.field(
        default=None, converter=to_output_transcription
    )
    proactivity: ProactivityConfig | None = attrs.field(default=None, converter=to_proactivity)
    enable_affective_dialog: bool | None = None
    history_config: HistoryConfig | None = attrs.field(default=None, converter=to_history_config)
    explicit_vad_signal: bool | None = None
    safety_settings: tuple[SafetySetting, ...] | None = attrs.field(
        default=None, converter=to_safety_settings
    )
    avatar_config: Mapping[str, Any] | None = attrs.field(
        default=None, converter=to_json_object, hash=False
    )
    labels: Mapping[str, str] | None = attrs.field(default=None, converter=to_labels, hash=False)

    # ------------------------------------------------------------ validation

    def __attrs_post_init__(self) -> None:
        check_config(self)

    # ---------------------------------------------------------------- derived

    @property
    def response_modality(self) -> Modality | None:
        """The session's single response modality, or ``None`` when left to the server."""
        gc = self.generation_config
        if gc is None or not gc.response_modalities:
            return None
        return Modality(gc.response_modalities[0])

    @property
    def affective_dialog(self) -> bool | None:
        """``enable_affective_dialog`` from either place it may be set."""
        if self.enable_affective_dialog is not None:
            return self.enable_affective_dialog
        gc = self.generation_config
        return gc.enable_affective_dialog if gc is not None else None

    @property
    def v1alpha_features(self) -> tuple[str, ...]:
        """Names of the set fields that need ``v1alpha`` on the Gemini API."""
        if self.auth != "gemini":
            return ()
        found = []
        if self.affective_dialog is not None:
            found.append("enable_affective_dialog")
        if self.proactivity is not None:
            found.append("proactivity")
        return tuple(found)

    def resolved_api_version(self, *, ephemeral_token: bool = False) -> str:
        """The API version to dial: explicit ``api_version``, else the automatic choice."""
        if self.api_version is not None:
            return self.api_version
        if self.auth == "vertex_ai":
            return VERTEX_API_VERSION
        if ephemeral_token or self.v1alpha_features:
            return V1ALPHA
        return GEMINI_API_VERSION

    @property
    def model_resource(self) -> str:
        """The model name as ``setup.model`` needs it (same rules as google-genai).

        Gemini API: ``models/<id>`` unless already ``models/...`` or
        ``tunedModels/...``.  Vertex AI:
        ``projects/{P}/locations/{L}/publishers/google/models/<id>``; a
        ``publisher/id`` pair selects another publisher; a ``projects/...``
        name is kept; without a project (express mode) ``publishers/...`` is sent.
        """
        model = self.model
        if self.auth == "gemini":
            if model.startswith(("models/", "tunedModels/")):
                return model
            return f"models/{model}"
        if model.startswith(("projects/", "models/")):
            return model
        if not model.startswith("publishers/"):
            if "/" in model:
                publisher, model_id = model.split("/", 1)
                model = f"publishers/{publisher}/models/{model_id}"
            else:
                model = f"publishers/google/models/{model}"
        if self.project_id:
            return f"projects/{self.project_id}/locations/{self.location}/{model}"
        return model

    def to_setup(self, *, resume_handle: str | None = None) -> Setup:
        """Build the ``setup`` message for one connection.

        ``resume_handle`` (a handle from the previous connection) wins over
        ``self.resume_handle`` and ``session_resumption.handle``.  A handle is
        sent even when ``session_resumption`` is unset: resuming needs nothing
        else, and the server keeps sending handles for the resumed session.
        """
        gc = self.generation_config
        affective = self.affective_dialog
        if affective is not None and (gc is None or gc.enable_affective_dialog != affective):
            gc = _evolve(gc or GenerationConfig(), enable_affective_dialog=affective)
        if self.auth == "vertex_ai" and (gc is None or not gc.response_modalities):
            # Like google-genai: Vertex AI's default differs, so make AUDIO explicit
            # and both backends behave the same.
            gc = _evolve(gc or GenerationConfig(), response_modalities=(Modality.AUDIO,))

        sr = self.session_resumption
        handle = resume_handle or self.resume_handle or (sr.handle if sr else None)
        if handle:
            sr = _evolve(sr or SessionResumptionConfig(), handle=handle)

        return Setup(
            model=self.model_resource,
            generation_config=gc,
            system_instruction=self.system_instruction,
            tools=self.tools,
            realtime_input_config=self.realtime_input_config,
            session_resumption=sr,
            context_window_compression=self.context_window_compression,
            input_audio_transcription=self.input_audio_transcription,
            output_audio_transcription=self.output_audio_transcription,
            proactivity=self.proactivity,
            history_config=self.history_config,
            explicit_vad_signal=self.explicit_vad_signal,
            safety_settings=self.safety_settings,
            avatar_config=self.avatar_config,
            labels=self.labels,
        )

    def evolve(self, **changes: Any) -> LiveConfig:
        """A copy with ``changes`` applied; converters and validation run again."""
        return attrs.evolve(self, **changes)

    @classmethod
    def from_genai(cls, model: str, config: Any = None, **live_config: Any) -> LiveConfig:
        """A ``LiveConfig`` from google-genai's ``LiveConnectConfig``.

        ``config`` is a ``google.genai.types.LiveConnectConfig``, its ``model_dump()``
        dict (flat keys such as ``response_modalities``), or ``None``; keyword
        arguments add live_actor's own fields (``auth``, ``project_id``,
        ``location``, ``base_url``...).  google-genai stays an optional import.
        Fields without a Live setup meaning raise :class:`ConfigError` naming them.
        """
        from ._genai import live_config_from_genai  # imports this module

        return live_config_from_genai(model, config, **live_config)


def _arguments_checked(init: Callable[..., None]) -> Callable[..., None]:
    """Wrap attrs' ``__init__``: a misspelled or positional argument becomes a
    :class:`ConfigError` with a suggestion instead of a bare ``TypeError``.

    The wrapper costs nothing unless binding fails, and type checkers keep
    seeing the generated, fully typed signature.
    """

    @functools.wraps(init)
    def __init__(self: LiveConfig, *args: Any, **kwargs: Any) -> None:
        try:
            init(self, *args, **kwargs)
        except TypeError:
            error = arguments_error(type(self), args, kwargs)
            if error is None:
                raise
            raise error from None

    return __init__


setattr(LiveConfig, "__init__", _arguments_checked(LiveConfig.__init__))  # noqa: B010
