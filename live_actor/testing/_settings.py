"""``FakeServerSettings``: every knob of one fake server, frozen, in one place.

Why one frozen object: the server's behaviour knobs used to be copied by hand from
``FakeLiveServer`` to the server-thread state and read field by field from there by
every connection.  A frozen value can be handed to every part of the server (the HTTP
layer, each connection, its turn engine) without a back-reference to a mutable
parent, and read from any thread without a lock.  What changes at runtime (the fault
plan, the sessions) lives in the registry instead.

Values are checked when the settings are built: a negative delay or a zero limit is a
:class:`ValueError` that names the field, not a misbehaving server later.
"""

from __future__ import annotations

from typing import Any, Final, Literal

import attrs

from ._model import Responder, ScriptedResponder
from ._profiles import PROFILES, ProfileName, TimingProfile
from ._setup import DEFAULT_MODELS

__all__ = ["FakeServerSettings"]

GoAwayCut = Literal["close", "drop"]
BusyUpdate = Literal["empty", "resumable_false"]
_CUTS: Final = ("close", "drop")


def _non_negative(instance: Any, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and value < 0:
        raise ValueError(f"{attribute.name} must be >= 0 (got {value!r})")


def _positive(instance: Any, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and value <= 0:
        raise ValueError(f"{attribute.name} must be > 0 (got {value!r})")


def _one_of(*choices: str) -> Any:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
        if value not in choices:
            raise ValueError(f"{attribute.name} must be one of {choices} (got {value!r})")

    return check


def _optional_keys(value: Any) -> frozenset[str] | None:
    return None if value is None else frozenset(value)


@attrs.frozen(kw_only=True)
class FakeServerSettings:
    """How one fake server behaves (see :class:`~live_actor.testing.FakeLiveServer`).

    ``None`` for ``api_keys``/``bearer_tokens`` accepts any non-empty credential;
    ``None`` for ``connection_lifetime`` and the session limits means unlimited.
    Build a variant with ``attrs.evolve(settings, chunk_delay=0)``.
    """

    api_keys: frozenset[str] | None = attrs.field(default=None, converter=_optional_keys)
    bearer_tokens: frozenset[str] | None = attrs.field(default=None, converter=_optional_keys)
    known_models: frozenset[str] = attrs.field(
        default=frozenset(DEFAULT_MODELS), converter=frozenset
    )
    responder: Responder = attrs.field(factory=ScriptedResponder)
    text_frames: bool = False
    chunk_delay: float = attrs.field(default=0.01, validator=_non_negative)
    words_per_chunk: int = attrs.field(default=3, validator=_positive)
    output_char_ms: float = attrs.field(default=20.0, validator=_positive)
    connection_lifetime: float | None = attrs.field(default=600.0, validator=_non_negative)
    go_away_notice: float = attrs.field(default=60.0, validator=_non_negative)
    go_away_cut: GoAwayCut = attrs.field(default="close", validator=_one_of(*_CUTS))
    handle_ttl: float = attrs.field(default=7200.0, validator=_non_negative)
    session_limit_audio: float | None = attrs.field(default=900.0, validator=_non_negative)
    session_limit_video: float | None = attrs.field(default=120.0, validator=_non_negative)
    reject_auth_at_upgrade: bool = False
    record_sent: bool = False
    max_message_size: int = attrs.field(default=16 * 1024 * 1024, validator=_positive)
    close_timeout: float = attrs.field(default=2.0, validator=_non_negative)
    ledger_media: bool = False
    max_handles: int = attrs.field(default=64, validator=_positive)
    # -- the standalone server's bounds (see ``_admission`` and ``_registry``) --------
    handshake_timeout: float = attrs.field(default=10.0, validator=_positive)
    max_pending_handshakes: int = attrs.field(default=256, validator=_positive)
    max_header_bytes: int = attrs.field(default=16 * 1024, validator=_positive)
    max_rest_body: int = attrs.field(default=1024 * 1024, validator=_positive)
    retain_finished: int = attrs.field(default=1000, validator=_non_negative)
    retain_seconds: float = attrs.field(default=3600.0, validator=_non_negative)
    # -- service timing (see ``_profiles``) --------------------------------------------
    profile: ProfileName = attrs.field(default="dev", validator=_one_of(*PROFILES))
    #: Seconds from the start of a turn to the model's first output (its "thinking").
    first_response_delay: float = attrs.field(default=0.0, validator=_non_negative)
    #: What a resumption update says while the model is busy (dev and 3.x profiles):
    #: ``"empty"`` (``{}``, as the Developer API) or ``"resumable_false"``.
    busy_resumption_update: BusyUpdate = attrs.field(
        default="empty", validator=_one_of("empty", "resumable_false")
    )
    #: Seed of the fake's random timing (per connection: ``f"{seed}:{number}"``).
    seed: int = 0

    @property
    def timing(self) -> TimingProfile:
        """The timing profile named by ``profile``."""
        return PROFILES[self.profile]

    def key_ok(self, key: str) -> bool:
        """Any non-empty API key by default; else membership in ``api_keys``."""
        if not key or key.startswith("auth_tokens/"):
            return False
        return self.api_keys is None or key in self.api_keys

    def bearer_ok(self, bearer: str) -> bool:
        """Any non-empty bearer token by default; else membership in ``bearer_tokens``."""
        return bool(bearer) and (self.bearer_tokens is None or bearer in self.bearer_tokens)
