"""google-genai at the boundary: its types in, live_actor's wire classes out.

Why conversions and not a second spelling of every keyword: code written for
google-genai (``client.aio.live.connect(model=..., config=types.LiveConnectConfig(...))``,
``session.send_client_content(turns=types.Content(...))``) should port by changing
the connect line, and every object it builds should keep working.  These pure
functions turn google-genai's objects (or their ``model_dump()`` dicts, whose
keys are flat snake_case such as ``response_modalities``, ``speech_config``)
into :class:`~live_actor.LiveConfig` and the wire classes, with the SDK's own
rules (a str system instruction is one user part; flat generation fields go
into ``generationConfig``; consecutive parts are grouped into one turn).

google-genai is never imported: a pydantic object is recognised by its
``model_dump`` method, so these functions work with or without the SDK
installed.  A field with no Live meaning here (``http_options.timeout``, a
Python callable as a tool, ``speech_config.multi_speaker_voice_config``, ...)
raises :class:`~live_actor.ConfigError` naming it, instead of being dropped.
"""

from __future__ import annotations

import base64
import datetime as dt
import difflib
import enum
from collections.abc import Mapping, Sequence
from typing import Any, Final, TypeVar, cast

import attrs

from ._config import LiveConfig
from ._errors import ConfigError
from ._protocol._codec import structure_config
from ._protocol._messages import (
    Blob,
    Content,
    FunctionResponse,
    GenerationConfig,
    Part,
)

__all__ = [
    "GENAI_SETUP_FIELDS",
    "blob_from_genai",
    "content_from_genai",
    "contents_from_genai",
    "function_response_from_genai",
    "function_responses_from_genai",
    "is_genai_object",
    "live_config_from_genai",
    "live_config_kwargs_from_genai",
]

_T = TypeVar("_T")

#: ``LiveConnectConfig`` fields folded into ``setup.generationConfig`` (as the SDK does).
_GENERATION_FIELDS: Final = (
    "response_modalities",
    "temperature",
    "top_p",
    "top_k",
    "max_output_tokens",
    "media_resolution",
    "seed",
    "speech_config",
    "thinking_config",
    "translation_config",
)
#: ``LiveConnectConfig`` fields that are ``LiveConfig`` fields of the same name.
_SAME_NAME_FIELDS: Final = (
    "enable_affective_dialog",
    "system_instruction",
    "tools",
    "session_resumption",
    "input_audio_transcription",
    "output_audio_transcription",
    "realtime_input_config",
    "context_window_compression",
    "proactivity",
    "explicit_vad_signal",
    "history_config",
    "avatar_config",
    "safety_settings",
    "labels",
)
#: Every ``LiveConnectConfig`` field (google-genai 3.4.0) this module converts.
GENAI_SETUP_FIELDS: Final = frozenset(
    {"generation_config", "http_options", *_GENERATION_FIELDS, *_SAME_NAME_FIELDS}
)
#: ``http_options`` keys with a Live meaning, and the ``LiveConfig`` field each becomes.
_HTTP_OPTIONS: Final = {
    "base_url": "base_url",
    "api_version": "api_version",
    "headers": "extra_headers",
}
#: Values that are configuration objects (not user data): their keys are proto field names.
_CONFIG_OBJECTS: Final = frozenset(
    {
        "google_search",
        "code_execution",
        "url_context",
        "google_maps",
        "file_search",
        "computer_use",
        "google_search_retrieval",
        "enterprise_web_search",
        "retrieval",
    }
)


# ------------------------------------------------------------------ plumbing


def is_genai_object(value: object) -> bool:
    """Whether ``value`` is a google-genai ``types`` object (a pydantic model of the SDK)."""
    return callable(getattr(value, "model_dump", None)) and type(value).__module__.startswith(
        "google.genai"
    )


def _duration(value: dt.timedelta) -> str:
    seconds = value.total_seconds()
    return f"{seconds:.9f}".rstrip("0").rstrip(".") + "s"


