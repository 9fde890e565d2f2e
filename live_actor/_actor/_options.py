"""Per-session knobs that are not part of the Live ``setup``, validated when built."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, Literal

import attrs

from .._protocol._ledger import MediaPolicy
from .._protocol._messages import Content
from .._telemetry import TelemetryOption, check_option
from .._transport import Connector, TransportOptions
from .._validators import at_least, callable_or_none, instance_of, one_of

__all__ = ["Connector", "CutTurnPolicy", "SessionOptions"]

#: What the session does after a reconnect when the resumed state holds a
#: question whose answer was cut (the service does not continue a cut answer):
#: ``"repeat"`` sends the question again as text, ``"continue"`` asks the model
#: to continue, ``"none"`` does nothing.
CutTurnPolicy = Literal["repeat", "continue", "none"]

MiB: Final = 1024 * 1024


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
    * ``media_buffer_seconds`` / ``media_buffer_bytes`` / ``media_policy``: the
      audio/video ring (seconds of audio, and bytes) replayed (``"replay"``) or
      dropped (``"drop"``) after a reconnect; media queued while disconnected
      has the same bounds.
    * ``ledger_bytes``: encoded control messages (text, tool responses ...) held
      until the server provably has them, for a replay.  Beyond it the oldest
      sent one is no longer replayable (``handle.ledger.forgotten``), then the
      oldest queued one is dropped; each is logged
      (``live_actor.session.ledger_full``).
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

    transport: TransportOptions = attrs.field(
        factory=TransportOptions, validator=instance_of(TransportOptions, "a TransportOptions")
    )
    connector: Connector | None = attrs.field(default=None, repr=False, validator=callable_or_none)
    setup_timeout: float = attrs.field(default=15.0, validator=at_least(0.001))
    command_buffer: int = attrs.field(default=256, validator=at_least(1, integer=True))
    event_buffer: int = attrs.field(default=2 * MiB, validator=at_least(0, integer=True))
    callback_buffer: int = attrs.field(default=4 * MiB, validator=at_least(0, integer=True))
    media_buffer_seconds: float = attrs.field(default=1.0, validator=at_least(0))
    media_buffer_bytes: int = attrs.field(default=4 * MiB, validator=at_least(0, integer=True))
    media_policy: MediaPolicy = attrs.field(default="replay", validator=one_of("replay", "drop"))
    ledger_bytes: int = attrs.field(default=16 * MiB, validator=at_least(1024, integer=True))
    go_away_margin: float = attrs.field(default=2.0, validator=at_least(0))
    shutdown_timeout: float = attrs.field(default=5.0, validator=at_least(0))
    close_callback_timeout: float = attrs.field(default=1.0, validator=at_least(0.001))
    tool_timeout: float | None = attrs.field(default=60.0, validator=at_least(0.001, optional=True))
    cut_turn_policy: CutTurnPolicy = attrs.field(
        default="repeat", validator=one_of("repeat", "continue", "none")
    )
    non_idempotent_tools: frozenset[str] = attrs.field(default=frozenset(), converter=frozenset)
    transcript_bytes: int = attrs.field(default=64 * 1024, validator=at_least(0, integer=True))
    history: Callable[[], Sequence[Content]] | None = attrs.field(
        default=None, repr=False, validator=callable_or_none
    )
    telemetry: TelemetryOption = attrs.field(default=True, validator=check_option)
