"""``LiveConfig``: everything that decides what a session's ``setup`` message and
dial look like, validated once, at construction.

Why validate here: the Live service reports a bad setup by closing the socket
with 1007 "Request contains an invalid argument." and no field name, after a
TLS handshake and a round trip, and a supervisor would then have to guess
whether to retry.  Every rule below is a mistake users of the official SDKs hit
in practice (``wire-protocol.md`` §5, §12); catching it before any dial turns a
mystery close into a :class:`~live_actor.ConfigError` that says what to change.

Every sub-configuration accepts either its wire class (``GenerationConfig``,
``Tool``, ...) or plain dicts/lists with snake_case or camelCase keys, which are
structured strictly (unknown keys are errors with a did-you-mean; see
:func:`~live_actor._protocol._codec.structure_config`).  Unknown enum names,
which the wire codec keeps for forward compatibility, are rejected here too: in
user configuration they are typos.  To send a field this version does not
model, use the wire classes' ``extra`` mapping.

The object is frozen; derive variants with ``config.evolve(**changes)`` (every
converter and check runs again).
"""

from __future__ import annotations

import difflib
import enum
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, Literal, TypeAlias, TypeVar, cast, get_args
from urllib.parse import urlsplit

import attrs

from ._errors import ConfigError
from ._protocol._codec import structure_config
from ._protocol._enums import Modality, OpenEnum
from ._protocol._messages import (
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
    Setup,
    SlidingWindow,
    Tool,
)
from ._redact import redact_url

__all__ = [
    "DEFAULT_LOCATION",
    "GEMINI_API_VERSION",
    "V1ALPHA",
    "VERTEX_API_VERSION",
    "Auth",
    "LiveConfig",
]

Auth: TypeAlias = Literal["gemini", "vertex_ai"]
_AUTH_VALUES: Final = get_args(Auth)

#: API version used on the Gemini API when nothing needs v1alpha (the documented one).
GEMINI_API_VERSION: Final = "v1beta"
#: Needed for ephemeral tokens, affective dialog and proactivity on the Gemini API.
V1ALPHA: Final = "v1alpha"
#: google-genai's default for Vertex AI.
VERTEX_API_VERSION: Final = "v1beta1"
DEFAULT_LOCATION: Final = "us-central1"

_WS_SCHEMES: Final = {"ws": "ws", "wss": "wss", "http": "ws", "https": "wss"}

# Headers the library computes; letting extra_headers override them would
# silently break auth or the WebSocket handshake.
_RESERVED_HEADERS: Final = frozenset(
    {
        "authorization",
        "x-goog-api-key",
        "host",
        "upgrade",
        "connection",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-extensions",
        "sec-websocket-protocol",
        "content-length",
    }
)

_W = TypeVar("_W")


# ------------------------------------------------------------------ URL helpers


def _base_url_repr(value: str | None) -> str:
    return "None" if value is None else repr(redact_url(value))


def _headers_repr(value: Mapping[str, str]) -> str:
    # Extra headers may carry proxy credentials: show names only.
    return "{" + ", ".join(f"{name!r}: '<redacted>'" for name in value) + "}"


# ------------------------------------------------------------------- converters
#
# attrs converters with precise parameter types: the mypy attrs plugin types the
# generated __init__ from them, so `LiveConfig(generation_config={...})` type-checks.


def _evolve(obj: _W, **changes: Any) -> _W:
    # The wire classes are attrs classes declared through dataclass_transform,
    # which mypy does not recognise as attrs instances.
    result: _W = attrs.evolve(cast(Any, obj), **changes)
    return result


def _structured(value: Any, cls: type[_W], what: str) -> _W | None:
    if value is None:
        return None
    return structure_config(value, cls, what=what)


def _structured_list(value: Any, cls: type[_W], what: str) -> tuple[_W, ...] | None:
    if value is None:
        return None
    if isinstance(value, Mapping | str | bytes) or not isinstance(value, Sequence):
        raise ConfigError(
            f"{what} must be a list of {cls.__name__} objects or dicts, "
            f"got {type(value).__name__}; wrap a single item in a list"
        )
    items = tuple(structure_config(item, cls, what=f"{what}[{i}]") for i, item in enumerate(value))
    return items or None


def _to_generation_config(
    value: GenerationConfig | Mapping[str, Any] | None,
) -> GenerationConfig | None:
    return _structured(value, GenerationConfig, "generation_config")


def _to_system_instruction(value: Content | str | Mapping[str, Any] | None) -> Content | None:
    if isinstance(value, str):
        # As google-genai does: a bare instruction is one user-role text part.
        return Content(parts=(Part(text=value),), role="user")
    return _structured(value, Content, "system_instruction")


