"""Unit tests of the codec (``live_actor._protocol._codec``): one behaviour each."""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

import pytest

from live_actor import LiveError, RemoteProtocolError
from live_actor._protocol._scalars import format_duration, parse_duration
from live_actor.types import (
    ActivityEnd,
    Blob,
    ClientContent,
    Content,
    ContextUpdate,
    FunctionResponse,
    FunctionResponseScheduling,
    GoAway,
    Modality,
    Part,
    RealtimeInput,
    ServerContent,
    ServerMessage,
    Setup,
    ToolResponse,
    TurnCompleteReason,
    UsageMetadata,
    VoiceActivity,
    VoiceActivityType,
)
from live_actor.wire import (
    decode_client_message,
    decode_server_message,
    encode_client_message,
    encode_server_message,
)

PCM = bytes(range(256)) * 2 + b"\xfb\xff\xfe"  # contains bytes that differ in url-safe b64


def dec(obj: Any) -> ServerMessage:
    return decode_server_message(json.dumps(obj))


def enc(message: ServerMessage) -> Any:
    return json.loads(encode_server_message(message))


def server_error(frame: Any) -> RemoteProtocolError:
    if not isinstance(frame, str | bytes):
        frame = json.dumps(frame)
    with pytest.raises(RemoteProtocolError) as info:
        decode_server_message(frame)
    return info.value


def client_error(frame: Any) -> RemoteProtocolError:
    if not isinstance(frame, str | bytes):
        frame = json.dumps(frame)
    with pytest.raises(RemoteProtocolError) as info:
        decode_client_message(frame)
    return info.value


# --------------------------------------------------------------------- framing


AUDIO_MSG = {
    "serverContent": {
        "modelTurn": {
            "parts": [
                {"inlineData": {"mimeType": "audio/pcm;rate=24000", "data": "AAEC"}},
            ]
        }
    }
}


@pytest.mark.parametrize(
    "frame",
    [
        json.dumps(AUDIO_MSG),
        json.dumps(AUDIO_MSG).encode(),
        bytearray(json.dumps(AUDIO_MSG).encode()),
        memoryview(json.dumps(AUDIO_MSG).encode()),
        json.dumps(AUDIO_MSG, indent=2) + "\n",
        (json.dumps(AUDIO_MSG, indent=2) + "\n").encode(),
    ],
    ids=["text", "bytes", "bytearray", "memoryview", "pretty-text", "pretty-bytes"],
)
def test_server_frame_kinds(frame: Any) -> None:
    message = decode_server_message(frame)
    assert message.data == b"\x00\x01\x02"


def test_client_frame_kinds() -> None:
    text = '{"realtimeInput": {"text": "hi"}}'
    assert decode_client_message(text) == RealtimeInput(text="hi")
    assert decode_client_message(text.encode()) == RealtimeInput(text="hi")
    pretty = json.dumps(json.loads(text), indent=4)
    assert decode_client_message(pretty.encode()) == RealtimeInput(text="hi")


def test_encode_types() -> None:
    assert isinstance(encode_client_message(RealtimeInput(text="x")), str)
    assert isinstance(encode_server_message(ServerMessage()), bytes)


def test_snake_case_keys_decode() -> None:
    message = dec(
        {
            "server_content": {
                "model_turn": {"parts": [{"inline_data": {"mime_type": "a", "data": "AAEC"}}]},
                "turn_complete": True,
                "turn_complete_reason": "NEED_MORE_INPUT",
            },
            "usage_metadata": {"prompt_token_count": 3},
            "session_resumption_update": {"new_handle": "h", "resumable": True},
        }
    )
    assert message.server_content is not None
    assert message.server_content.turn_complete is True
    assert message.data == b"\x00\x01\x02"
    assert message.usage_metadata == UsageMetadata(prompt_token_count=3)
    assert message.session_resumption_update is not None
    assert message.session_resumption_update.new_handle == "h"
    # ... and are written back in lowerCamelCase.
    assert set(enc(message)) == {"serverContent", "usageMetadata", "sessionResumptionUpdate"}


