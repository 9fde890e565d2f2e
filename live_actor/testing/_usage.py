"""Token accounting of one connection: the ``usageMetadata`` of every ``turnComplete``.

Deterministic, so tests can assert exact numbers: a text token is a word
(:func:`~live_actor.testing.count_tokens`), audio costs 25 tokens per second and video
258 tokens per frame (what ``turnCoverage`` put into the session's prompt).  The
prompt is the whole context the model sees when the turn starts.
"""

from __future__ import annotations

from typing import Any, Final

from ._model import count_tokens
from ._session import FakeSession
from ._setup import SessionConfig

__all__ = ["USAGE_KEYS", "UsageMeter"]

#: The totals of ``ServerConnection.usage``.
USAGE_KEYS: Final = ("promptTokenCount", "responseTokenCount", "totalTokenCount", "turns")

Prompt = tuple[int, int, int]


class UsageMeter:
    """Prompt counts and per-connection totals."""

    def __init__(self, config: SessionConfig, session: FakeSession) -> None:
        self._config = config
        self._session = session
        #: Totals over the connection (``ServerConnection.usage``).
        self.totals: dict[str, int] = dict.fromkeys(USAGE_KEYS, 0)

    def prompt(self) -> Prompt:
        """(text, audio, video) tokens of the context the model sees now."""
        text_tokens = count_tokens(self._config.system_instruction)
        for content in self._session.history:
            for part in content.get("parts") or []:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    text_tokens += count_tokens(part["text"])
        return text_tokens, self._session.audio_prompt_tokens, self._session.video_prompt_tokens

    def turn(self, prompt: Prompt, response: int, thoughts: int) -> dict[str, Any]:
        """The ``usageMetadata`` of a finished turn (and add it to the totals)."""
        text_tokens, audio_tokens, video_tokens = prompt
        prompt_total = text_tokens + audio_tokens + video_tokens
        details = [{"modality": "TEXT", "tokenCount": text_tokens}]
        if audio_tokens:
            details.append({"modality": "AUDIO", "tokenCount": audio_tokens})
        if video_tokens:
            details.append({"modality": "VIDEO", "tokenCount": video_tokens})
        usage: dict[str, Any] = {
            "promptTokenCount": prompt_total,
            "responseTokenCount": response,
            "totalTokenCount": prompt_total + response + thoughts,
            "promptTokensDetails": details,
            "responseTokensDetails": [{"modality": self._config.modality, "tokenCount": response}],
        }
        if thoughts:
            usage["thoughtsTokenCount"] = thoughts
        self.totals["promptTokenCount"] += prompt_total
        self.totals["responseTokenCount"] += response
        self.totals["totalTokenCount"] += usage["totalTokenCount"]
        self.totals["turns"] += 1
        return usage
