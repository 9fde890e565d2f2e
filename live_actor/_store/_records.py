"""How a session's record is encoded: config, state, transcript and frames as JSON bytes.

Split so that each write carries only what changed: the config once (at
creation), the small state at every write, the transcript only when a turn
was committed to it, each ledger entry's frame once (when it is accepted; a
later write only drops it).  ``"v"`` numbers the format.

Rule: data only.  The config keeps every ``LiveConfig`` field but the
``resume_handle`` (the stored handle is in the state); credentials, tools'
code and callbacks are never part of a record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import attrs
import orjson

from .._config import LiveConfig
from .._errors import ConfigError
from .._protocol._codec import decode_client_message, wire_converter
from .._protocol._ledger import is_media, triggers_turn
from .._protocol._snapshot import CoreSnapshot, EntryRecord
from .._protocol._usage import Usage
from ._api import StoreError

__all__ = ["decode_config", "decode_snapshot", "encode_config", "encode_state", "encode_transcript"]

VERSION: Final = 1
_ENTRY_FIELDS: Final = tuple(f.name for f in attrs.fields(EntryRecord) if f.name != "frame")


def encode_config(config: LiveConfig) -> bytes:
    fields: dict[str, Any] = {}
    for field in attrs.fields(LiveConfig):
        if field.name == "resume_handle":
            continue
        value = getattr(config, field.name)
        fields[field.name] = wire_converter.unstructure(value) if value is not None else None
    fields["extra_headers"] = dict(config.extra_headers)
    return orjson.dumps({"v": VERSION, "config": fields})


def decode_config(data: bytes) -> LiveConfig:
    try:
        return LiveConfig(**_load(data)["config"])
    except (TypeError, ConfigError) as exc:
        raise StoreError(f"a stored config cannot be read by this version: {exc}") from None


def _load(data: bytes) -> dict[str, Any]:
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise StoreError("a stored session record is not valid JSON") from None
    if not isinstance(obj, dict) or obj.get("v") != VERSION:
        raise StoreError("a stored session record has an unknown format version")
    return obj


def encode_state(snapshot: CoreSnapshot) -> bytes:
    """Everything but the transcript and the entries' frames (the frames go apart)."""
    entries = [[getattr(record, name) for name in _ENTRY_FIELDS] for record in snapshot.entries]
    return orjson.dumps(
        {
            "v": VERSION,
            "handle": snapshot.resumption_handle,
            "safe_handle": snapshot.safe_handle,
            "handle_number": snapshot.handle_number,
            "connection_number": snapshot.connection_number,
            "seq": snapshot.seq,
            "entries": entries,
            "started": {str(k): v for k, v in snapshot.started.items()},
            "triggers": {str(k): v for k, v in snapshot.triggers.items()},
            "call_epochs": dict(snapshot.call_epochs),
            "usage": attrs.asdict(snapshot.usage),
            "consent": snapshot.voice_consent_signature,
            "seed_phase": snapshot.seed_phase,
            "cut": [
                snapshot.cut,
                snapshot.cut_trigger,
                snapshot.cut_question,
                snapshot.cut_prompted,
            ],
        }
    )


def encode_transcript(snapshot: CoreSnapshot) -> bytes:
    return orjson.dumps({"v": VERSION, "turns": [list(turn) for turn in snapshot.transcript]})


def decode_snapshot(
    state: bytes, transcript: bytes | None, frames: Mapping[int, bytes]
) -> CoreSnapshot:
    """The snapshot a record holds.

    An entry whose frame is stored but that the state does not know was
    accepted after the last state write: it may have gone out on the last
    connection, so it is restored as sent there (replayed by the adopter), in
    ledger order.
    """
    obj = _load(state)
    last = obj["connection_number"] or None
    records: dict[int, EntryRecord] = {}
    for values in obj["entries"]:
        fields = dict(zip(_ENTRY_FIELDS, values, strict=True))
        frame = frames.get(fields["seq"])
        if frame is not None:
            records[fields["seq"]] = EntryRecord(frame=frame.decode(), **fields)
    for seq, frame in frames.items():
        if seq not in records:
            text = frame.decode()
            message = decode_client_message(text)
            records[seq] = EntryRecord(
                seq=seq,
                frame=text,
                media=is_media(message),
                turn=triggers_turn(message),
                connection=last,
            )
    turns = _load(transcript)["turns"] if transcript else []
    cut, cut_trigger, cut_question, cut_prompted = obj["cut"]
    return CoreSnapshot(
        resumption_handle=obj["handle"],
        safe_handle=obj["safe_handle"],
        handle_number=obj["handle_number"],
        connection_number=obj["connection_number"],
        seq=max([obj["seq"], *records]),
        entries=tuple(records[seq] for seq in sorted(records)),
        started={int(k): v for k, v in obj["started"].items()},
        triggers={int(k): v for k, v in obj["triggers"].items()},
        call_epochs=obj["call_epochs"],
        transcript=tuple((role, text) for role, text in turns),
        usage=Usage(**obj["usage"]),
        voice_consent_signature=obj["consent"],
        seed_phase=obj["seed_phase"],
        cut=cut,
        cut_trigger=cut_trigger,
        cut_question=cut_question,
        cut_prompted=cut_prompted,
    )
