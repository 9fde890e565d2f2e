"""The scripted "model": decides what the fake server says, deterministically.

Why pluggable: integration tests sometimes need a specific reply or a specific tool
call sequence; they subclass :class:`Responder` (or pass ``rules=`` to
:class:`ScriptedResponder`) instead of patching the server.  The responder is pure:
it sees the conversation (history in wire form, camelCase Content dicts) and returns a
:class:`Reply`; the server does the streaming, chunking, audio and bookkeeping.

Default rules of :class:`ScriptedResponder`, first match wins:

1. The latest history entries are ``functionResponse`` parts ⇒ report them:
   ``"get_weather returned {"temp_c":21}."`` (the JSON of ``response.output``, or of
   the whole ``response`` when it has no ``output`` key).
2. A user-supplied ``rules`` entry whose regex matches the user text.
3. The user text names a declared function (``get_weather``, or its words spaced:
   ``"get weather"``) ⇒ call it.  Arguments come from ``key=value`` pairs in the text
   (``call get_weather city=Paris days=3`` → ``{"city": "Paris", "days": 3}``;
   quotes allowed; ints, floats, true/false converted).  Several names ⇒ several
   calls in one ``toolCall``.
4. ``what is my X`` / ``what's my X`` ⇒ ``"Your X is Y."`` from the last ``my X is Y``
   the user said anywhere in the conversation, else ``"I don't know your X."``.
5. ``my X is Y`` ⇒ ``"Got it, your X is Y."``
6. Otherwise echo: ``'You said: "<text>".'`` (audio without decodable speech:
   ``"I heard N.NN seconds of audio."``).
"""

from __future__ import annotations

import abc
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import orjson

__all__ = [
    "DeclaredFunction",
    "FunctionCallRequest",
    "Reply",
    "Responder",
    "ScriptedResponder",
    "TurnContext",
    "count_tokens",
]


@attrs.frozen
class DeclaredFunction:
    """A function the session declared (``setup.tools[].functionDeclarations`` or a
    ``contextUpdate``), as the fake's model sees it.

    Named apart from the wire class ``live_actor.types.FunctionDeclaration`` on purpose:
    this is the fake's reduced view (name, behaviour, description), not the wire shape.
    """

    name: str
    behavior: str = "BLOCKING"
    description: str = ""


@attrs.frozen
class FunctionCallRequest:
    """A call the model wants to make; the server assigns the id (``function-call-<n>``)."""

    name: str
    args: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Reply:
    """What the model says this round.

    ``text`` is streamed in chunks (and as audio in AUDIO mode).  With
    ``function_calls`` the server sends a ``toolCall`` after the text; BLOCKING calls
    make it wait for the ``toolResponse`` and ask the responder again.
    ``thought`` is sent as a ``thought: true`` part when the setup asks for thoughts.
    """

    text: str = ""
    function_calls: Sequence[FunctionCallRequest] = ()
    thought: str | None = None


@attrs.frozen
class TurnContext:
    """Everything a responder may look at. ``history`` is oldest first, wire shape."""

    history: Sequence[Mapping[str, Any]]
    user_text: str
    functions: Mapping[str, DeclaredFunction]
    response_modality: str
    system_instruction: str
    session_id: str
    audio_seconds: float = 0.0


class Responder(abc.ABC):
    """Pluggable model behaviour. Implementations must be deterministic and fast."""

    @abc.abstractmethod
    def respond(self, context: TurnContext) -> Reply:
        """Return the reply for the current state of the conversation."""


def count_tokens(text: str) -> int:
    """Deterministic token count used in ``usageMetadata``: whitespace-separated words."""
    return len(text.split())


def _texts(content: Mapping[str, Any]) -> list[str]:
    parts = content.get("parts") or []
    return [p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)]


_FACT = re.compile(r"\bmy\s+([a-z][\w\s-]*?)\s+is\s+([^.,!?;]+)", re.IGNORECASE)
_QUESTION = re.compile(r"\bwhat(?:\s+is|'s|s)\s+my\s+([a-z][\w\s-]*?)\s*(?:[?.!]|$)", re.IGNORECASE)
_KV = re.compile(r"""(\w+)\s*=\s*("([^"]*)"|'([^']*)'|[^\s,;]+)""")