def _plain(value: Any) -> Any:
    """Pydantic models -> dicts, enums -> their values, ``None`` entries dropped.

    What is left is what the SDK itself would put on the wire before
    camel-casing: dicts, lists, str, numbers, bools and bytes.
    """
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        value = dump(exclude_none=True)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.timedelta):
        return _duration(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _camel_keys(value: Any) -> Any:
    """Camel-case the keys of a configuration object kept as raw JSON (proto names)."""
    if isinstance(value, Mapping):
        return {_camel(k): _camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel_keys(v) for v in value]
    return value


def _structure(value: Any, cls: type[_T], what: str) -> _T:
    return structure_config(value, cls, what=what)


def _mapping(value: Any, what: str) -> dict[str, Any]:
    plain = _plain(value)
    if not isinstance(plain, Mapping):
        raise ConfigError(
            f"{what} must be a google-genai object or its dict, got {type(value).__name__}"
        )
    return dict(plain)


# -------------------------------------------------------------------- config


def _speech_config(value: Any) -> Any:
    if isinstance(value, str):
        # google-genai's SpeechConfigUnion: a bare voice name.
        return {"voice_config": {"prebuilt_voice_config": {"voice_name": value}}}
    return value


def _generation_config(data: dict[str, Any]) -> GenerationConfig | None:
    nested = data.pop("generation_config", None)
    generation = (
        _structure(_generation_dict(nested), GenerationConfig, "generation_config")
        if nested is not None
        else None
    )
    flat = {key: data.pop(key) for key in _GENERATION_FIELDS if key in data}
    if not flat:
        return generation
    if "speech_config" in flat:
        flat["speech_config"] = _speech_config(flat["speech_config"])
    # Structured one key at a time so an error names the flat LiveConnectConfig key.
    changes: dict[str, Any] = {}
    for key, value in flat.items():
        single = _structure({key: value}, GenerationConfig, "LiveConnectConfig")
        changes[key] = getattr(single, key)
    base = generation or GenerationConfig()
    clash = sorted(
        key
        for key, value in changes.items()
        if getattr(base, key) is not None and getattr(base, key) != value
    )
    if clash:
        # google-genai refuses this too ("Cannot set value for an existing key").
        raise ConfigError(
            f"{', '.join(clash)} set both in the deprecated generation_config and on "
            "LiveConnectConfig, with different values; set each once, on LiveConnectConfig"
        )
    result: GenerationConfig = attrs.evolve(base, **changes)  # type: ignore[misc]
    return result


def _generation_dict(value: Any) -> Any:
    if isinstance(value, Mapping) and "speech_config" in value:
        value = {**value, "speech_config": _speech_config(value["speech_config"])}
    return value


def _system_instruction(value: Any) -> Any:
    if isinstance(value, str):
        return value
    return content_from_genai(value)


def _tool(value: Any, index: int) -> dict[str, Any]:
    if callable(value) and not callable(getattr(value, "model_dump", None)):
        raise ConfigError(
            f"tools[{index}] is a Python callable; google-genai builds its declaration with "
            "its client. Pass types.FunctionDeclaration(...) (or a dict) in "
            "types.Tool(function_declarations=[...]) and answer calls with on_tool_call"
        )
    tool = _mapping(value, f"tools[{index}]")
    for key in _CONFIG_OBJECTS & tool.keys():
        tool[key] = _camel_keys(tool[key])
    return tool


def _merged_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """google-genai's ``t_tools``: every function declaration in one tool, placed last."""
    declarations: list[Any] = []
    merged: list[dict[str, Any]] = []
    for tool in tools:
        found = tool.pop("function_declarations", None)
        if found:
            declarations += found
        if tool or found is None:
            merged.append(tool)
    if declarations:
        merged.append({"function_declarations": declarations})
    return merged


def _http_options(value: Any) -> dict[str, Any]:
    options = _mapping(value, "http_options")
    unsupported = sorted(set(options) - set(_HTTP_OPTIONS))
    if unsupported:
        raise ConfigError(
            f"http_options.{', http_options.'.join(unsupported)} has no meaning for a Live "
            "session here; only base_url, api_version and headers are used (timeouts and "
            "retries are SessionOptions / RestartPolicy)"
        )
    return {_HTTP_OPTIONS[key]: value for key, value in options.items()}


def live_config_kwargs_from_genai(config: Any) -> dict[str, Any]:
    """``LiveConfig`` keyword arguments from a ``types.LiveConnectConfig`` or its dict.

    Raises :class:`ConfigError` naming any field with no Live meaning here.
    """
    if config is None:
        return {}
    data = _mapping(config, "config")
    unknown = sorted(set(data) - GENAI_SETUP_FIELDS)
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, sorted(GENAI_SETUP_FIELDS), n=1)
            hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ConfigError(f"unknown LiveConnectConfig field(s): {', '.join(hints)}")
    kwargs: dict[str, Any] = {}
    if "http_options" in data:
        kwargs.update(_http_options(data.pop("http_options")))
    generation = _generation_config(data)
    if generation is not None:
        kwargs["generation_config"] = generation
    if "system_instruction" in data:
        data["system_instruction"] = _system_instruction(data["system_instruction"])
    if "tools" in data:
        tools = data["tools"]
        if isinstance(tools, Mapping) or not isinstance(tools, Sequence):
            tools = [tools]
        data["tools"] = _merged_tools([_tool(t, i) for i, t in enumerate(tools)])
    if "avatar_config" in data:
        data["avatar_config"] = _camel_keys(data["avatar_config"])
    kwargs.update(data)
    return kwargs


