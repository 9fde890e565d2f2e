"""The rules a ``LiveConfig`` must satisfy, checked once, at construction.

Why validate here: the Live service reports a bad setup by closing the socket
with 1007 "Request contains an invalid argument." and no field name, after a
TLS handshake and a round trip, and a supervisor would then have to guess
whether to retry.  Every rule below is a mistake users of the official SDKs hit
in practice (``wire-protocol.md`` §5, §12); catching it before any dial turns a
mystery close into a :class:`~live_actor.ConfigError` that says what to change.

Unknown enum names, which the wire codec keeps for forward compatibility, are
rejected here too: in user configuration they are typos.  So are unknown
keyword arguments of ``LiveConfig`` itself (:func:`arguments_error`): attrs
would raise a bare ``TypeError``; users get the did-you-mean the nested
configurations give.
"""

from __future__ import annotations

import difflib
import enum
import re
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, cast, get_args
from urllib.parse import urlsplit

import attrs

from ._errors import ConfigError
from ._protocol._enums import Modality, OpenEnum
from ._protocol._messages import GenerationConfig
from ._redact import WS_SCHEMES, redact_url

if TYPE_CHECKING:
    from ._config import LiveConfig

__all__ = [
    "AUTH_VALUES",
    "DEFAULT_LOCATION",
    "GEMINI_API_VERSION",
    "V1ALPHA",
    "VERTEX_API_VERSION",
    "Auth",
    "arguments_error",
    "check_config",
    "check_range",
    "enum_error",
    "unknown_enums",
]

Auth: TypeAlias = Literal["gemini", "vertex_ai"]
AUTH_VALUES: Final = get_args(Auth)

#: API version used on the Gemini API when nothing needs v1alpha (the documented one).
GEMINI_API_VERSION: Final = "v1beta"
#: Needed for ephemeral tokens, affective dialog and proactivity on the Gemini API.
V1ALPHA: Final = "v1alpha"
#: google-genai's default for Vertex AI.
VERTEX_API_VERSION: Final = "v1beta1"
DEFAULT_LOCATION: Final = "us-central1"


def check_config(config: LiveConfig) -> None:
    """Raise :class:`ConfigError` for the first rule ``config`` breaks."""
    _check_model(config)
    _check_backend(config)
    _check_endpoint(config)
    _check_enums(config)
    _check_generation(config)
    _check_realtime_input(config)
    _check_resumption(config)
    _check_gemini_only_rules(config)


