"""The README's promise on malformed frames: kept or skipped, never fatal.

Each test quotes (in its docstring) the claim it checks and uses only the public
API; each assertion would fail if the quoted claim were false.
"""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

import live_actor
from live_actor import types, wire
from live_actor.testing import FakeLiveServer

from ..helpers import API_KEY, eventually, text_config

pytestmark = pytest.mark.anyio


async def test_malformed_frames_are_reported_and_skipped(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README "Malformed frames": not JSON or a wrong type in a known field is reported to
    on_error and the ``live_actor.session.malformed_frame`` log event, then skipped;
    RemoteProtocolError ``.field`` names the JSON path."""
    errors: list[BaseException] = []
    with capture_logs() as logs:
        async with live_actor.open_session(
            text_config(), api_key=API_KEY, base_url=server.url, on_error=errors.append
        ) as session:
            conn = await server.wait_for_connection()
            conn.send_raw(b"this is not json")
            conn.send_json({"serverContent": {"turnComplete": "not a bool"}})
            await eventually(lambda: len(errors) >= 2)
            await session.send_client_content("still alive")
            turn = await session.receive_turn()
    assert turn.text == 'You said: "still alive".'
    assert all(isinstance(e, live_actor.RemoteProtocolError) for e in errors)
    assert errors[1].field == "serverContent.turnComplete"
    malformed = [e for e in logs if e["event"] == "live_actor.session.malformed_frame"]
    assert len(malformed) == 2
    assert len(server.connections) == 1


async def test_unknown_fields_and_enum_values_are_kept(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: "an unknown field or enum value from the server is kept (.extra, open enums
    with .is_known), never an error"."""
    errors: list[BaseException] = []
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url, on_error=errors.append
    ) as session:
        conn = await server.wait_for_connection()
        conn.send_json(
            {
                "serverContent": {"turnComplete": True, "turnCompleteReason": "BRAND_NEW"},
                "somethingNew": {"a": 1},
            }
        )
        turn = await session.receive_turn()
    message = turn.messages[-1]
    assert message.extra == {"somethingNew": {"a": 1}}
    reason = message.server_content.turn_complete_reason
    assert reason == "BRAND_NEW" and reason.is_known is False
    assert types.TurnCompleteReason("BRAND_NEW").is_known is False
    assert errors == []


def test_decode_server_message_names_the_field() -> None:
    """decode_server_message docstring: raises RemoteProtocolError naming the field;
    unknown keys kept."""
    with pytest.raises(live_actor.RemoteProtocolError) as info:
        wire.decode_server_message(b'{"serverContent": {"turnComplete": 3}}')
    assert info.value.field == "serverContent.turnComplete"
    with pytest.raises(live_actor.RemoteProtocolError):
        wire.decode_server_message(b"\xff not json")
    message = wire.decode_server_message('{"setupComplete": {}, "zzz": 1}')
    assert message.setup_complete is not None and message.extra == {"zzz": 1}
    again = wire.decode_server_message(wire.encode_server_message(message))
    assert again == message
    client = wire.decode_client_message('{"client_content": {"turn_complete": true}}')
    assert wire.encode_client_message(client) == '{"clientContent":{"turnComplete":true}}'