def live_config_from_genai(model: str, config: Any = None, **live_config: Any) -> LiveConfig:
    """A :class:`LiveConfig` from google-genai's ``connect(model=..., config=...)`` arguments.

    ``config`` is a ``types.LiveConnectConfig``, its ``model_dump()`` dict, or
    ``None``.  ``live_config`` adds ``LiveConfig`` fields google-genai keeps on
    its client (``auth="vertex_ai"``, ``project_id``, ``location``, ``base_url``,
    ...); naming a field twice is an error.
    """
    kwargs = live_config_kwargs_from_genai(config)
    twice = sorted(set(kwargs) & set(live_config))
    if twice:
        raise ConfigError(
            f"{', '.join(twice)} given both in the google-genai config and as keyword "
            "argument(s); set each once"
        )
    return LiveConfig(model=model, **kwargs, **live_config)


# ------------------------------------------------------------------- content


def _data_bytes(blob: dict[str, Any], what: str) -> None:
    data = blob.get("data")
    if isinstance(data, str):
        # model_dump(mode="json") writes bytes as base64 text (urlsafe in pydantic).
        text = data.strip().rstrip("=").replace("-", "+").replace("_", "/")
        try:
            blob["data"] = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except ValueError:
            raise ConfigError(f"{what}.data is a str that is not base64") from None


def blob_from_genai(value: Any) -> Blob:
    """A :class:`~live_actor.types.Blob` from ``types.Blob`` (or its dict)."""
    if isinstance(value, Blob):
        return value
    blob = _mapping(value, "blob")
    _data_bytes(blob, "blob")
    return _structure(blob, Blob, "blob")


def _part(value: Any, what: str) -> dict[str, Any]:
    if isinstance(value, str):
        return {"text": value}
    if isinstance(value, Part):
        return _part_dict_from_wire(value)
    part = _mapping(value, what)
    inline = part.get("inline_data")
    if isinstance(inline, dict):
        part["inline_data"] = dict(inline)
        _data_bytes(part["inline_data"], f"{what}.inline_data")
    for key in ("video_metadata", "media_resolution"):
        if key in part:
            part[key] = _camel_keys(part[key])
    response = part.get("function_response")
    if response is not None:
        part["function_response"] = _function_response_dict(response, f"{what}.function_response")
    return part


def _part_dict_from_wire(part: Part) -> dict[str, Any]:
    # Shallow: nested wire objects are accepted as they are by structure_config.
    names = [f.name for f in attrs.fields(cast(Any, Part)) if f.name != "extra"]
    return {name: getattr(part, name) for name in names if getattr(part, name) is not None}


