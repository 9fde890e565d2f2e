"""Local protocol mistakes, refused before anything is sent (core rule 11).

The server would close the connection for each of these (most with 1007), so the
session refuses them with :class:`LocalProtocolError` and stays as it was: a bug
in the app's code gets an error that says what to change, not a reconnect.
"""

from __future__ import annotations

from collections.abc import Mapping

from .._errors import LocalProtocolError
from ._capabilities import ModelCapabilities
from ._ledger import Ledger
from ._messages import (
    ClientContent,
    ClientMessage,
    FunctionCall,
    RealtimeInput,
    Setup,
    ToolResponse,
)

__all__ = ["check_message"]


def check_message(
    message: ClientMessage,
    *,
    gemini_api: bool,
    manual_activity: bool,
    capabilities: ModelCapabilities,
    seed_phase: bool,
    ledger: Ledger,
    pending: Mapping[str, FunctionCall],
) -> bool:
    """Raise for a message the protocol forbids now; return whether a history seed
    phase (``initialHistoryInClientContent``) is still open after it."""
    if not isinstance(message, ClientContent):
        seed_phase = False
    elif not capabilities.mid_session_client_content and not seed_phase:
        raise LocalProtocolError(
            "this model refuses clientContent mid-session (the server closes with 1007):"
            " send text with send_text() / send_realtime_input(text=...), or seed history"
            " first with LiveConfig(history_config={'initial_history_in_client_content':"
            " True}) before any realtime input"
        )
    elif message.turn_complete is not False:
        seed_phase = False
    if isinstance(message, RealtimeInput):
        fields = (
            (message.audio is not None)
            + (message.video is not None)
            + (message.text is not None)
            + (message.activity_start is not None)
            + (message.activity_end is not None)
            + (message.audio_stream_end is not None)
            + (message.media_chunks is not None)
        )
        if fields != 1:
            raise LocalProtocolError(
                "realtimeInput takes exactly one of audio, video, text, activity_start,"
                f" activity_end, audio_stream_end or media_chunks per message; got {fields}"
            )
        if not manual_activity and (
            message.activity_start is not None or message.activity_end is not None
        ):
            raise LocalProtocolError(
                "activity_start/activity_end mark speech only when automatic activity"
                " detection is off: set realtime_input_config={'automatic_activity_detection':"
                " {'disabled': True}} (the server closes with 1007 otherwise)"
            )
    elif isinstance(message, ToolResponse):
        responses = message.function_responses or ()
        if not responses:
            raise LocalProtocolError("a tool response needs at least one function response")
        for response in responses:
            if gemini_api and not response.id:
                raise LocalProtocolError(
                    "the Gemini API needs the id of the function call in every function"
                    f" response (response for {response.name!r} has none)"
                )
            if response.id and not ledger.call_issued(response.id):
                raise LocalProtocolError(
                    f"no function call {response.id!r} was issued in this session"
                )
            if (
                response.id
                and not response.will_continue
                and ledger.tool_response_answered(response.id)
                and response.id not in pending
            ):
                raise LocalProtocolError(f"function call {response.id!r} was already answered")
    elif isinstance(message, Setup):
        raise LocalProtocolError("setup is sent by the session itself, once per connection")
    return seed_phase
