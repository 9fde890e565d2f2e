"""Hypothesis strategies for every wire class of ``live_actor._protocol._messages``.

The strategies are derived from the attrs fields and type hints of each class,
so a field added to the wire model is covered without touching this file.  They
produce *canonical* values, i.e. exactly what the codec returns on decode, so
``decode(encode(x)) == x`` holds for every generated ``x``:

* sequences are tuples; ``extra`` is ``None`` or a non-empty dict whose keys
  no version of the model knows;
* bytes are arbitrary; durations are ``timedelta`` with µs resolution;
* enums are known members or unknown names (open-enum pseudo-members);
* text has no lone surrogates (JSON cannot carry them); floats are finite;
  integers fit their wire type (int32 counts, int64 ``Int64``).

Public names, for reuse by other test modules:

``json_values``            arbitrary JSON values (what ``orjson`` round-trips)
``json_objects``           JSON objects (free-form ``args``, ``response``, ...)
``wire(cls)``              strategy for any wire class (cached)
``STRATEGIES``             ``{cls: strategy}`` for every wire class
``client_messages``        any client message (setup, clientContent, ...)
``server_messages``        any ``ServerMessage``
``setups``, ``client_contents``, ``realtime_inputs``, ``tool_responses``,
``context_updates``        one client message kind each
``single_realtime_inputs`` a ``RealtimeInput`` with exactly one field set
                           (what the protocol allows on the wire)
and one ``<snake_case_plural>`` name per wire class (``blobs``, ``parts``,
``server_contents``, ``usage_metadatas``...).
"""

from __future__ import annotations

import datetime
import enum
import re
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from hypothesis import strategies as st

from live_actor._protocol import _messages as m
from live_actor._protocol._scalars import camel

from ..helpers import strip_optional

__all__ = [
    "DEFAULT",
    "STRATEGIES",
    "WIRE_CLASSES",
    "WireStrategies",
    "client_messages",
    "json_objects",
    "json_values",
    "known_json_keys",
    "server_messages",
    "single_realtime_inputs",
    "wire",
]

INT32 = st.integers(min_value=-(2**31), max_value=2**31 - 1)
INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
FLOATS = st.floats(allow_nan=False, allow_infinity=False)
#: Text JSON can carry: everything but lone surrogates.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
SHORT_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=6)
BYTES = st.binary(max_size=24)
#: µs resolution over the whole ``timedelta`` range, plus realistic small ones.
TIMEDELTAS = st.timedeltas() | st.builds(
    datetime.timedelta, microseconds=st.integers(-(10**9), 10**9)
)

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | INT64 | FLOATS | SHORT_TEXT,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(SHORT_TEXT, children, max_size=3)
    ),
    max_leaves=6,
)
json_objects: st.SearchStrategy[dict[str, Any]] = st.dictionaries(
    SHORT_TEXT, json_values, max_size=3
)

#: Every wire class defined in ``_messages`` (subclasses of ``_Wire``).
WIRE_CLASSES: tuple[type[m._Wire], ...] = tuple(
    obj
    for obj in vars(m).values()
    if isinstance(obj, type) and issubclass(obj, m._Wire) and obj is not m._Wire
)


def known_json_keys(cls: type[m._Wire]) -> set[str]:
    """Every spelling the codec accepts for the fields of ``cls``."""
    keys: set[str] = set(cls._json_aliases)
    for field in attrs.fields(cls):
        keys.add(field.name)
        keys.add(camel(field.name))
        keys.add(cls._json_names.get(field.name, camel(field.name)))
    return keys


_ALL_KNOWN_KEYS = set().union(*(known_json_keys(c) for c in WIRE_CLASSES))
#: Keys for ``extra``: never a spelling the codec knows, whatever the class.
EXTRA_KEYS = st.from_regex(r"\AzzFuture[A-Za-z0-9_]{0,8}\Z").filter(
    lambda k: k not in _ALL_KNOWN_KEYS
)
EXTRAS = st.none() | st.dictionaries(EXTRA_KEYS, json_values, min_size=1, max_size=2)


Overrides = Mapping[tuple[type[Any], str], st.SearchStrategy[Any]]

# Per-field overrides where the type alone is not precise enough.
_FIELD_OVERRIDES: dict[tuple[type[Any], str], st.SearchStrategy[Any]] = {
    (m.Setup, "labels"): st.dictionaries(SHORT_TEXT, SHORT_TEXT, max_size=2),
}


