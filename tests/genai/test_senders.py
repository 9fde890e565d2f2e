"""Sender conversions: google-genai's Blob / Content / FunctionResponse become the
same client messages the SDK itself would send."""

from __future__ import annotations

from typing import Any

import pytest
from google.genai import types

from live_actor import ConfigError
from live_actor._genai import (
    blob_from_genai,
    content_from_genai,
    contents_from_genai,
    function_response_from_genai,
    function_responses_from_genai,
    is_genai_object,
)
from live_actor.types import (
    Blob,
    ClientContent,
    Content,
    FunctionResponse,
    RealtimeInput,
    ToolResponse,
)

from ._oracle import sdk_client_content, sdk_realtime_input, sdk_tool_response

PCM = bytes(range(256)) * 4
CALL = types.Part(function_call=types.FunctionCall(id="c1", name="f", args={"x": 1}))

#: What google-genai's live ``send_client_content(turns=...)`` accepts (Content or dict).
TURNS: list[Any] = [
    types.Content(role="user", parts=[types.Part(text="hello")]),
    {"role": "user", "parts": [{"text": "hello"}]},
    types.Content(parts=[types.Part.from_bytes(data=PCM, mime_type="audio/pcm;rate=16000")]),
    [types.Content(role="user", parts=[types.Part(text="a")]),
     types.Content(role="model", parts=[types.Part(text="b")])],
    [types.Content(role="model", parts=[CALL]),
     {"role": "user", "parts": [{"function_response": {"id": "c1", "name": "f",
                                                       "response": {"ok": 1}}}]}],
    types.Content(
        role="user",
        parts=[
            types.Part(text="look", thought=True),
            types.Part(inline_data=types.Blob(data=b"\xff\xd8\xff\x00", mime_type="image/jpeg")),
            types.Part(file_data=types.FileData(file_uri="gs://b/f.pdf",
                                                mime_type="application/pdf")),
        ],
    ),
]


@pytest.mark.parametrize("turns", TURNS, ids=[f"turns{i}" for i in range(len(TURNS))])
def test_client_content_equals_the_sdk_message(turns: Any) -> None:
    ours = ClientContent(turns=contents_from_genai(turns), turn_complete=True)
    assert ours == sdk_client_content(turns, True)


def test_parts_and_strings_group_into_turns_like_t_contents() -> None:
    # google-genai's generate_content rules (t_contents), which live_actor also
    # applies to send_client_content: consecutive user parts are one user turn,
    # a function call part is a model turn, a nested list is one turn.
    turns = contents_from_genai(["one", types.Part(text="two"), CALL, "after", ["x", "y"]])
    assert [(t.role, [p.text for p in t.parts or ()]) for t in turns] == [
        ("user", ["one", "two"]),
        ("model", [None]),
        ("user", ["after"]),
        ("user", ["x", "y"]),
    ]
    (single,) = contents_from_genai("hi")
    assert single.role == "user" and single.parts is not None and single.parts[0].text == "hi"


def test_model_dump_dicts_convert_like_the_objects() -> None:
    content = TURNS[-1]
    assert isinstance(content, types.Content)
    assert contents_from_genai(content.model_dump()) == contents_from_genai(content)
    assert contents_from_genai(content.model_dump(mode="json")) == contents_from_genai(content)


def test_single_content_conversion() -> None:
    converted = content_from_genai(types.Content(role="model", parts=[types.Part(text="x")]))
    assert converted == Content(role="model", parts=(converted.parts or ())[:1])
    assert converted.parts is not None and converted.parts[0].text == "x"
    assert content_from_genai(CALL).role == "model"


@pytest.mark.parametrize(
    "responses",
    [
        types.FunctionResponse(id="c1", name="get_weather", response={"output": {"t": 21}}),
        [types.FunctionResponse(id="c1", name="a", response={"r": 1}),
         {"id": "c2", "name": "b", "response": {"r": 2}}],
        types.FunctionResponse(
            id="c3", name="n", response={"r": 1}, will_continue=True,
            scheduling=types.FunctionResponseScheduling.WHEN_IDLE,
        ),
        types.FunctionResponse(
            id="c4", name="img", response={"ok": True},
            parts=[types.FunctionResponsePart(
                inline_data=types.FunctionResponseBlob(data=b"\x89PNG", mime_type="image/png")
            )],
        ),
    ],
    ids=["one", "list", "scheduling", "parts"],
)
def test_tool_response_equals_the_sdk_message(responses: Any) -> None:
    ours = ToolResponse(function_responses=function_responses_from_genai(responses))
    assert ours == sdk_tool_response(responses)


def test_function_response_scheduling_is_kept() -> None:
    converted = function_response_from_genai(
        types.FunctionResponse(id="i", name="n", response={}, scheduling="INTERRUPT")
    )
    assert isinstance(converted, FunctionResponse)
    assert str(converted.scheduling) == "INTERRUPT"


@pytest.mark.parametrize(
    "blob",
    [
        types.Blob(data=PCM, mime_type="audio/pcm;rate=16000"),
        {"data": PCM, "mime_type": "audio/pcm;rate=16000"},
        types.Blob(data=PCM, mime_type="audio/pcm;rate=16000").model_dump(mode="json"),
    ],
    ids=["object", "dict", "json-dict"],
)
def test_audio_blob_equals_the_sdk_message(blob: Any) -> None:
    ours = RealtimeInput(audio=blob_from_genai(blob))
    assert ours == sdk_realtime_input(audio=types.Blob(data=PCM, mime_type="audio/pcm;rate=16000"))
    assert blob_from_genai(blob).data == PCM


def test_video_blob_equals_the_sdk_message() -> None:
    frame = types.Blob(data=b"\xff\xd8\xff" + bytes(64), mime_type="image/jpeg")
    assert RealtimeInput(video=blob_from_genai(frame)) == sdk_realtime_input(video=frame)


def test_wire_objects_pass_through_and_genai_objects_are_recognised() -> None:
    blob = Blob(mime_type="audio/pcm", data=b"\x00\x00")
    assert blob_from_genai(blob) is blob
    assert is_genai_object(types.Blob(data=b"", mime_type="x"))
    assert not is_genai_object(blob)
    assert not is_genai_object({"data": b""})


@pytest.mark.parametrize(
    ("value", "named"),
    [
        (types.Part(tool_call=types.ToolCall()), "tool_call"),
        ({"parts": [{"txt": "typo"}]}, "txt"),
        (42, "int"),
    ],
)
def test_unsupported_content_raises_config_error_naming_it(value: Any, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        content_from_genai(value)


def test_bad_base64_in_a_json_mode_blob_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not base64"):
        blob_from_genai({"data": "***", "mime_type": "audio/pcm"})