def _to_tools(value: Sequence[Tool | Mapping[str, Any]] | None) -> tuple[Tool, ...] | None:
    return _structured_list(value, Tool, "tools")


def _to_safety_settings(
    value: Sequence[SafetySetting | Mapping[str, Any]] | None,
) -> tuple[SafetySetting, ...] | None:
    return _structured_list(value, SafetySetting, "safety_settings")


def _to_realtime_input_config(
    value: RealtimeInputConfig | Mapping[str, Any] | None,
) -> RealtimeInputConfig | None:
    return _structured(value, RealtimeInputConfig, "realtime_input_config")


def _to_session_resumption(
    value: SessionResumptionConfig | Mapping[str, Any] | bool | None,
) -> SessionResumptionConfig | None:
    if value is True:
        return SessionResumptionConfig()
    if value is False:
        return None
    return _structured(value, SessionResumptionConfig, "session_resumption")


def _to_context_window_compression(
    value: ContextWindowCompressionConfig | Mapping[str, Any] | bool | None,
) -> ContextWindowCompressionConfig | None:
    if value is True:
        # Server defaults: trigger near the context limit, keep about half.
        return ContextWindowCompressionConfig(sliding_window=SlidingWindow())
    if value is False:
        return None
    return _structured(value, ContextWindowCompressionConfig, "context_window_compression")


def _to_input_transcription(
    value: AudioTranscriptionConfig | Mapping[str, Any] | bool | None,
) -> AudioTranscriptionConfig | None:
    return _transcription(value, "input_audio_transcription")


def _to_output_transcription(
    value: AudioTranscriptionConfig | Mapping[str, Any] | bool | None,
) -> AudioTranscriptionConfig | None:
    return _transcription(value, "output_audio_transcription")


def _transcription(value: Any, what: str) -> AudioTranscriptionConfig | None:
    if value is True:
        return AudioTranscriptionConfig()
    if value is False:
        return None
    return _structured(value, AudioTranscriptionConfig, what)


def _to_proactivity(
    value: ProactivityConfig | Mapping[str, Any] | bool | None,
) -> ProactivityConfig | None:
    if value is True:
        return ProactivityConfig(proactive_audio=True)
    if value is False:
        return None
    return _structured(value, ProactivityConfig, "proactivity")


def _to_history_config(value: HistoryConfig | Mapping[str, Any] | None) -> HistoryConfig | None:
    return _structured(value, HistoryConfig, "history_config")