def _convert(raw: str) -> Any:
    low = raw.lower()
    if low in ("true", "false"):
        return low == "true"
    if re.fullmatch(r"-?\d+", raw):
        return int(raw)
    if re.fullmatch(r"-?\d+\.\d+", raw):
        return float(raw)
    return raw


def parse_args(text: str) -> dict[str, Any]:
    """``key=value`` pairs of a user text as function arguments (see module doc)."""
    args: dict[str, Any] = {}
    for m in _KV.finditer(text):
        if m.group(3) is not None:
            args[m.group(1)] = m.group(3)
        elif m.group(4) is not None:
            args[m.group(1)] = m.group(4)
        else:
            args[m.group(1)] = _convert(m.group(2))
    return args


RuleReply = str | Callable[[re.Match[str], TurnContext], Reply | str]


class ScriptedResponder(Responder):
    """The default deterministic model (rules in the module docstring).

    ``rules``: ``(regex, reply)`` pairs tried before the built-in rules 3-6; ``reply``
    is a template string (``str.format`` with the match's groups as ``{0}``, ``{1}``,
    named groups by name, and ``{text}``) or a callable returning a Reply or a string.
    ``words_per_chunk`` is not used here; chunking belongs to the server.
    """

    def __init__(self, rules: Sequence[tuple[str | re.Pattern[str], RuleReply]] = ()) -> None:
        self._rules = [
            (re.compile(p, re.IGNORECASE) if isinstance(p, str) else p, r) for p, r in rules
        ]

    def respond(self, context: TurnContext) -> Reply:
        """Apply the rules (see module docstring) to the latest user input."""
        last = context.history[-1] if context.history else None
        results = _function_results(last)
        if results:
            return Reply(text=" ".join(results))
        text = context.user_text.strip()
        for pattern, reply in self._rules:
            m = pattern.search(text)
            if m is None:
                continue
            if callable(reply):
                out = reply(m, context)
                return Reply(text=out) if isinstance(out, str) else out
            return Reply(text=reply.format(*m.groups(), text=text, **m.groupdict()))
        calls = self._calls(text, context.functions)
        if calls:
            names = ", ".join(c.name for c in calls)
            return Reply(text=f"Calling {names}.", function_calls=calls)
        question = _QUESTION.search(text)
        if question:
            key = _norm_key(question.group(1))
            facts = _facts(context.history)
            if key in facts:
                return Reply(text=f"Your {key} is {facts[key]}.")
            return Reply(text=f"I don't know your {key}.")
        fact = _FACT.search(text)
        if fact:
            return Reply(
                text=f"Got it, your {_norm_key(fact.group(1))} is {fact.group(2).strip()}."
            )
        if not text:
            if context.audio_seconds > 0:
                return Reply(text=f"I heard {context.audio_seconds:.2f} seconds of audio.")
            return Reply(text="I am listening.")
        return Reply(text=f'You said: "{text}".')

    @staticmethod
    def _calls(text: str, functions: Mapping[str, DeclaredFunction]) -> list[FunctionCallRequest]:
        low = text.lower()
        calls = []
        for name in functions:
            spaced = name.replace("_", " ").lower()
            if name.lower() in low or (spaced != name.lower() and spaced in low):
                calls.append(FunctionCallRequest(name=name, args=parse_args(text)))
        return calls


def _norm_key(key: str) -> str:
    return " ".join(key.lower().split())


def _facts(history: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    facts: dict[str, str] = {}
    for content in history:
        if content.get("role", "user") != "user":
            continue
        for text in _texts(content):
            for m in _FACT.finditer(text):
                if _QUESTION.search(m.group(0)):
                    continue
                facts[_norm_key(m.group(1))] = m.group(2).strip()
    return facts


def _function_results(content: Mapping[str, Any] | None) -> list[str]:
    if content is None:
        return []
    out = []
    for part in content.get("parts") or []:
        if not isinstance(part, dict):
            continue
        fr = part.get("functionResponse")
        if not isinstance(fr, dict):
            continue
        response = fr.get("response")
        value = response.get("output", response) if isinstance(response, dict) else response
        dumped = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
        out.append(f"{fr.get('name') or 'function'} returned {dumped}.")
    return out
