"""Energy-based voice activity detection (sans-IO, deterministic).

Why energy and not a model: tests need a VAD whose decisions are predictable from the
audio they send.  Time is *audio time* (samples received), never the wall clock, so
the same audio always yields the same events at the same ``audioOffset``.

Rules (10 ms frames, energy = mean absolute sample value):

* Start threshold: ``START_SENSITIVITY_HIGH`` (default) = 400, ``..._LOW`` = 1600.
  :func:`~live_actor.testing.speech` is >= 3000, a ``tone(amplitude=1000)`` is heard
  only with HIGH sensitivity.
* Start of speech commits after ``prefixPaddingMs`` (default 20 ms) of *continuous*
  loud frames; the activity's audio starts at the first loud frame and the
  ``ACTIVITY_START`` offset is that frame's start.
* End of speech commits after ``silenceDurationMs`` (default 500 ms) of quiet frames
  with ``END_SENSITIVITY_HIGH`` (default), twice as long with ``END_SENSITIVITY_LOW``.
  The ``ACTIVITY_END`` offset is the moment the end committed.
* ``flush()`` (``audioStreamEnd``) ends a running activity at once.
"""

from __future__ import annotations

from typing import Final

import attrs

from ._audio import INPUT_RATE

__all__ = ["ActivityEnd", "ActivityStart", "EnergyVad", "VadSettings"]

START_THRESHOLDS: Final = {"START_SENSITIVITY_HIGH": 400.0, "START_SENSITIVITY_LOW": 1600.0}
END_FACTORS: Final = {"END_SENSITIVITY_HIGH": 1.0, "END_SENSITIVITY_LOW": 2.0}
DEFAULT_PREFIX_MS: Final = 20
DEFAULT_SILENCE_MS: Final = 500


@attrs.frozen
class VadSettings:
    """The parts of ``realtimeInputConfig.automaticActivityDetection`` the VAD uses."""

    disabled: bool = False
    start_sensitivity: str = "START_SENSITIVITY_HIGH"
    end_sensitivity: str = "END_SENSITIVITY_HIGH"
    prefix_padding_ms: int = DEFAULT_PREFIX_MS
    silence_duration_ms: int = DEFAULT_SILENCE_MS


@attrs.frozen
class ActivityStart:
    """Speech began at ``offset`` seconds of this connection's audio stream."""

    offset: float


@attrs.frozen
class ActivityEnd:
    """Speech ended at ``offset``; ``audio`` is the activity's PCM (for transcription)."""

    offset: float
    audio: bytes


class EnergyVad:
    """Feeds PCM, returns start/end events. One instance per connection."""

    def __init__(self, settings: VadSettings, rate: int = INPUT_RATE) -> None:
        self.settings = settings
        self.rate = rate
        self._frame_bytes = 2 * (rate // 100)
        self._threshold = START_THRESHOLDS.get(settings.start_sensitivity, 400.0)
        self._prefix_frames = max(1, -(-max(0, settings.prefix_padding_ms) // 10))
        end_ms = settings.silence_duration_ms * END_FACTORS.get(settings.end_sensitivity, 1.0)
        self._silence_frames = max(1, -(-int(end_ms) // 10))
        self._pending = b""
        self._frames_seen = 0
        self._in_speech = False
        self._candidate: list[bytes] = []
        self._candidate_start = 0
        self._activity: list[bytes] = []
        self._quiet = 0

    @property
    def in_speech(self) -> bool:
        """Whether an activity is currently open."""
        return self._in_speech

    @property
    def audio_time(self) -> float:
        """Seconds of audio processed so far on this stream."""
        return self._frames_seen / 100.0

    def feed(self, pcm: bytes) -> list[ActivityStart | ActivityEnd]:
        """Consume PCM (any length) and return the events it caused, in order."""
        events: list[ActivityStart | ActivityEnd] = []
        data = self._pending + pcm if self._pending else pcm
        fb = self._frame_bytes
        end = len(data) - (len(data) % fb)
        view = memoryview(data)
        for pos in range(0, end, fb):
            frame = view[pos : pos + fb]
            event = self._frame(frame)
            if event is not None:
                events.append(event)
        self._pending = bytes(view[end:])
        return events

    def _frame(self, frame: memoryview) -> ActivityStart | ActivityEnd | None:
        samples = frame.cast("h")
        energy = sum(map(abs, samples)) / len(samples)
        loud = energy >= self._threshold
        index = self._frames_seen
        self._frames_seen += 1
        if not self._in_speech:
            if not loud:
                self._candidate.clear()
                return None
            if not self._candidate:
                self._candidate_start = index
            self._candidate.append(bytes(frame))
            if len(self._candidate) >= self._prefix_frames:
                self._in_speech = True
                self._activity = self._candidate
                self._candidate = []
                self._quiet = 0
                return ActivityStart(self._candidate_start / 100.0)
            return None
        self._activity.append(bytes(frame))
        self._quiet = 0 if loud else self._quiet + 1
        if self._quiet >= self._silence_frames:
            return self._end()
        return None

    def _end(self) -> ActivityEnd:
        audio = b"".join(self._activity)
        self._activity = []
        self._in_speech = False
        self._quiet = 0
        return ActivityEnd(self._frames_seen / 100.0, audio)

    def flush(self) -> list[ActivityStart | ActivityEnd]:
        """``audioStreamEnd``: close a running activity now (pending bytes included)."""
        if self._pending and self._in_speech:
            self._activity.append(self._pending)
        self._pending = b""
        self._candidate.clear()
        if self._in_speech:
            return [self._end()]
        return []