def test_snake_case_client_keys_decode() -> None:
    frame = {
        "tool_response": {
            "function_responses": [
                {"id": "1", "name": "f", "response": {"a_b": 1}, "will_continue": True}
            ]
        }
    }
    message = decode_client_message(json.dumps(frame))
    assert message == ToolResponse(
        function_responses=(
            FunctionResponse(id="1", name="f", response={"a_b": 1}, will_continue=True),
        )
    )
    # Keys inside the free-form ``response`` keep their spelling.
    out = json.loads(encode_client_message(message))
    assert out == {
        "toolResponse": {
            "functionResponses": [
                {"id": "1", "name": "f", "response": {"a_b": 1}, "willContinue": True}
            ]
        }
    }


def test_client_message_golden_audio() -> None:
    message = RealtimeInput(audio=Blob(mime_type="audio/pcm;rate=16000", data=b"\xfb\xff\xfe"))
    assert (
        encode_client_message(message)
        == '{"realtimeInput":{"audio":{"mimeType":"audio/pcm;rate=16000","data":"+//+"}}}'
    )


def test_empty_activity_markers_encode_as_empty_objects() -> None:
    assert json.loads(encode_client_message(RealtimeInput(activity_end=ActivityEnd()))) == {
        "realtimeInput": {"activityEnd": {}}
    }


# ---------------------------------------------------------------------- base64


@pytest.mark.parametrize(
    "encoder",
    [
        base64.b64encode,
        base64.urlsafe_b64encode,
        lambda b: base64.b64encode(b).rstrip(b"="),
        lambda b: base64.urlsafe_b64encode(b).rstrip(b"="),
    ],
    ids=["standard", "urlsafe", "standard-unpadded", "urlsafe-unpadded"],
)
@pytest.mark.parametrize("length", [0, 1, 2, 3, 4, 5, len(PCM)])
def test_base64_alphabets_and_padding(encoder: Any, length: int) -> None:
    data = PCM[:length]
    message = dec(
        {
            "serverContent": {
                "modelTurn": {"parts": [{"inlineData": {"data": encoder(data).decode()}}]}
            }
        }
    )
    assert message.data == data or (length == 0 and message.data == b"")
    # We always write the standard alphabet, padded.
    part = enc(message)["serverContent"]["modelTurn"]["parts"][0]
    assert part["inlineData"]["data"] == base64.b64encode(data).decode()


def test_thought_signature_is_bytes() -> None:
    sig = base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode()
    message = dec({"serverContent": {"modelTurn": {"parts": [{"thoughtSignature": sig}]}}})
    assert message.server_content is not None and message.server_content.model_turn is not None
    assert message.server_content.model_turn.parts is not None
    assert message.server_content.model_turn.parts[0].thought_signature == b"\xff\xfe\xfd"


@pytest.mark.parametrize("bad", ["!!!!", "A", "AAAAA", "QQ=A", "é===", "AA AA", 5, True, [], {}])
def test_bad_base64_names_the_field(bad: Any) -> None:
    error = server_error(
        {"serverContent": {"modelTurn": {"parts": [{"inlineData": {"data": bad}}]}}}
    )
    assert error.field == "serverContent.modelTurn.parts[0].inlineData.data"


def test_bad_base64_in_client_message_names_the_field() -> None:
    error = client_error({"realtime_input": {"audio": {"data": "***"}}})
    assert error.field == "realtimeInput.audio.data"


# ---------------------------------------------------------------------- int64


@pytest.mark.parametrize("value", ["123456789", 123456789, 123456789.0])
def test_int64_as_string_or_number(value: Any) -> None:
    message = dec({"sessionResumptionUpdate": {"lastConsumedClientMessageIndex": value}})
    update = message.session_resumption_update
    assert update is not None and update.last_consumed_client_message_index == 123456789
    # int64 is written as a JSON string (proto3 JSON mapping).
    assert enc(message) == {
        "sessionResumptionUpdate": {"lastConsumedClientMessageIndex": "123456789"}
    }