def arguments_error(
    cls: type[Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> ConfigError | None:
    """Why ``cls(*args, **kwargs)`` cannot bind, or ``None`` when it can.

    Called only after the generated ``__init__`` raised ``TypeError``: a
    ``TypeError`` from a converter is not ours to rewrite.
    """
    name = cls.__name__
    fields = [field.alias for field in attrs.fields(cls) if field.init]
    required = [
        field.alias
        for field in attrs.fields(cls)
        if field.init and field.default is attrs.NOTHING and field.alias not in kwargs
    ]
    for key in kwargs:
        if key in fields:
            continue
        close = difflib.get_close_matches(key, fields, n=1)
        if close:
            hint = f"; did you mean {close[0]!r}?"
        elif key in _GENERATION_FIELDS:
            # google-genai's LiveConnectConfig has these at the top level.
            hint = (
                f"; it belongs in generation_config={{{key!r}: ...}} (or build the config "
                "with LiveConfig.from_genai from a google-genai LiveConnectConfig)"
            )
        else:
            hint = f" (known: {', '.join(fields)})"
        return ConfigError(f"unknown field {key!r} for {name}{hint}")
    if args:
        return ConfigError(
            f"{name} takes keyword arguments only, e.g. {name}(model={args[0]!r}); "
            f"got {len(args)} positional"
        )
    if required:
        return ConfigError(
            f"{name} needs {' and '.join(required)}: pass e.g. "
            f"{name}(model='gemini-live-2.5-flash-preview')"
        )
    return None


_GENERATION_FIELDS: Final = frozenset(
    field.name for field in attrs.fields(cast(Any, GenerationConfig))
) - {"extra"}


def unknown_enums(value: Any, path: str) -> tuple[str, OpenEnum] | None:
    """First enum value this version does not know, with its snake_case path."""
    if isinstance(value, OpenEnum):
        return None if value.is_known else (path, value)
    if isinstance(value, tuple | list):
        for index, item in enumerate(value):
            found = unknown_enums(item, f"{path}[{index}]")
            if found:
                return found
        return None
    if attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            if field.name == "extra":
                continue
            found = unknown_enums(getattr(value, field.name), f"{path}.{field.name}")
            if found:
                return found
    return None


def enum_error(path: str, value: OpenEnum) -> ConfigError:
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


def check_range(
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


def _check_backend(config: LiveConfig) -> None:
    if config.auth not in AUTH_VALUES:
        close = difflib.get_close_matches(str(config.auth), AUTH_VALUES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            f"unknown auth {config.auth!r}{hint}: use 'gemini' (Gemini Developer API) "
            "or 'vertex_ai' (Vertex AI)"
        )
    if config.auth == "vertex_ai":
        if not config.location or not config.location.strip():
            raise ConfigError("auth='vertex_ai' needs a location such as 'us-central1'")
        if not config.project_id and not config.model.startswith(("projects/", "publishers/")):
            raise ConfigError(
                "auth='vertex_ai' needs project_id='<your Google Cloud project id>'; "
                "for Vertex AI express mode (API key, no project) give the model as "
                "'publishers/google/models/<id>'"
            )
    if config.api_version is not None and not re.fullmatch(r"[A-Za-z0-9._-]+", config.api_version):
        raise ConfigError(
            f"api_version {config.api_version!r} is not a version such as 'v1beta', "
            "'v1alpha' or 'v1beta1'; leave it unset to pick one automatically"
        )


def _check_model(config: LiveConfig) -> None:
    model = config.model
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


def _check_endpoint(config: LiveConfig) -> None:
    if config.base_url is None:
        return
    try:
        parts = urlsplit(config.base_url)
        _ = parts.port
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in WS_SCHEMES or not parts.hostname:
        raise ConfigError(
            f"base_url {redact_url(config.base_url)!r} is not usable: give an absolute "
            "ws://, wss://, http:// or https:// URL such as 'ws://127.0.0.1:8765'"
        )


def _check_enums(config: LiveConfig) -> None:
    for name in (
        "generation_config",
        "system_instruction",
        "tools",
        "realtime_input_config",
    ):
        found = unknown_enums(getattr(config, name), name)
        if found:
            raise enum_error(*found)


def _check_generation(config: LiveConfig) -> None:
    gc = config.generation_config
    modalities = tuple(gc.response_modalities or ()) if gc else ()
    if len(modalities) > 1:
        raise ConfigError(
            "Live sessions support exactly one response modality; set "
            "generation_config.response_modalities to ['TEXT'] or ['AUDIO']"
        )
    if modalities and modalities[0] == Modality.TEXT and "native-audio" in config.model.lower():
        raise ConfigError(
            f"native-audio models only produce AUDIO; model {config.model!r} would close "
            "the session with 1007. Set generation_config.response_modalities to "
            "['AUDIO'] and enable output_audio_transcription=True to get text, or "
            "pick a half-cascade model for TEXT"
        )
    if gc is not None:
        check_range("generation_config.temperature", gc.temperature, low=0, high=2)
        check_range("generation_config.top_p", gc.top_p, low=0, high=1)
        check_range("generation_config.top_k", gc.top_k, low=0)
        check_range("generation_config.max_output_tokens", gc.max_output_tokens, low=0)
        check_range("generation_config.candidate_count", gc.candidate_count, low=1)
        if gc.thinking_config is not None:
            check_range(
                "generation_config.thinking_config.thinking_budget (0 = off, -1 = dynamic)",
                gc.thinking_config.thinking_budget,
                low=-1,
            )
        if (
            config.enable_affective_dialog is not None
            and gc.enable_affective_dialog is not None
            and config.enable_affective_dialog != gc.enable_affective_dialog
        ):
            raise ConfigError(
                "enable_affective_dialog and generation_config.enable_affective_dialog "
                "disagree; set only one of them"
            )
    cwc = config.context_window_compression
    if cwc is not None:
        check_range("context_window_compression.trigger_tokens", cwc.trigger_tokens, low=0)
        if cwc.sliding_window is not None:
            check_range(
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


def _check_realtime_input(config: LiveConfig) -> None:
    ric = config.realtime_input_config
    aad = ric.automatic_activity_detection if ric else None
    if aad is not None:
        for name in ("prefix_padding_ms", "silence_duration_ms"):
            check_range(
                f"realtime_input_config.automatic_activity_detection.{name}",
                getattr(aad, name),
                low=0,
            )


def _check_resumption(config: LiveConfig) -> None:
    if config.resume_handle is not None and not config.resume_handle:
        raise ConfigError(
            "resume_handle is empty; pass the new_handle of a resumable "
            "session_resumption_update, or None to start a new session"
        )
    sr = config.session_resumption
    if sr is not None and sr.handle and config.resume_handle and sr.handle != config.resume_handle:
        raise ConfigError(
            "resume_handle and session_resumption.handle disagree; set only resume_handle"
        )


def _check_gemini_only_rules(config: LiveConfig) -> None:
    if config.auth != "gemini":
        return
    sr = config.session_resumption
    if sr is not None and sr.transparent is not None:
        raise ConfigError(
            "session_resumption.transparent is only supported on Vertex AI; remove it, "
            "or set auth='vertex_ai'"
        )
    if config.explicit_vad_signal is not None:
        raise ConfigError(
            "explicit_vad_signal is only supported on Vertex AI; remove it, or set auth='vertex_ai'"
        )
    features = config.v1alpha_features
    if features and config.api_version is not None and config.api_version != V1ALPHA:
        raise ConfigError(
            f"{' and '.join(features)} need(s) the v1alpha API on the Gemini API but "
            f"api_version={config.api_version!r}; set api_version='v1alpha' "
            "(or leave it unset)"
        )
