"""Per-model rules of the Live models the fake knows, as data (``wire-protocol.md §13.3``).

Why data: the rules differ per model family and the fake applies them in three places
(setup validation, message handling, output shape); a table keeps them in one spot
and lets an unknown model fall back to the permissive 2.5-era defaults.

=================================  =====================================================
model                               rules
=================================  =====================================================
gemini-3.1-flash-live-preview       ``clientContent`` only while seeding history (else
                                    1007); several parts per server message
gemini-3.8-live                     tools ``NON_BLOCKING`` by default; ``thinkingConfig``
                                    1007; ``proactiveAudio: false`` 1007; affective
                                    dialog 1007; ``TEXT`` output 1007; ``clientContent``
                                    all session; ``interactionStatus`` on every
                                    ``turnComplete``
gemini-3.8-live-extended-thinking   as gemini-3.8-live, but ``thinkingConfig`` needs
                                    exactly one of ``thinkingLevel`` (LOW/MEDIUM/HIGH)
                                    or ``thinkingBudget`` (else 1007), and a reply is a
                                    spoken filler (``turnComplete`` + ``IN_PROGRESS``)
                                    then the answer (``turnComplete`` + ``IDLE``)
=================================  =====================================================
"""

from __future__ import annotations

from typing import Any, Final, Literal

import attrs

from ._refusals import INVALID_ARGUMENT, Reject

__all__ = ["MODEL_RULES", "ModelRules", "check_setup_for_model", "rules_for"]

ThinkingRule = Literal["any", "rejected", "level_or_budget"]


@attrs.frozen(kw_only=True)
class ModelRules:
    """What one Live model accepts and how it answers (defaults: 2.5-era models)."""

    #: ``clientContent`` after the history seed (False: 1007, gemini-3.1).
    mid_session_client_content: bool = True
    #: Parts (and transcripts) per ``serverContent`` message.
    parts_per_message: int = 1
    #: Behaviour of a function declared without ``behavior``.
    default_behavior: str = "BLOCKING"
    thinking: ThinkingRule = "any"
    #: ``proactivity.proactiveAudio: false`` is an error.
    rejects_proactive_audio_off: bool = False
    #: ``generationConfig.enableAffectiveDialog`` is an error.
    rejects_affective_dialog: bool = False
    #: ``TEXT`` output is an error.
    audio_only: bool = False
    #: ``serverContent.interactionStatus`` goes with every ``turnComplete``.
    interaction_status: bool = False
    #: A reply is a filler turn (``IN_PROGRESS``) then the answer (``IDLE``).
    extended_thinking: bool = False


_GEMINI_38: Final = ModelRules(
    default_behavior="NON_BLOCKING",
    thinking="rejected",
    rejects_proactive_audio_off=True,
    rejects_affective_dialog=True,
    audio_only=True,
    interaction_status=True,
)
MODEL_RULES: Final[dict[str, ModelRules]] = {
    "gemini-3.1-flash-live-preview": ModelRules(
        mid_session_client_content=False, parts_per_message=3
    ),
    "gemini-3.8-live": _GEMINI_38,
    "gemini-3.8-live-extended-thinking": attrs.evolve(
        _GEMINI_38, thinking="level_or_budget", extended_thinking=True
    ),
}
DEFAULT_RULES: Final = ModelRules()
_LEVELS: Final = frozenset({"LOW", "MEDIUM", "HIGH"})


def rules_for(model_id: str) -> ModelRules:
    """The rules of a model id (an unknown model gets the permissive defaults)."""
    return MODEL_RULES.get(model_id, DEFAULT_RULES)


def check_setup_for_model(setup: dict[str, Any], rules: ModelRules, modality: str) -> None:
    """Refuse (1007) a camelCased setup the model does not accept."""
    gen = setup.get("generationConfig") or {}
    thinking = gen.get("thinkingConfig")
    if rules.thinking == "rejected" and thinking is not None:
        raise Reject(1007, INVALID_ARGUMENT)
    if rules.thinking == "level_or_budget":
        thinking = thinking or {}
        level, budget = thinking.get("thinkingLevel"), thinking.get("thinkingBudget")
        if (level is None) == (budget is None) or (level is not None and level not in _LEVELS):
            raise Reject(1007, INVALID_ARGUMENT)
    if rules.rejects_affective_dialog and "enableAffectiveDialog" in gen:
        raise Reject(1007, INVALID_ARGUMENT)
    proactivity = setup.get("proactivity") or {}
    if rules.rejects_proactive_audio_off and proactivity.get("proactiveAudio") is False:
        raise Reject(1007, INVALID_ARGUMENT)
    if rules.audio_only and modality != "AUDIO":
        raise Reject(
            1007,
            "The requested combination of response modalities (TEXT) is not supported by the model",
        )
