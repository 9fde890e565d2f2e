"""What the newcomer's claim tests share: the README's text and a few small helpers.

The suite-wide constants and helpers (API key, models, configs, ``eventually``)
are in ``tests/helpers.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel

import live_actor
from live_actor.testing import FakeLiveServer

__all__ = [
    "LOOKUP_TOOL",
    "README",
    "ROOT",
    "Recorder",
    "answer_to",
    "no_jitter",
    "send_audio",
    "server_wait",
]

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
LOOKUP_TOOL = {
    "function_declarations": [
        {
            "name": "lookup",
            "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}},
        }
    ]
}


def no_jitter() -> live_actor.RestartPolicy:
    """Restarts without waiting (the README: "the jitter source is injectable")."""
    return live_actor.RestartPolicy(random=lambda: 0.0)


async def server_wait(server: FakeLiveServer, predicate: Callable[[], Any], t: float = 5.0) -> Any:
    with anyio.fail_after(t):
        return await server.wait_for(predicate)


async def answer_to(session: live_actor.SessionHandle, prefix: str) -> str:
    """The next reply starting with ``prefix``.  README (Gemini API): replay after a
    reconnect is "at least once ... a few percent repeated", so the reply to an earlier,
    already answered message may come first: skip it."""
    with anyio.fail_after(5):
        while True:
            text = (await session.receive_turn()).text
            if text.startswith(prefix):
                return text


async def send_audio(session: live_actor.SessionHandle, pcm: bytes) -> None:
    for start in range(0, len(pcm), 640):  # 20 ms chunks of 16 kHz s16le
        await session.send_realtime_input(audio=pcm[start : start + 640])


class Recorder:
    """Callbacks that record their positional arguments, by name."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Callable[..., None]:
        if not name.startswith("on_"):
            raise AttributeError(name)

        def callback(*args: Any) -> None:
            self.calls.append((name, args))

        return callback

    def kwargs(self, *names: str) -> dict[str, Callable[..., None]]:
        return {name: getattr(self, name) for name in names}

    def args(self, name: str) -> list[tuple[Any, ...]]:
        return [a for n, a in self.calls if n == name]
