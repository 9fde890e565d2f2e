"""Whether a session records OpenTelemetry metrics and spans, and through which providers.

This module never imports ``opentelemetry``: :func:`for_session` imports the
recording side (:mod:`live_actor._telemetry._otel`) the first time a session
starts with telemetry on, and remembers when the package is missing.  Without
the ``otel`` extra, or switched off, a session gets ``None`` and its observer
skips every telemetry call: nothing is built and nothing runs per message.
"""

from __future__ import annotations

import importlib.metadata
from typing import TYPE_CHECKING, Any, Final

import attrs

from .._errors import ConfigError

if TYPE_CHECKING:
    from ._otel import SessionTelemetry

__all__ = [
    "INSTRUMENTATION_NAME",
    "Providers",
    "check_option",
    "disable",
    "enable",
    "for_session",
    "is_enabled",
]

#: The name of live_actor's meter and tracer (the instrumentation scope).
INSTRUMENTATION_NAME: Final = "live_actor"


@attrs.frozen(kw_only=True)
class Providers:
    """The OpenTelemetry providers a session records to, instead of the global ones.

    ``meter_provider`` / ``tracer_provider``: an ``opentelemetry`` ``MeterProvider`` /
    ``TracerProvider`` (``None``: the global one, as set by the application or by the
    OpenTelemetry distro).  live_actor never sets a global provider itself.
    """

    meter_provider: Any = None
    tracer_provider: Any = None
    #: instruments and tracer made from these providers (built once, shared by sessions).
    _cache: dict[str, Any] = attrs.field(factory=dict, init=False, eq=False, repr=False)


#: What ``SessionOptions.telemetry`` accepts.
TelemetryOption = bool | Providers

_GLOBAL: Final = Providers()
_enabled = True
#: the ``_otel`` module once imported; ``False`` once opentelemetry is known missing.
_recorder: Any = None


def enable() -> None:
    """Record telemetry for sessions started from now on (the default)."""
    global _enabled
    _enabled = True


def disable() -> None:
    """Record no telemetry for sessions started from now on, whatever their options."""
    global _enabled
    _enabled = False


def is_enabled() -> bool:
    """Whether sessions started now record telemetry (the package must also be installed)."""
    return _enabled


def check_option(_instance: object, _attribute: object, value: object) -> None:
    """attrs validator of ``SessionOptions.telemetry``."""
    if not isinstance(value, bool | Providers):
        raise ConfigError(
            "SessionOptions.telemetry must be True, False or "
            f"live_actor.telemetry.Providers(...), got {value!r}"
        )


def _load() -> Any:
    """The recording module, or ``False`` when ``opentelemetry`` cannot be imported."""
    global _recorder
    if _recorder is None:
        try:
            from . import _otel
        except ModuleNotFoundError as exc:
            if not (exc.name or "").startswith("opentelemetry"):
                raise
            _recorder = False
        else:
            _recorder = _otel
    return _recorder


def version() -> str:
    """live_actor's version, as the instrumentation scope's version."""
    try:
        return importlib.metadata.version("live_actor")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a source tree
        return "0"


def for_session(
    *, model: str, auth: str, session_id: str, option: TelemetryOption
) -> SessionTelemetry | None:
    """The telemetry of a session starting now, or ``None`` (off, or no opentelemetry)."""
    if option is False or not _enabled:
        return None
    otel = _load()
    if otel is False:
        return None
    providers = option if isinstance(option, Providers) else _GLOBAL
    telemetry: SessionTelemetry = otel.SessionTelemetry(
        otel.instruments_for(providers), model=model, auth=auth, session_id=session_id
    )
    return telemetry