def test_int64_extremes() -> None:
    for value in (2**63 - 1, -(2**63)):
        message = dec({"sessionResumptionUpdate": {"lastConsumedClientMessageIndex": str(value)}})
        assert message.session_resumption_update is not None
        assert message.session_resumption_update.last_consumed_client_message_index == value


def test_int32_accepts_decimal_strings() -> None:
    message = dec({"usageMetadata": {"promptTokenCount": "12", "totalTokenCount": 13}})
    assert message.usage_metadata == UsageMetadata(prompt_token_count=12, total_token_count=13)


@pytest.mark.parametrize(
    "bad", [1.5, "1.5", "12a", "", " 1", True, [1], {}, "9" * 30, "9" * 5000, 1e30, -1e30]
)
def test_bad_integers_name_the_field(bad: Any) -> None:
    error = server_error({"usageMetadata": {"promptTokenCount": bad}})
    assert error.field == "usageMetadata.promptTokenCount"


# ------------------------------------------------------------------ durations


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10s", datetime.timedelta(seconds=10)),
        ("0s", datetime.timedelta(0)),
        ("0.120s", datetime.timedelta(milliseconds=120)),
        ("1.480s", datetime.timedelta(seconds=1, milliseconds=480)),
        ("1.5s", datetime.timedelta(seconds=1.5)),
        ("0.000001s", datetime.timedelta(microseconds=1)),
        ("1.000000001s", datetime.timedelta(seconds=1)),  # ns truncated to µs
        ("1.999999999s", datetime.timedelta(seconds=1, microseconds=999999)),
        ("-1.5s", -datetime.timedelta(seconds=1.5)),
        ("-0.000001s", -datetime.timedelta(microseconds=1)),
        ("315576000000s", datetime.timedelta(seconds=315576000000)),  # proto max
    ],
)
def test_parse_duration(text: str, expected: datetime.timedelta) -> None:
    assert parse_duration(text) == expected
    message = dec({"goAway": {"timeLeft": text}})
    assert message.go_away == GoAway(time_left=expected)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (datetime.timedelta(seconds=10), "10s"),
        (datetime.timedelta(0), "0s"),
        (datetime.timedelta(milliseconds=120), "0.120s"),
        (datetime.timedelta(microseconds=1), "0.000001s"),
        (-datetime.timedelta(seconds=1.5), "-1.500s"),
        (-datetime.timedelta(microseconds=1), "-0.000001s"),
        (datetime.timedelta(days=2, seconds=1), "172801s"),
    ],
)
def test_format_duration(delta: datetime.timedelta, text: str) -> None:
    assert format_duration(delta) == text
    assert enc(ServerMessage(go_away=GoAway(time_left=delta))) == {"goAway": {"timeLeft": text}}


@pytest.mark.parametrize(("number", "seconds"), [(10, 10), (0.12, 0.12), (-2, -2)])
def test_duration_accepts_numbers_as_seconds(number: float, seconds: float) -> None:
    message = dec({"goAway": {"timeLeft": number}})
    assert message.go_away == GoAway(time_left=datetime.timedelta(seconds=seconds))


@pytest.mark.parametrize(
    "bad",
    [
        *["10", "s", "1.5m", "abc", "1.s", ".5s", "1.0000000001s", "+1s", "\u0661s"],
        *[True, [], {}, 1e300, "9" * 30 + "s", "9" * 5000 + "s"],
    ],
)
def test_bad_durations_name_the_field(bad: Any) -> None:
    error = server_error({"goAway": {"timeLeft": bad}})
    assert error.field == "goAway.timeLeft"
    error = server_error({"voiceActivity": {"audioOffset": bad}})
    assert error.field == "voiceActivity.audioOffset"


def test_parse_duration_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        parse_duration("ten seconds")


# ------------------------------------------------------------------------ enums


