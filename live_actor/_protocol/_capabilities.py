"""What each known Live model accepts, as data (``docs/wire-protocol.md`` §13.3).

One table, consulted by ``LiveConfig`` validation (a setup the model would refuse
fails before dialling), by the session's local refusals (``clientContent``
mid-session on gemini-3.1 raises :class:`LocalProtocolError` and is never
replayed into a resumed 3.1 session), by history re-seeding (which message
shape seeds a fresh session) and by the REST model resolver (which kinds of
answers a model gives).  An unknown model is allowed with the permissive
defaults of the 2.5 generation: the service, not this table, has the last word.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

import attrs

__all__ = ["KNOWN_MODELS", "ModelCapabilities", "capabilities_for"]

ThinkingRule = Literal["any", "rejected", "level_or_budget"]
SeedShape = Literal["client_content", "initial_history"]


@attrs.frozen(kw_only=True)
class ModelCapabilities:
    """What one Live model accepts (defaults: the 2.5-era half-cascade models)."""

    #: response modalities the model can produce (one per session).
    output_modalities: frozenset[str] = frozenset({"TEXT", "AUDIO"})
    #: speaks natively (the "native audio" family); such models answer in AUDIO only.
    native_audio: bool = False
    #: ``generationConfig.thinkingConfig``: allowed, refused, or required as a level/budget.
    thinking: ThinkingRule = "any"
    #: ``enableAffectiveDialog`` is accepted.
    affective_dialog: bool = False
    #: ``proactivity.proactiveAudio`` is accepted.
    proactive_audio: bool = False
    #: ``proactivity.proactiveAudio: false`` is an error (proactivity cannot be off).
    proactive_audio_required: bool = False
    #: functions without ``behavior`` are ``NON_BLOCKING``.
    non_blocking_default: bool = False
    #: ``clientContent`` after the first realtime input / the history seed.
    mid_session_client_content: bool = True
    #: ``contextUpdate`` mid-session.
    context_updates: bool = True
    #: the end of a turn is ``interactionStatus: IDLE``, not ``turnComplete`` alone.
    interaction_status: bool = False
    #: how a fresh session is re-seeded with history: plain ``clientContent`` turns
    #: (``turnComplete: false``), or the ``historyConfig.initialHistoryInClientContent``
    #: seed phase (required where mid-session ``clientContent`` is refused).
    seed: SeedShape = "client_content"


_HALF_CASCADE: Final = ModelCapabilities()
_NATIVE_AUDIO: Final = ModelCapabilities(
    output_modalities=frozenset({"AUDIO"}),
    native_audio=True,
    affective_dialog=True,
    proactive_audio=True,
)
_GEMINI_31: Final = ModelCapabilities(
    mid_session_client_content=False,
    seed="initial_history",
)
_GEMINI_38: Final = ModelCapabilities(
    output_modalities=frozenset({"AUDIO"}),
    native_audio=True,
    thinking="rejected",
    proactive_audio=True,
    proactive_audio_required=True,
    non_blocking_default=True,
    interaction_status=True,
    seed="initial_history",
)

#: model id -> capabilities, for the models the project knows.
KNOWN_MODELS: Final[Mapping[str, ModelCapabilities]] = {
    "gemini-2.0-flash-live-001": _HALF_CASCADE,
    "gemini-live-2.5-flash-preview": _HALF_CASCADE,
    "gemini-live-2.5-flash": _HALF_CASCADE,
    "gemini-live-2.5-flash-native-audio": _NATIVE_AUDIO,
    "gemini-2.5-flash-native-audio-preview-09-2025": _NATIVE_AUDIO,
    "gemini-2.5-flash-native-audio-preview-12-2025": _NATIVE_AUDIO,
    "gemini-2.5-flash-native-audio-latest": _NATIVE_AUDIO,
    "gemini-2.5-flash-preview-native-audio-dialog": _NATIVE_AUDIO,
    "gemini-2.5-flash-exp-native-audio-thinking-dialog": _NATIVE_AUDIO,
    "gemini-3.1-flash-live-preview": _GEMINI_31,
    "gemini-3.8-live": _GEMINI_38,
    "gemini-3.8-live-extended-thinking": attrs.evolve(_GEMINI_38, thinking="level_or_budget"),
}


def capabilities_for(model: str) -> ModelCapabilities:
    """The capabilities of ``model`` (``"models/..."`` or a Vertex resource name too).

    Unknown ids of a known family (``native-audio`` in the id, ``gemini-3.8``)
    get that family's rules; anything else the permissive defaults.
    """
    model_id = model.rsplit("/", 1)[-1]
    known = KNOWN_MODELS.get(model_id)
    if known is not None:
        return known
    if "native-audio" in model_id or "native_audio" in model_id:
        return _NATIVE_AUDIO
    if model_id.startswith("gemini-3.8"):
        return _GEMINI_38
    if model_id.startswith("gemini-3.1"):
        return _GEMINI_31
    return _HALF_CASCADE