def _to_json_object(value: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ConfigError(f"avatar_config must be a dict, got {type(value).__name__}")
    return dict(value)


def _to_labels(value: Mapping[str, str] | None) -> Mapping[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError("labels must be a dict of str to str")
    return dict(value) or None


def _to_headers(value: Mapping[str, str] | None) -> Mapping[str, str]:
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise ConfigError(f"extra_headers must be a dict, got {type(value).__name__}")
    out: dict[str, str] = {}
    for name, header_value in value.items():
        if not isinstance(name, str) or not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name):
            raise ConfigError(f"extra_headers: {name!r} is not a valid HTTP header name")
        if name.lower() in _RESERVED_HEADERS:
            raise ConfigError(
                f"extra_headers must not set {name!r}: live_actor computes it from the "
                "credentials and the WebSocket handshake; pass credentials instead"
            )
        if not isinstance(header_value, str) or any(c in header_value for c in "\r\n\0"):
            # Never echo the value: it may be a secret.
            raise ConfigError(f"extra_headers[{name!r}] must be a str without CR, LF or NUL")
        out[name] = header_value
    return MappingProxyType(out)


# ------------------------------------------------------------------- validation


def _unknown_enums(value: Any, path: str) -> tuple[str, OpenEnum] | None:
    """First enum value this version does not know, with its snake_case path."""
    if isinstance(value, OpenEnum):
        return None if value.is_known else (path, value)
    if isinstance(value, tuple | list):
        for index, item in enumerate(value):
            found = _unknown_enums(item, f"{path}[{index}]")
            if found:
                return found
        return None
    if attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            if field.name == "extra":
                continue
            found = _unknown_enums(getattr(value, field.name), f"{path}.{field.name}")
            if found:
                return found
    return None


def _enum_error(path: str, value: OpenEnum) -> ConfigError:
    cls: type[enum.Enum] = type(value)
    known = [name for name in cls.__members__ if not name.endswith("UNSPECIFIED")]
    upper = str(value).upper()
    if upper in cls.__members__:
        hint = f"; did you mean {upper!r}?"
    else:
        close = difflib.get_close_matches(upper, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
    return ConfigError(
        f"invalid {path}: unknown {cls.__name__} {str(value)!r}{hint} (known: {', '.join(known)})"
    )


def _check_range(
    what: str, value: float | None, *, low: float | None = None, high: float | None = None
) -> None:
    if value is None:
        return
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            wanted = f"between {low:g} and {high:g}"
        elif low is not None:
            wanted = f">= {low:g}"
        else:
            wanted = f"<= {high:g}"
        raise ConfigError(f"{what} must be {wanted}, got {value!r}")


# ------------------------------------------------------------------ the config


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
        default=None, converter=_to_headers, repr=_headers_repr, hash=False
    )

    generation_config: GenerationConfig | None = attrs.field(
        default=None, converter=_to_generation_config
    )
    system_instruction: Content | None = attrs.field(default=None, converter=_to_system_instruction)
    tools: tuple[Tool, ...] | None = attrs.field(default=None, converter=_to_tools)
    realtime_input_config: RealtimeInputConfig | None = attrs.field(
        default=None, converter=_to_realtime_input_config
    )
    session_resumption: SessionResumptionConfig | None = attrs.field(
        default=None, converter=_to_session_resumption
    )
    #: a secret (with the key it resumes the conversation): never in the repr.
    resume_handle: str | None = attrs.field(
        default=None, repr=lambda value: "None" if value is None else "'<redacted>'"
    )
    context_window_compression: ContextWindowCompressionConfig | None = attrs.field(
        default=None, converter=_to_context_window_compression
    )
    input_audio_transcription: AudioTranscriptionConfig | None = attrs.field(
        default=None, converter=_to_input_transcription
    )
    output_audio_transcription: AudioTranscriptionConfig | None = attrs.field(
        default=None, converter=_to_output_transcription
    )
    proactivity: ProactivityConfig | None = attrs.field(default=None, converter=_to_proactivity)
    enable_affective_dialog: bool | None = None
    history_config: HistoryConfig | None = attrs.field(default=None, converter=_to_history_config)
    explicit_vad_signal: bool | None = None
    safety_settings: tuple[SafetySetting, ...] | None = attrs.field(
        default=None, converter=_to_safety_settings
    )
    avatar_config: Mapping[str, Any] | None = attrs.field(
        default=None, converter=_to_json_object, hash=False
    )
    labels: Mapping[str, str] | None = attrs.field(default=None, converter=_to_labels, hash=False)

    # ------------------------------------------------------------ validation

    def __attrs_post_init__(self) -> None:
        self._check_model()
        self._check_backend()
        self._check_endpoint()
        self._check_enums()
        self._check_generation()
        self._check_realtime_input()
        self._check_resumption()
        self._check_gemini_only_rules()

    def _check_backend(self) -> None:
        if self.auth not in _AUTH_VALUES:
            close = difflib.get_close_matches(str(self.auth), _AUTH_VALUES, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"unknown auth {self.auth!r}{hint}: use 'gemini' (Gemini Developer API) "
                "or 'vertex_ai' (Vertex AI)"
            )
        if self.auth == "vertex_ai":
            if not self.location or not self.location.strip():
                raise ConfigError("auth='vertex_ai' needs a location such as 'us-central1'")
            if not self.project_id and not self.model.startswith(("projects/", "publishers/")):
                raise ConfigError(
                    "auth='vertex_ai' needs project_id='<your Google Cloud project id>'; "
                    "for Vertex AI express mode (API key, no project) give the model as "
                    "'publishers/google/models/<id>'"
                )
        if self.api_version is not None and not re.fullmatch(r"[A-Za-z0-9._-]+", self.api_version):
            raise ConfigError(
                f"api_version {self.api_version!r} is not a version such as 'v1beta', "
                "'v1alpha' or 'v1beta1'; leave it unset to pick one automatically"
            )

    def _check_model(self) -> None:
        model = self.model
        if not isinstance(model, str) or not model.strip():
            raise ConfigError(
                "model is empty; pass a Live model id such as "
                "'gemini-2.5-flash-native-audio-preview-12-2025'"
            )
        if model != model.strip() or any(s in model for s in ("..", "?", "&", "#", " ")):
            raise ConfigError(
                f"model {model!r} is not a valid model id; pass e.g. 'gemini-live-2.5-flash' "
                "or 'models/gemini-live-2.5-flash'"
            )

    def _check_endpoint(self) -> None:
        if self.base_url is None:
            return
        try:
            parts = urlsplit(self.base_url)
            _ = parts.port
        except ValueError:
            parts = None
        if parts is None or parts.scheme.lower() not in _WS_SCHEMES or not parts.hostname:
            raise ConfigError(
                f"base_url {redact_url(self.base_url)!r} is not usable: give an absolute "
                "ws://, wss://, http:// or https:// URL such as 'ws://127.0.0.1:8765'"
            )

    def _check_enums(self) -> None:
        for name in (
            "generation_config",
            "system_instruction",
            "tools",
            "realtime_input_config",
        ):
            found = _unknown_enums(getattr(self, name), name)
            if found:
                raise _enum_error(*found)

    def _check_generation(self) -> None:
        gc = self.generation_config
        modalities = tuple(gc.response_modalities or ()) if gc else ()
        if len(modalities) > 1:
            raise ConfigError(
                "Live sessions support exactly one response modality; set "
                "generation_config.response_modalities to ['TEXT'] or ['AUDIO']"
            )
        if modalities and modalities[0] == Modality.TEXT and "native-audio" in self.model.lower():
            raise ConfigError(
                f"native-audio models only produce AUDIO; model {self.model!r} would close "
                "the session with 1007. Set generation_config.response_modalities to "
                "['AUDIO'] and enable output_audio_transcription=True to get text, or "
                "pick a half-cascade model for TEXT"
            )
        if gc is not None:
            _check_range("generation_config.temperature", gc.temperature, low=0, high=2)
            _check_range("generation_config.top_p", gc.top_p, low=0, high=1)
            _check_range("generation_config.top_k", gc.top_k, low=0)
            _check_range("generation_config.max_output_tokens", gc.max_output_tokens, low=0)
            _check_range("generation_config.candidate_count", gc.candidate_count, low=1)
            if gc.thinking_config is not None:
                _check_range(
                    "generation_config.thinking_config.thinking_budget (0 = off, -1 = dynamic)",
                    gc.thinking_config.thinking_budget,
                    low=-1,
                )
            if (
                self.enable_affective_dialog is not None
                and gc.enable_affective_dialog is not None
                and self.enable_affective_dialog != gc.enable_affective_dialog
            ):
                raise ConfigError(
                    "enable_affective_dialog and generation_config.enable_affective_dialog "
                    "disagree; set only one of them"
                )
        cwc = self.context_window_compression
        if cwc is not None:
            _check_range("context_window_compression.trigger_tokens", cwc.trigger_tokens, low=0)
            if cwc.sliding_window is not None:
                _check_range(
                    "context_window_compression.sliding_window.target_tokens",
                    cwc.sliding_window.target_tokens,
                    low=0,
                )
                target = cwc.sliding_window.target_tokens
                if (
                    target is not None
                    and cwc.trigger_tokens is not None
                    and target >= cwc.trigger_tokens
                ):
                    raise ConfigError(
                        "context_window_compression.sliding_window.target_tokens must be "
                        "below trigger_tokens (compression shrinks the context to the target)"
                    )

    def _check_realtime_input(self) -> None:
        ric = self.realtime_input_config
        aad = ric.automatic_activity_detection if ric else None
        if aad is not None:
            for name in ("prefix_padding_ms", "silence_duration_ms"):
                _check_range(
                    f"realtime_input_config.automatic_activity_detection.{name}",
                    getattr(aad, name),
                    low=0,
                )

    def _check_resumption(self) -> None:
        if self.resume_handle is not None and not self.resume_handle:
            raise ConfigError(
                "resume_handle is empty; pass the new_handle of a resumable "
                "session_resumption_update, or None to start a new session"
            )
        sr = self.session_resumption
        if sr is not None and sr.handle and self.resume_handle and sr.handle != self.resume_handle:
            raise ConfigError(
                "resume_handle and session_resumption.handle disagree; set only resume_handle"
            )

    def _check_gemini_only_rules(self) -> None:
        if self.auth != "gemini":
            return
        sr = self.session_resumption
        if sr is not None and sr.transparent is not None:
            raise ConfigError(
                "session_resumption.transparent is only supported on Vertex AI; remove it, "
                "or set auth='vertex_ai'"
            )
        if self.explicit_vad_signal is not None:
            raise ConfigError(
                "explicit_vad_signal is only supported on Vertex AI; remove it, "
                "or set auth='vertex_ai'"
            )
        features = self.v1alpha_features
        if features and self.api_version is not None and self.api_version != V1ALPHA:
            raise ConfigError(
                f"{' and '.join(features)} need(s) the v1alpha API on the Gemini API but "
                f"api_version={self.api_version!r}; set api_version='v1alpha' "
                "(or leave it unset)"
            )

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