def test_known_enum_is_the_member() -> None:
    message = dec({"serverContent": {"turnCompleteReason": "NEED_MORE_INPUT"}})
    assert message.server_content is not None
    reason = message.server_content.turn_complete_reason
    assert reason is TurnCompleteReason.NEED_MORE_INPUT
    assert isinstance(reason, TurnCompleteReason) and reason.is_known


def test_unknown_enum_value_is_kept() -> None:
    message = dec({"serverContent": {"turnCompleteReason": "SOMETHING_NEW"}})
    assert message.server_content is not None
    reason = message.server_content.turn_complete_reason
    assert isinstance(reason, TurnCompleteReason)
    assert reason.is_known is False
    assert reason == "SOMETHING_NEW"
    assert enc(message) == {"serverContent": {"turnCompleteReason": "SOMETHING_NEW"}}


def test_unknown_enum_in_a_list_and_in_client_messages() -> None:
    frame = {"setup": {"generationConfig": {"responseModalities": ["AUDIO", "HOLOGRAM"]}}}
    setup = decode_client_message(json.dumps(frame))
    assert isinstance(setup, Setup) and setup.generation_config is not None
    modalities = setup.generation_config.response_modalities
    assert modalities is not None
    assert modalities[0] is Modality.AUDIO
    assert isinstance(modalities[1], Modality) and not modalities[1].is_known
    assert json.loads(encode_client_message(setup)) == frame


def test_unknown_scheduling_enum_in_tool_response() -> None:
    frame = {"toolResponse": {"functionResponses": [{"id": "1", "scheduling": "LATER"}]}}
    message = decode_client_message(json.dumps(frame))
    assert isinstance(message, ToolResponse) and message.function_responses is not None
    scheduling = message.function_responses[0].scheduling
    assert isinstance(scheduling, FunctionResponseScheduling) and not scheduling.is_known
    assert json.loads(encode_client_message(message)) == frame


@pytest.mark.parametrize("bad", [3, True, [], {}])
def test_enum_of_wrong_type_names_the_field(bad: Any) -> None:
    error = server_error({"serverContent": {"turnCompleteReason": bad}})
    assert error.field == "serverContent.turnCompleteReason"


# ----------------------------------------------------------------- unknown keys


def test_unknown_fields_are_kept_and_re_emitted() -> None:
    frame = {
        "futureTop": {"a": [1, 2]},
        "serverContent": {
            "futureNested": None,
            "modelTurn": {"parts": [{"text": "hi", "futurePart": 1}], "futureContent": "x"},
        },
        "toolCall": {"functionCalls": [{"id": "c", "futureCall": True}]},
    }
    message = dec(frame)
    assert message.extra == {"futureTop": {"a": [1, 2]}}
    assert message.server_content is not None
    assert message.server_content.extra == {"futureNested": None}
    assert message.server_content.model_turn is not None
    assert message.server_content.model_turn.extra == {"futureContent": "x"}
    assert message.server_content.model_turn.parts is not None
    assert message.server_content.model_turn.parts[0].extra == {"futurePart": 1}
    assert enc(message) == frame


def test_unknown_top_level_only() -> None:
    message = dec({"somethingElse": {}})
    assert message == ServerMessage(extra={"somethingElse": {}})
    assert enc(message) == {"somethingElse": {}}


def test_unknown_fields_in_client_messages_are_kept() -> None:
    frame = {"clientContent": {"turns": [], "turnComplete": True, "futureFlag": 1}}
    message = decode_client_message(json.dumps(frame))
    assert message.extra == {"futureFlag": 1}
    assert json.loads(encode_client_message(message)) == frame


# ------------------------------------------------------------- special names


