"""Constants and helpers shared by the test suite (h11's ``tests/helpers.py``).

Import them from here (``from ..helpers import API_KEY, text_config``), never
from a conftest or another test module.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any, TypeVar

import anyio

import live_actor

__all__ = [
    "API_KEY",
    "AUDIO_MODEL",
    "TEXT_MODEL",
    "audio_config",
    "eventually",
    "next_turn",
    "strip_optional",
    "text_config",
]

_T = TypeVar("_T")

#: Shaped like a Google API key on purpose: redaction must hide it by value *and* shape.
API_KEY = "AIzaTEST-secret-key-0123456789"
TEXT_MODEL = "gemini-live-2.5-flash-preview"
AUDIO_MODEL = "gemini-2.5-flash-native-audio-preview-12-2025"


def text_config(**kwargs: Any) -> live_actor.LiveConfig:
    """A half-cascade model answering in TEXT, plus ``kwargs``."""
    return live_actor.LiveConfig(
        model=TEXT_MODEL, generation_config={"response_modalities": ["TEXT"]}, **kwargs
    )


def audio_config(**kwargs: Any) -> live_actor.LiveConfig:
    """A native-audio model answering in AUDIO, plus ``kwargs``."""
    return live_actor.LiveConfig(
        model=AUDIO_MODEL, generation_config={"response_modalities": ["AUDIO"]}, **kwargs
    )


async def eventually(
    predicate: Callable[[], _T], what: str = "the condition", within: float = 5.0
) -> _T:
    """Wait until ``predicate()`` is truthy and return its value.

    Polls every 5 ms (a condition, never a fixed sleep) and fails the test with
    ``what`` after ``within`` seconds.
    """
    try:
        with anyio.fail_after(within):
            while True:
                value = predicate()
                if value:
                    return value
                await anyio.sleep(0.005)
    except TimeoutError:
        raise AssertionError(f"timed out after {within}s waiting for: {what}") from None


async def next_turn(session: live_actor.SessionHandle, within: float = 5.0) -> live_actor.Turn:
    """The session's next turn, or a failure after ``within`` seconds."""
    with anyio.fail_after(within):
        return await session.receive_turn()


def strip_optional(tp: Any) -> Any:
    """``X | None`` -> ``X`` (other unions and types unchanged)."""
    args = typing.get_args(tp)
    if args and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return tp