class WireStrategies:
    """Builds (and caches) one strategy per wire class under fixed options.

    ``extras``: generate unknown keys in ``extra``; ``unknown_enums``: generate
    open-enum pseudo-members; ``overrides``: ``{(cls, field_name): strategy}``
    for the *present* value of a field (``None`` is always possible).
    """

    def __init__(
        self,
        *,
        extras: bool = True,
        unknown_enums: bool = True,
        overrides: Overrides | None = None,
    ) -> None:
        self.extras = extras
        self.unknown_enums = unknown_enums
        self.overrides = {**_FIELD_OVERRIDES, **(overrides or {})}
        self._cache: dict[type[Any], st.SearchStrategy[Any]] = {}

    def enum_values(self, cls: type[enum.Enum]) -> st.SearchStrategy[Any]:
        known = st.sampled_from(list(cls))
        if not self.unknown_enums:
            return known
        unknown = st.from_regex(r"\A[A-Z][A-Z0-9_]{0,15}\Z").map(cls)
        return st.one_of(known, known, unknown)

    def for_type(self, tp: Any) -> st.SearchStrategy[Any]:
        tp = strip_optional(tp)
        if tp is m.Int64:
            return INT64
        if tp is Any:
            return json_values.filter(lambda v: v is not None)
        if tp is str:
            return TEXT
        if tp is bool:
            return st.booleans()
        if tp is int:
            return INT32
        if tp is float:
            return FLOATS
        if tp is bytes:
            return BYTES
        if tp is datetime.timedelta:
            return TIMEDELTAS
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return self.enum_values(tp)
        if isinstance(tp, type) and issubclass(tp, m._Wire):
            return st.deferred(lambda: self.wire(tp))
        origin = typing.get_origin(tp)
        if tp is Mapping or origin in (Mapping, dict):
            return json_objects
        if origin in (Sequence, list, tuple):
            (item,) = typing.get_args(tp)[:1]
            return st.lists(self.for_type(item), max_size=3).map(tuple)
        raise NotImplementedError(f"no strategy for {tp!r}")

    def field(self, cls: type[Any], name: str) -> st.SearchStrategy[Any]:
        """The strategy for a present value of ``cls.name``."""
        override = self.overrides.get((cls, name))
        if override is not None:
            return override
        return self.for_type(typing.get_type_hints(cls)[name])

    def wire(self, cls: type[Any]) -> st.SearchStrategy[Any]:
        """``cls`` with every field independently absent or a valid value."""
        cached = self._cache.get(cls)
        if cached is not None:
            return cached
        kwargs: dict[str, st.SearchStrategy[Any]] = {"extra": EXTRAS if self.extras else st.none()}
        for field in attrs.fields(cls):
            if field.name == "extra":
                continue
            # Absent twice as often as present: keeps nested messages small (fast).
            kwargs[field.name] = st.one_of(st.none(), st.none(), self.field(cls, field.name))
        strategy = st.builds(cls, **kwargs)
        self._cache[cls] = strategy
        return strategy

    def one_field_realtime_inputs(self) -> st.SearchStrategy[m.RealtimeInput]:
        """``RealtimeInput`` with exactly one field set (what the wire allows)."""
        options = [
            st.builds(m.RealtimeInput, **{field.name: self.field(m.RealtimeInput, field.name)})
            for field in attrs.fields(m.RealtimeInput)
            if field.name != "extra"
        ]
        return st.one_of(options)

    def client_messages(self) -> st.SearchStrategy[Any]:
        return st.one_of([self.wire(cls) for cls in m.CLIENT_MESSAGE_KEYS])


DEFAULT = WireStrategies()


def wire(cls: type[Any]) -> st.SearchStrategy[Any]:
    """A strategy for ``cls`` (default options: extras and unknown enums included)."""
    return DEFAULT.wire(cls)


def _plural(name: str) -> str:
    snake = re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()
    if snake.endswith("y") and snake[-2:-1] not in "aeiou":
        return snake[:-1] + "ies"
    return snake if snake.endswith("s") else snake + "s"


STRATEGIES: dict[type[Any], st.SearchStrategy[Any]] = {cls: wire(cls) for cls in WIRE_CLASSES}
# One module-level name per class: ``blobs``, ``server_contents``, ...
globals().update({_plural(cls.__name__): strategy for cls, strategy in STRATEGIES.items()})
__all__ += sorted({_plural(cls.__name__) for cls in WIRE_CLASSES} - set(__all__))

setups = STRATEGIES[m.Setup]
client_contents = STRATEGIES[m.ClientContent]
realtime_inputs = STRATEGIES[m.RealtimeInput]
tool_responses = STRATEGIES[m.ToolResponse]
context_updates = STRATEGIES[m.ContextUpdate]
server_messages = STRATEGIES[m.ServerMessage]
client_messages = DEFAULT.client_messages()
single_realtime_inputs = DEFAULT.one_field_realtime_inputs()