def test_vertex_candidates_names_map_to_response() -> None:
    message = dec(
        {
            "usageMetadata": {
                "candidatesTokenCount": 45,
                "candidatesTokensDetails": [{"modality": "AUDIO", "tokenCount": 45}],
                "trafficType": "ON_DEMAND",
            }
        }
    )
    usage = message.usage_metadata
    assert usage is not None
    assert usage.response_token_count == 45
    assert usage.response_tokens_details is not None
    assert usage.response_tokens_details[0].token_count == 45
    assert usage.traffic_type == "ON_DEMAND"
    assert usage.extra is None
    assert enc(message) == {
        "usageMetadata": {
            "responseTokenCount": 45,
            "responseTokensDetails": [{"modality": "AUDIO", "tokenCount": 45}],
            "trafficType": "ON_DEMAND",
        }
    }
    snake = dec({"usageMetadata": {"candidates_token_count": 7}})
    assert snake.usage_metadata == UsageMetadata(response_token_count=7)


def test_voice_activity_type_name() -> None:
    message = dec({"voiceActivity": {"type": "ACTIVITY_START", "audioOffset": "0.120s"}})
    assert message.voice_activity == VoiceActivity(
        voice_activity_type=VoiceActivityType.ACTIVITY_START,
        audio_offset=datetime.timedelta(milliseconds=120),
    )
    assert enc(message) == {"voiceActivity": {"type": "ACTIVITY_START", "audioOffset": "0.120s"}}
    # The SDK's python name is accepted too.
    snake = dec({"voice_activity": {"voice_activity_type": "ACTIVITY_END"}})
    assert snake.voice_activity == VoiceActivity(voice_activity_type=VoiceActivityType.ACTIVITY_END)


# ------------------------------------------------------- message-level shapes


def test_several_top_level_fields_in_one_message() -> None:
    frame = {
        "serverContent": {"turnComplete": True},
        "usageMetadata": {"totalTokenCount": 10},
        "sessionResumptionUpdate": {"newHandle": "h", "resumable": True},
        "goAway": {"timeLeft": "1s"},
    }
    message = dec(frame)
    assert message.server_content == ServerContent(turn_complete=True)
    assert message.usage_metadata == UsageMetadata(total_token_count=10)
    assert message.go_away == GoAway(time_left=datetime.timedelta(seconds=1))
    assert message.session_resumption_update is not None
    assert enc(message) == frame


def test_empty_server_content_is_ok() -> None:
    message = dec({"serverContent": {}, "usageMetadata": {"totalTokenCount": 1}})
    assert message.server_content == ServerContent()
    assert enc(message) == {"serverContent": {}, "usageMetadata": {"totalTokenCount": 1}}


def test_empty_object_is_an_empty_message() -> None:
    assert decode_server_message(b"{}") == ServerMessage()
    assert encode_server_message(ServerMessage()) == b"{}"


def test_setup_complete() -> None:
    message = dec({"setupComplete": {}})
    assert message.setup_complete is not None
    assert enc(message) == {"setupComplete": {}}


def test_null_is_absent() -> None:
    message = dec(
        {
            "serverContent": {"modelTurn": None, "turnComplete": None, "interrupted": True},
            "usageMetadata": None,
            "toolCall": {"functionCalls": None},
        }
    )
    assert message.server_content == ServerContent(interrupted=True)
    assert message.usage_metadata is None
    assert message.tool_call is not None and message.tool_call.function_calls is None
    assert enc(message) == {"serverContent": {"interrupted": True}, "toolCall": {}}


def test_null_inside_free_form_json_is_kept() -> None:
    frame = {"toolCall": {"functionCalls": [{"id": "1", "args": {"x": None, "y": [None]}}]}}
    assert enc(dec(frame)) == frame


def test_none_fields_are_not_written() -> None:
    message = ClientContent(turns=(Content(role="user", parts=(Part(text="a"),)),))
    assert json.loads(encode_client_message(message)) == {
        "clientContent": {"turns": [{"parts": [{"text": "a"}], "role": "user"}]}
    }


def test_sequences_decode_as_tuples() -> None:
    message = dec({"toolCallCancellation": {"ids": ["a", "b"]}})
    assert message.tool_call_cancellation is not None
    assert message.tool_call_cancellation.ids == ("a", "b")


