"""Converters of ``LiveConfig``'s fields: user values -> the wire classes.

Every sub-configuration accepts its wire class (``GenerationConfig``,
``Tool``, ...) or plain dicts/lists with snake_case or camelCase keys, which are
structured strictly: an unknown key is a :class:`~live_actor.ConfigError` with a
did-you-mean (:func:`~live_actor._protocol._codec.structure_config`).  ``True``
switches a feature on with the server's defaults, ``False`` off.

The parameter types are precise on purpose: the mypy attrs plugin types
``LiveConfig.__init__`` from them, so ``LiveConfig(generation_config={...})``
type-checks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, TypeVar

from ._errors import ConfigError
from ._protocol._codec import structure_config
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
    SlidingWindow,
    Tool,
)

__all__ = [
    "to_context_window_compression",
    "to_generation_config",
    "to_headers",
    "to_history_config",
    "to_input_transcription",
    "to_json_object",
    "to_labels",
    "to_output_transcription",
    "to_proactivity",
    "to_realtime_input_config",
    "to_safety_settings",
    "to_session_resumption",
    "to_system_instruction",
    "to_tools",
]

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


def to_generation_config(
    value: GenerationConfig | Mapping[str, Any] | None,
) -> GenerationConfig | None:
    return _structured(value, GenerationConfig, "generation_config")


def to_system_instruction(value: Content | str | Mapping[str, Any] | None) -> Content | None:
    if isinstance(value, str):
        # As google-genai does: a bare instruction is one user-role text part.
        return Content(parts=(Part(text=value),), role="user")
    return _structured(value, Content, "system_instruction")


def to_tools(value: Sequence[Tool | Mapping[str, Any]] | None) -> tuple[Tool, ...] | None:
    return _structured_list(value, Tool, "tools")


def to_safety_settings(
    value: Sequence[SafetySetting | Mapping[str, Any]] | None,
) -> tuple[SafetySetting, ...] | None:
    return _structured_list(value, SafetySetting, "safety_settings")


def to_realtime_input_config(
    value: RealtimeInputConfig | Mapping[str, Any] | None,
) -> RealtimeInputConfig | None:
    return _structured(value, RealtimeInputConfig, "realtime_input_config")


def to_session_resumption(
    value: SessionResumptionConfig | Mapping[str, Any] | bool | None,
) -> SessionResumptionConfig | None:
    if value is True:
        return SessionResumptionConfig()
    if value is False:
        return None
    return _structured(value, SessionResumptionConfig, "session_resumption")


def to_context_window_compression(
    value: ContextWindowCompressionConfig | Mapping[str, Any] | bool | None,
) -> ContextWindowCompressionConfig | None:
    if value is True:
        # Server defaults: trigger near the context limit, keep about half.
        return ContextWindowCompressionConfig(sliding_window=SlidingWindow())
    if value is False:
        return None
    return _structured(value, ContextWindowCompressionConfig, "context_window_compression")


def to_input_transcription(
    value: AudioTranscriptionConfig | Mapping[str, Any] | bool | None,
) -> AudioTranscriptionConfig | None:
    return _transcription(value, "input_audio_transcription")


def to_output_transcription(
    value: AudioTranscriptionConfig | Mapping[str, Any] | bool | None,
) -> AudioTranscriptionConfig | None:
    return _transcription(value, "output_audio_transcription")


def _transcription(value: Any, what: str) -> AudioTranscriptionConfig | None:
    if value is True:
        return AudioTranscriptionConfig()
    if value is False:
        return None
    return _structured(value, AudioTranscriptionConfig, what)


def to_proactivity(
    value: ProactivityConfig | Mapping[str, Any] | bool | None,
) -> ProactivityConfig | None:
    if value is True:
        return ProactivityConfig(proactive_audio=True)
    if value is False:
        return None
    return _structured(value, ProactivityConfig, "proactivity")


def to_history_config(value: HistoryConfig | Mapping[str, Any] | None) -> HistoryConfig | None:
    return _structured(value, HistoryConfig, "history_config")


def to_json_object(value: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ConfigError(f"avatar_config must be a dict, got {type(value).__name__}")
    return dict(value)


def to_labels(value: Mapping[str, str] | None) -> Mapping[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError("labels must be a dict of str to str")
    return dict(value) or None


def to_headers(value: Mapping[str, str] | None) -> Mapping[str, str]:
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
