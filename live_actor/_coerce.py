"""What users hand the senders, turned into wire messages before anything is queued.

Every send method of :class:`SessionHandle` accepts plain Python values
(``str``, ``bytes``, dicts with snake_case keys), the wire classes of
:mod:`live_actor.types` and google-genai's ``types`` objects.  This module is
the one place that reads them, and the place their errors come from: a
:class:`LocalProtocolError` naming the argument and what it takes, raised in the
caller's task, so a bad value never reaches the command stream.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol

from . import _genai
from ._errors import LocalProtocolError
from ._protocol._codec import structure_config
from ._protocol._enums import FunctionResponseScheduling
from ._protocol._media import check_audio
from ._protocol._messages import (
    ActivityEnd,
    ActivityStart,
    Blob,
    ClientContent,
    Content,
    ContextUpdate,
    ContextUpdateTools,
    FunctionResponse,
    Part,
    RealtimeInput,
    Tool,
    ToolResponse,
    replace,
)

__all__ = [
    "AUDIO_MIME",
    "GenaiModel",
    "client_content",
    "context_update",
    "realtime_input",
    "tool_response",
]

#: What bare ``bytes`` of audio are: the Live API's input format.
AUDIO_MIME: Final = "audio/pcm;rate=16000"


class GenaiModel(Protocol):
    """A google-genai ``types`` object (a pydantic model): senders convert them."""

    def model_dump(self, *args: Any, **kwargs: Any) -> dict[str, Any]: ...


def client_content(content: Any, turn_complete: bool) -> ClientContent:
    """``send_client_content``'s argument: a str, Content, dict, genai object or a list."""
    if _genai.is_genai_object(content) or (
        isinstance(content, list | tuple) and any(_genai.is_genai_object(c) for c in content)
    ):
        return ClientContent(turns=_genai.contents_from_genai(content), turn_complete=turn_complete)
    if isinstance(content, str | Content | Mapping):
        items: Sequence[Any] = [content]
    elif isinstance(content, Sequence) and not isinstance(content, bytes | bytearray):
        items = list(content)
    else:
        raise LocalProtocolError(
            "send_client_content takes a str, a Content, a dict or a list of them, "
            f"got {type(content).__name__}"
        )
    turns = tuple(_to_content(item) for item in items)
    return ClientContent(turns=turns, turn_complete=turn_complete)


def realtime_input(
    *,
    audio: Any,
    video: Any,
    text: Any,
    activity_start: bool,
    activity_end: bool,
    audio_stream_end: bool,
    media_chunks: Sequence[Any] | None,
) -> RealtimeInput:
    """``send_realtime_input``'s arguments (exactly one given) as one message."""
    given = sum(
        (
            audio is not None,
            video is not None,
            text is not None,
            activity_start,
            activity_end,
            audio_stream_end,
            media_chunks is not None,
        )
    )
    if given != 1:
        raise LocalProtocolError(
            "send_realtime_input takes exactly one of audio, video, text, activity_start,"
            f" activity_end, audio_stream_end or media_chunks; got {given}"
        )
    if audio is not None:
        check_audio(audio)
        return RealtimeInput(audio=_to_blob(audio, "audio", AUDIO_MIME))
    if video is not None:
        return RealtimeInput(video=_to_blob(video, "video", None))
    if text is not None:
        if not isinstance(text, str):
            raise LocalProtocolError(f"text must be a str, got {type(text).__name__}")
        return RealtimeInput(text=text)
    if activity_start:
        return RealtimeInput(activity_start=ActivityStart())
    if activity_end:
        return RealtimeInput(activity_end=ActivityEnd())
    if audio_stream_end:
        return RealtimeInput(audio_stream_end=True)
    chunks = tuple(_to_blob(c, "media_chunks", None) for c in media_chunks or ())
    return RealtimeInput(media_chunks=chunks)


def tool_response(
    responses: Any, scheduling: FunctionResponseScheduling | str | None
) -> ToolResponse:
    """``send_tool_response``'s argument; ``scheduling`` fills the responses without one."""
    if _genai.is_genai_object(responses) or (
        isinstance(responses, list | tuple) and any(_genai.is_genai_object(r) for r in responses)
    ):
        responses = _genai.function_responses_from_genai(responses)
    if isinstance(responses, FunctionResponse | Mapping):
        items: Sequence[Any] = [responses]
    elif isinstance(responses, Sequence):
        items = list(responses)
    else:
        raise LocalProtocolError(
            "send_tool_response takes a FunctionResponse, a dict or a list of them, "
            f"got {type(responses).__name__}"
        )
    converted = []
    for item in items:
        response = (
            item
            if isinstance(item, FunctionResponse)
            else structure_config(item, FunctionResponse, what="tool response")
        )
        if scheduling is not None and response.scheduling is None:
            response = replace(response, scheduling=FunctionResponseScheduling(scheduling))
        converted.append(response)
    return ToolResponse(function_responses=tuple(converted))


def context_update(system_instruction: Any, tools: Sequence[Any] | None) -> ContextUpdate:
    """``send_context_update``'s arguments (at least one given)."""
    if system_instruction is None and tools is None:
        raise LocalProtocolError("send_context_update needs system_instruction or tools")
    instruction = None
    if system_instruction is not None:
        instruction = (
            _genai.content_from_genai(system_instruction)
            if _genai.is_genai_object(system_instruction)
            else _to_content(system_instruction)
        )
    update_tools = None
    if tools is not None:
        update_tools = ContextUpdateTools(
            tools=tuple(
                t if isinstance(t, Tool) else structure_config(t, Tool, what="tools") for t in tools
            )
        )
    return ContextUpdate(system_instruction=instruction, tools=update_tools)


def _to_content(item: Any) -> Content:
    if isinstance(item, Content):
        return item
    if isinstance(item, str):
        return Content(role="user", parts=(Part(text=item),))
    return structure_config(item, Content, what="content")


_IMAGE_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def _to_blob(value: Any, what: str, default_mime: str | None) -> Blob:
    if isinstance(value, Blob):
        return value
    if _genai.is_genai_object(value):
        return _genai.blob_from_genai(value)
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        mime = default_mime
        if mime is None:
            mime = next((m for magic, m in _IMAGE_MAGIC if data.startswith(magic)), None)
            if mime is None:
                raise LocalProtocolError(
                    f"cannot tell the MIME type of the {what} bytes; pass a Blob or"
                    " {'data': ..., 'mime_type': 'image/jpeg'}"
                )
        return Blob(mime_type=mime, data=data)
    return structure_config(value, Blob, what=what)