def test_context_update_shape() -> None:
    frame = {
        "contextUpdate": {
            "systemInstruction": {"parts": [{"text": "Now be verbose."}], "role": "user"},
            "tools": {"tools": []},
        }
    }
    message = decode_client_message(json.dumps(frame))
    assert isinstance(message, ContextUpdate)
    assert message.tools is not None and message.tools.tools == ()
    assert json.loads(encode_client_message(message)) == frame


# ------------------------------------------------------------------- helpers


def test_text_helper() -> None:
    message = dec(
        {
            "serverContent": {
                "modelTurn": {
                    "parts": [
                        {"text": "thinking...", "thought": True},
                        {"text": "Hello, "},
                        {"inlineData": {"data": "AAE="}},
                        {"text": "world"},
                    ]
                }
            }
        }
    )
    assert message.text == "Hello, world"
    assert message.data == b"\x00\x01"


def test_data_helper_concatenates_parts() -> None:
    parts = [{"inlineData": {"mimeType": "audio/pcm", "data": "AAE="}}, {"inlineData": {}}]
    parts.append({"inlineData": {"data": "AgM="}})
    message = dec({"serverContent": {"modelTurn": {"parts": parts}}})
    assert message.data == b"\x00\x01\x02\x03"
    assert message.text is None


@pytest.mark.parametrize(
    "frame",
    [
        {},
        {"serverContent": {}},
        {"serverContent": {"modelTurn": {}}},
        {"serverContent": {"modelTurn": {"parts": []}}},
        {"serverContent": {"modelTurn": {"parts": [{"text": "t", "thought": True}]}}},
        {"toolCall": {"functionCalls": []}},
    ],
)
def test_helpers_none_without_content(frame: Any) -> None:
    message = dec(frame)
    assert message.text is None
    assert message.data is None


def test_empty_text_part_counts_as_text() -> None:
    message = dec({"serverContent": {"modelTurn": {"parts": [{"text": ""}]}}})
    assert message.text == ""


# -------------------------------------------------------------------- errors


def test_remote_protocol_error_is_a_live_error() -> None:
    assert issubclass(RemoteProtocolError, LiveError)


@pytest.mark.parametrize(
    "frame",
    [
        "",
        "not json",
        "{",
        '{"a": 1',
        "{'a': 1}",
        '{"a": NaN}',
        "1e400",
        b"\xff\xfe{}",
        b'{"a": "\xff"}',
    ],
)
def test_not_json_or_not_utf8(frame: Any) -> None:
    for error in (server_error(frame), client_error(frame)):
        assert error.field is None


@pytest.mark.parametrize("frame", ["[]", "[{}]", "1", "1.5", '"text"', "null", "true"])
def test_top_level_must_be_an_object(frame: str) -> None:
    assert "not a JSON object" in str(server_error(frame))
    assert "not a JSON object" in str(client_error(frame))


@pytest.mark.parametrize("frame", [None, 1, object(), ["{}"]])
def test_frame_of_wrong_python_type(frame: Any) -> None:
    with pytest.raises(RemoteProtocolError):
        decode_server_message(frame)
    with pytest.raises(RemoteProtocolError):
        decode_client_message(frame)


