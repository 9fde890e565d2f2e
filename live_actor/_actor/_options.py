"""Per-session knobs that are not part of the Live ``setup``, validated when built."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final, Literal

import attrs

from .._errors import ConfigError
from .._protocol._ledger import MediaPolicy
from .._protocol._messages import Content
from .._telemetry import TelemetryOption, check_option
from .._transport import Connector, TransportOptions

__all__ = ["Connector", "CutTurnPolicy", "SessionOptions"]

#: What the session does after a reconnect when the resumed state holds a
#: question whose answer was cut (the service does not continue a cut answer):
#: ``"repeat"`` sends the question again as text, ``"continue"`` asks the model
#: to continue, ``"none"`` does nothing.
CutTurnPolicy = Literal["repeat", "continue", "none"]

MiB: Final = 1024 * 1024


def _check(name: str, value: Any, *, minimum: float, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= minimum:
        allowed = f"a number >= {minimum:g}" + (" or None" if allow_none else "")
        raise ConfigError(f"SessionOptions.{name} must be {allowed}, got {value!r}")


@attrs.frozen(kw_only=True)
class SessionOptions:
    """Per-session knobs that are not part of the Live ``setup``.

    * ``setup_timeout``: seconds to wait for ``setupComplete`` after the upgrade.
    * ``command_buffer``: commands waiting for the socket before senders wait
      (backpressure).
    * ``event_buffer``: **bytes** of server messages kept for ``events()`` /
      ``receive_turn()`` (each counts its frame's size); the oldest are dropped
      and counted beyond it.  ``0`` keeps none (use callbacks only).
    * ``callback_buffer``: bytes of queued callbacks; beyond it the oldest
      ``on_message``-like calls are dropped and counted (lifecycle callbacks never).
    * ``media_buffer_seconds`` / ``media_policy``: the audio/video ring replayed
      (``"replay"``) or dropped (``"drop"``) after a reconnect.
    * ``go_away_margin``: rotate at least this long before a goAway deadline
      (at most half the notice).
    * ``shutdown_timeout``: how long ``close()`` may take to send what was
      accepted and to run queued callbacks; ``on_close`` and the final
      ``on_error`` then still get ``close_callback_timeout`` each.
    * ``tool_timeout``: seconds an ``on_tool_call`` may run before its calls
      are answered with an error response (``None``: no limit).
    * ``cut_turn_policy``: see :data:`CutTurnPolicy`.
    * ``non_idempotent_tools``: names of functions that must not run twice: when
      a reconnect loses a call's response, their earlier result is given to the
      model as text instead of letting it call them again.
    * ``transcript_bytes``: bytes of conversation text kept to re-seed a session
      that must start fresh (``0`` keeps none).
    * ``history``: called when a resume is impossible and a fresh session
      starts; the turns it returns are the seed instead of the transcript
      (a summary, say).
    * ``connector``: how to open the WebSocket: a
      :class:`~live_actor.transports.Connector` (default: the running event
      loop's, trio-websocket under trio and ``websockets`` under asyncio;
      :class:`~live_actor.transports.MemoryConnector` dials in memory).
    * ``telemetry``: record OpenTelemetry metrics and spans (with the ``otel``
      extra): ``True``, ``False``, or ``live_actor.telemetry.Providers(...)``.
    """

    transport: TransportOptions = attrs.field(factory=TransportOptions)
    connector: Connector | None = attrs.field(default=None, repr=False)
    setup_timeout: float = 15.0
    command_buffer: int = 256
    event_buffer: int = 2 * MiB
    callback_buffer: int = 4 * MiB
    media_buffer_seconds: float = 1.0
    media_policy: MediaPolicy = "replay"
    go_away_margin: float = 2.0
    shutdown_timeout: float = 5.0
    close_callback_timeout: float = 1.0
    tool_timeout: float | None = 60.0
    cut_turn_policy: CutTurnPolicy = "repeat"
    non_idempotent_tools: frozenset[str] = attrs.field(default=frozenset(), converter=frozenset)
    transcript_bytes: int = 64 * 1024
    history: Callable[[], Sequence[Content]] | None = attrs.field(default=None, repr=False)
    telemetry: TelemetryOption = attrs.field(default=True, validator=check_option)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.transport, TransportOptions):
            raise ConfigError(
                f"SessionOptions.transport must be a TransportOptions, got {self.transport!r}"
            )
        _check("setup_timeout", self.setup_timeout, minimum=0.001)
        _check("command_buffer", self.command_buffer, minimum=1)
        _check("event_buffer", self.event_buffer, minimum=0)
        _check("callback_buffer", self.callback_buffer, minimum=0)
        _check("media_buffer_seconds", self.media_buffer_seconds, minimum=0)
        _check("go_away_margin", self.go_away_margin, minimum=0)
        _check("shutdown_timeout", self.shutdown_timeout, minimum=0)
        _check("close_callback_timeout", self.close_callback_timeout, minimum=0.001)
        _check("tool_timeout", self.tool_timeout, minimum=0.001, allow_none=True)
        _check("transcript_bytes", self.transcript_bytes, minimum=0)
        for name in ("command_buffer", "event_buffer", "callback_buffer", "transcript_bytes"):
            if not isinstance(getattr(self, name), int):
                raise ConfigError(
                    f"SessionOptions.{name} must be an int, got {getattr(self, name)!r}"
                )
        if self.media_policy not in ("replay", "drop"):
            raise ConfigError(
                f"SessionOptions.media_policy must be 'replay' or 'drop', got {self.media_policy!r}"
            )
        if self.cut_turn_policy not in ("repeat", "continue", "none"):
            raise ConfigError(
                "SessionOptions.cut_turn_policy must be 'repeat', 'continue' or 'none', got "
                f"{self.cut_turn_policy!r}"
            )
        for name in ("connector", "history"):
            value = getattr(self, name)
            if value is not None and not callable(value):
                raise ConfigError(f"SessionOptions.{name} must be callable, got {value!r}")