_CONTENT_CLASSES: Final = frozenset({"Content", "UserContent", "ModelContent"})
_CONTENT_KEYS: Final = frozenset({"parts", "role"})


def _is_content(value: Any) -> bool:
    if isinstance(value, Content):
        return True
    if callable(getattr(value, "model_dump", None)):
        return type(value).__name__ in _CONTENT_CLASSES
    if isinstance(value, Mapping):
        # An empty dict is a Content, as in google-genai.
        return set(value) <= _CONTENT_KEYS
    return False


def _content_from_parts(parts: list[dict[str, Any]], what: str) -> Content:
    # google-genai: parts with a function call are the model's turn, others the user's.
    role = "model" if any("function_call" in p for p in parts) else "user"
    return _structure({"role": role, "parts": parts}, Content, what)


def content_from_genai(value: Any) -> Content:
    """One turn from ``types.Content``, a ``types.Part``, a str, a list of parts, or dicts.

    Follows google-genai's ``t_content``: a str or part becomes a user turn
    (a model turn when it is a function call); a list is the parts of one turn.
    """
    if isinstance(value, Content):
        return value
    if isinstance(value, list | tuple):
        return _content_from_parts(
            [_part(p, f"content.parts[{i}]") for i, p in enumerate(value)], "content"
        )
    if _is_content(value):
        content = _mapping(value, "content")
        parts = content.get("parts")
        if isinstance(parts, list):
            content["parts"] = [_part(p, f"content.parts[{i}]") for i, p in enumerate(parts)]
        return _structure(content, Content, "content")
    return _content_from_parts([_part(value, "content")], "content")


def contents_from_genai(value: Any) -> tuple[Content, ...]:
    """The turns of ``send_client_content(turns=...)``, with google-genai's ``t_contents`` rules.

    A single item is one turn; in a list, each Content is a turn and
    consecutive parts (str, ``types.Part``, part dicts) are grouped into one
    turn (user parts and function-call parts apart); a nested list is one turn.
    """
    if not isinstance(value, list | tuple):
        return (content_from_genai(value),)
    turns: list[Content] = []
    pending: list[dict[str, Any]] = []

    def flush() -> None:
        if pending:
            turns.append(_content_from_parts(list(pending), f"turns[{len(turns)}]"))
            pending.clear()

    for index, item in enumerate(value):
        if isinstance(item, list | tuple) or _is_content(item):
            flush()
            turns.append(content_from_genai(item))
            continue
        part = _part(item, f"turns[{index}]")
        if pending and ("function_call" in part) != ("function_call" in pending[-1]):
            flush()
        pending.append(part)
    flush()
    return tuple(turns)


def _function_response_dict(value: Any, what: str) -> dict[str, Any]:
    response = _mapping(value, what)
    parts = response.get("parts")
    if isinstance(parts, list):
        fixed = []
        for i, part in enumerate(parts):
            part = dict(part) if isinstance(part, Mapping) else part
            inline = part.get("inline_data") if isinstance(part, dict) else None
            if isinstance(inline, dict):
                part["inline_data"] = dict(inline)
                _data_bytes(part["inline_data"], f"{what}.parts[{i}].inline_data")
            fixed.append(part)
        response["parts"] = fixed
    return response


def function_response_from_genai(value: Any) -> FunctionResponse:
    """A :class:`~live_actor.types.FunctionResponse` from google-genai's (or its dict)."""
    if isinstance(value, FunctionResponse):
        return value
    return _structure(
        _function_response_dict(value, "function_response"), FunctionResponse, "function_response"
    )


def function_responses_from_genai(value: Any) -> tuple[FunctionResponse, ...]:
    """``send_tool_response(function_responses=...)``: one response or a list of them."""
    if isinstance(value, list | tuple):
        return tuple(function_response_from_genai(v) for v in value)
    return (function_response_from_genai(value),)
