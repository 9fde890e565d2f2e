"""The per-session ledger of client messages: the evidence for "nothing lost, nothing twice".

Every client message the server decodes is appended to its session's ledger, in
arrival order, as a :class:`LedgerEntry`.  ``index`` is the message's position on its
connection (``setup`` is 0 on every connection, as ``lastConsumedClientMessageIndex``
counts), ``connection`` the 1-based number of the connection *within the session*.

"Received" is everything that arrived.  "Consumed" (``Session.consumed``) is the
subset whose effect is part of the session's *current* state: when a client resumes
from an older handle the service forgets what it consumed after issuing that handle,
and so does the fake — those entries stay in ``received`` but drop out of
``consumed``.  A lossless client therefore shows every control message exactly once
in ``Session.consumed``.
"""

from __future__ import annotations

from typing import Any, Final

import attrs
import orjson

from ._setup import INVALID_ARGUMENT, Reject
from ._wire import camel_key, camelize

__all__ = ["CONTROL_KINDS", "LedgerEntry", "classify", "decode_client_message", "ledger_form"]

#: The top-level fields of a client message (exactly one per message).
CLIENT_FIELDS: Final = frozenset(
    {"setup", "clientContent", "realtimeInput", "toolResponse", "contextUpdate"}
)
#: The fields of ``realtimeInput`` in the order the server looks at them.
REALTIME_FIELDS: Final = (
    "mediaChunks",
    "audio",
    "video",
    "activityStart",
    "text",
    "activityEnd",
    "audioStreamEnd",
)
_MEDIA: Final = ("realtimeInput.audio", "realtimeInput.video", "realtimeInput.mediaChunks")

CONTROL_KINDS: Final = frozenset(
    {
        "clientContent",
        "realtimeInput.text",
        "realtimeInput.activityStart",
        "realtimeInput.activityEnd",
        "realtimeInput.audioStreamEnd",
        "toolResponse",
        "contextUpdate",
    }
)


@attrs.frozen
class LedgerEntry:
    """One decoded client message (camelCase keys) and where it arrived.

    ``kind`` is ``"setup"``, ``"clientContent"``, ``"toolResponse"``,
    ``"contextUpdate"`` or ``"realtimeInput.<field>"`` (``audio``, ``video``,
    ``text``, ``activityStart``, ``activityEnd``, ``audioStreamEnd``, ``mediaChunks``).
    ``text`` is the user text carried (clientContent texts joined by newlines,
    realtimeInput.text), ``call_ids`` the ids answered by a toolResponse.
    ``time`` is the server loop clock at arrival.
    """

    session_id: str | None
    connection: int
    server_connection: int
    index: int
    kind: str
    message: dict[str, Any] = attrs.field(repr=False)
    time: float
    text: str | None = None
    call_ids: tuple[str, ...] = ()
    #: Why the message had no effect (None: it took effect).  A ``toolResponse``
    #: for calls issued after the handle a session resumed from is ignored.
    ignored: str | None = None

    @classmethod
    def of(
        cls,
        key: str,
        body: dict[str, Any],
        *,
        where: tuple[str | None, int, int, int],
        time: float,
        keep_media: bool,
    ) -> LedgerEntry:
        """The entry of a decoded message; ``where`` = (session id, connection in the
        session, server connection, index on the connection)."""
        kind, text, call_ids = classify(key, body)
        session_id, connection, server_connection, index = where
        return cls(
            session_id=session_id,
            connection=connection,
            server_connection=server_connection,
            index=index,
            kind=kind,
            message={key: ledger_form(kind, body, keep_media=keep_media)},
            time=time,
            text=text,
            call_ids=call_ids,
        )

    @property
    def is_control(self) -> bool:
        """True for messages a lossless client must deliver exactly once (not media)."""
        return self.kind in CONTROL_KINDS


def decode_client_message(payload: bytes | str) -> tuple[str, dict[str, Any]]:
    """``(field, camelCased body)`` of one client frame; anything else is a 1007.

    JSON, an object with exactly one known top-level field whose value is an object;
    snake_case keys are accepted (proto3 JSON parsers accept both spellings).
    """
    try:
        obj = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise Reject(1007, INVALID_ARGUMENT) from None
    if not isinstance(obj, dict) or len(obj) != 1:
        raise Reject(1007, INVALID_ARGUMENT)
    ((raw_key, raw_body),) = obj.items()
    key = camel_key(raw_key) if isinstance(raw_key, str) else ""
    if key not in CLIENT_FIELDS or not isinstance(raw_body, dict):
        raise Reject(1007, INVALID_ARGUMENT)
    return key, camelize(raw_body)


def classify(key: str, body: dict[str, Any]) -> tuple[str, str | None, tuple[str, ...]]:
    """``(kind, text, call_ids)`` of a decoded client message (see :class:`LedgerEntry`)."""
    if key == "realtimeInput":
        for field in REALTIME_FIELDS:
            if field in body:
                if field == "text":
                    value = body["text"]
                    return "realtimeInput.text", value if isinstance(value, str) else None, ()
                return f"realtimeInput.{field}", None, ()
        return "realtimeInput", None, ()
    if key == "clientContent":
        texts: list[str] = []
        turns = body.get("turns")
        if isinstance(turns, list):
            for turn in turns:
                if isinstance(turn, dict):
                    for part in turn.get("parts") or []:
                        if isinstance(part, dict) and isinstance(part.get("text"), str):
                            texts.append(part["text"])
        return "clientContent", "\n".join(texts), ()
    if key == "toolResponse":
        ids: list[str] = []
        frs = body.get("functionResponses")
        if isinstance(frs, list):
            ids = [fr["id"] for fr in frs if isinstance(fr, dict) and isinstance(fr.get("id"), str)]
        return "toolResponse", None, tuple(ids)
    return key, None, ()


def ledger_form(kind: str, body: dict[str, Any], *, keep_media: bool) -> dict[str, Any]:
    """The body as the ledger keeps it: media payloads replaced by their size.

    Why: a long chaos run sends hours of audio; the ledger must stay small unless a
    test asks for the bytes (``ledger_media=True``).
    """
    if keep_media or not kind.startswith(_MEDIA):
        return body
    out = dict(body)
    for field in ("audio", "video"):
        if field in out:
            out[field] = _strip_blob(out[field])
    if isinstance(out.get("mediaChunks"), list):
        out["mediaChunks"] = [_strip_blob(b) for b in out["mediaChunks"]]
    return out


def _strip_blob(blob: Any) -> Any:
    if not isinstance(blob, dict) or not isinstance(blob.get("data"), str):
        return blob
    out = {k: v for k, v in blob.items() if k != "data"}
    out["byteCount"] = len(blob["data"].rstrip("=")) * 3 // 4
    return out
