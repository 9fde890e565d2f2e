"""Token accounting: each turn counted once (core rule 6).

``usageMetadata`` may ride on any message and may repeat within a turn; the last
snapshot of a turn is what the turn cost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from ._messages import ModalityTokenCount, UsageMetadata

__all__ = ["Usage"]


@attrs.frozen
class Usage:
    """Token totals; each turn counted once (rule 6)."""

    turns: int = 0
    prompt_token_count: int = 0
    cached_content_token_count: int = 0
    response_token_count: int = 0
    tool_use_prompt_token_count: int = 0
    thoughts_token_count: int = 0
    total_token_count: int = 0
    #: modality name -> tokens, for prompt and response details.
    prompt_by_modality: Mapping[str, int] = attrs.field(factory=dict)
    response_by_modality: Mapping[str, int] = attrs.field(factory=dict)

    def plus(self, snapshot: UsageMetadata) -> Usage:
        return Usage(
            turns=self.turns + 1,
            prompt_token_count=self.prompt_token_count + (snapshot.prompt_token_count or 0),
            cached_content_token_count=self.cached_content_token_count
            + (snapshot.cached_content_token_count or 0),
            response_token_count=self.response_token_count + (snapshot.response_token_count or 0),
            tool_use_prompt_token_count=self.tool_use_prompt_token_count
            + (snapshot.tool_use_prompt_token_count or 0),
            thoughts_token_count=self.thoughts_token_count + (snapshot.thoughts_token_count or 0),
            total_token_count=self.total_token_count + (snapshot.total_token_count or 0),
            prompt_by_modality=_add_details(
                self.prompt_by_modality, snapshot.prompt_tokens_details
            ),
            response_by_modality=_add_details(
                self.response_by_modality, snapshot.response_tokens_details
            ),
        )


def _add_details(
    totals: Mapping[str, int], details: Sequence[ModalityTokenCount] | None
) -> Mapping[str, int]:
    if not details:
        return totals
    merged = dict(totals)
    for detail in details:
        key = str(detail.modality or "MODALITY_UNSPECIFIED")
        merged[key] = merged.get(key, 0) + (detail.token_count or 0)
    return merged