@pytest.mark.parametrize(
    ("frame", "field"),
    [
        ({"serverContent": {"turnComplete": "yes"}}, "serverContent.turnComplete"),
        ({"serverContent": {"turnComplete": 1}}, "serverContent.turnComplete"),
        ({"serverContent": []}, "serverContent"),
        ({"serverContent": "x"}, "serverContent"),
        ({"toolCall": {"functionCalls": {}}}, "toolCall.functionCalls"),
        ({"toolCall": {"functionCalls": [{"args": []}]}}, "toolCall.functionCalls[0].args"),
        ({"toolCall": {"functionCalls": [{}, {"id": 5}]}}, "toolCall.functionCalls[1].id"),
        ({"toolCall": {"functionCalls": [None]}}, "toolCall.functionCalls[0]"),
        ({"toolCallCancellation": {"ids": ["a", 1]}}, "toolCallCancellation.ids[1]"),
        ({"goAway": {"timeLeft": "soon"}}, "goAway.timeLeft"),
        ({"goAway": 10}, "goAway"),
        ({"serverContent": {"modelTurn": {"parts": {}}}}, "serverContent.modelTurn.parts"),
        (
            {"serverContent": {"modelTurn": {"parts": [{"text": 1}]}}},
            "serverContent.modelTurn.parts[0].text",
        ),
        (
            {"serverContent": {"modelTurn": {"parts": [{"inlineData": {"data": "@@"}}]}}},
            "serverContent.modelTurn.parts[0].inlineData.data",
        ),
        (
            {"usageMetadata": {"promptTokensDetails": [{"tokenCount": "x"}]}},
            "usageMetadata.promptTokensDetails[0].tokenCount",
        ),
        ({"sessionResumptionUpdate": {"resumable": "true"}}, "sessionResumptionUpdate.resumable"),
        (
            {"sessionResumptionUpdate": {"lastConsumedClientMessageIndex": "1e3"}},
            "sessionResumptionUpdate.lastConsumedClientMessageIndex",
        ),
        ({"voiceActivity": {"type": 1}}, "voiceActivity.type"),
        ({"server_content": {"turn_complete": "yes"}}, "server_content.turn_complete"),
        (
            {"serverContent": {"inputTranscription": {"finished": "no"}}},
            "serverContent.inputTranscription.finished",
        ),
        (
            {"serverContent": {"groundingMetadata": {"webSearchQueries": "q"}}},
            "serverContent.groundingMetadata.webSearchQueries",
        ),
    ],
)
def test_wrong_type_names_the_path(frame: Any, field: str) -> None:
    error = server_error(frame)
    assert error.field == field
    assert field in str(error)


@pytest.mark.parametrize(
    ("frame", "field"),
    [
        ({"clientContent": {"turns": 5}}, "clientContent.turns"),
        (
            {"client_content": {"turns": [{"parts": [{"text": 1}]}]}},
            "clientContent.turns[0].parts[0].text",
        ),
        (
            {"setup": {"generationConfig": {"temperature": "hot"}}},
            "setup.generationConfig.temperature",
        ),
        ({"setup": None}, "setup"),
        ({"setup": []}, "setup"),
        ({"realtimeInput": {"audioStreamEnd": "yes"}}, "realtimeInput.audioStreamEnd"),
        (
            {"toolResponse": {"functionResponses": [{"response": "ok"}]}},
            "toolResponse.functionResponses[0].response",
        ),
    ],
)
def test_client_wrong_type_names_the_path(frame: Any, field: str) -> None:
    assert client_error(frame).field == field


@pytest.mark.parametrize(
    "frame",
    [
        {},
        {"setup": {}, "clientContent": {}},
        {"realtimeInput": {}, "realtime_input": {}},
        {"somethingElse": {}},
        {"serverContent": {}},
    ],
)
def test_client_message_needs_exactly_one_known_key(frame: Any) -> None:
    assert "exactly one" in str(client_error(frame))


def test_errors_do_not_leak_non_remote_exceptions_for_non_ascii_base64() -> None:
    """Regression: a non-ASCII base64 string raised ValueError from binascii."""
    error = server_error(
        {"serverContent": {"modelTurn": {"parts": [{"inlineData": {"data": "é"}}]}}}
    )
    assert error.field == "serverContent.modelTurn.parts[0].inlineData.data"


def test_round_trip_of_a_hand_built_message() -> None:
    message = ServerMessage(
        server_content=ServerContent(
            model_turn=Content(
                role="model",
                parts=(Part(inline_data=Blob(mime_type="audio/pcm;rate=24000", data=PCM)),),
            ),
            turn_complete_reason=TurnCompleteReason("BRAND_NEW"),
        ),
        usage_metadata=UsageMetadata(total_token_count=1),
        extra={"zz": [1]},
    )
    assert decode_server_message(encode_server_message(message)) == message
