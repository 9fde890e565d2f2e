"""OpenTelemetry metrics and spans of live_actor's sessions (the ``otel`` extra).

With ``pip install 'live_actor[otel]'`` (``opentelemetry-api`` only), every
session records metrics and spans through the OpenTelemetry API: to the global
providers your application (or the OpenTelemetry distro) set up, or to the
:class:`Providers` given in ``SessionOptions(telemetry=...)``.  live_actor never
sets a global provider; without an SDK configured the API records nothing.
Without the extra nothing is imported or built: the cost is nil.

Switches:

* per session (or per supervisor, through its options):
  ``SessionOptions(telemetry=False)``; ``telemetry=Providers(meter_provider=...,
  tracer_provider=...)`` records to those providers instead of the global ones;
* process-wide: :func:`disable` / :func:`enable` (sessions started afterwards).

The metric and span names, their attributes and units are listed in
:data:`METRICS` and :data:`SPANS` and documented in ``docs/telemetry.md``.
"""

from __future__ import annotations

from typing import Final

from ._telemetry import INSTRUMENTATION_NAME, Providers, disable, enable, is_enabled

__all__ = [
    "INSTRUMENTATION_NAME",
    "METRICS",
    "SPANS",
    "Providers",
    "disable",
    "enable",
    "is_enabled",
]

#: Every metric a session records: name -> (instrument, unit).
METRICS: Final = {
    "gen_ai.client.token.usage": ("histogram", "{token}"),
    "gen_ai.client.operation.duration": ("histogram", "s"),
    "gen_ai.client.operation.time_to_first_chunk": ("histogram", "s"),
    "live_actor.sessions.active": ("updowncounter", "{session}"),
    "live_actor.reconnects": ("counter", "{reconnect}"),
    "live_actor.ledger.replayed": ("counter", "{message}"),
    "live_actor.ledger.dropped": ("counter", "{message}"),
    "live_actor.time_to_ready": ("histogram", "s"),
    "live_actor.rotation.gap": ("histogram", "s"),
    "live_actor.downtime": ("histogram", "s"),
}

#: The spans: one per session, one per connection (its child), one per tool call
#: (the connection's child; ``execute_tool {name}`` when the call has one function).
SPANS: Final = ("live_actor.session", "live_actor.connection", "execute_tool")
