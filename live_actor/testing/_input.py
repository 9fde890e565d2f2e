"""The user's side of one connection: content, realtime input, VAD, activity, coverage.

One handler per connection, created when its setup succeeds.  It turns client
messages into user turns for the :class:`~live_actor.testing._turns.TurnEngine`:

* ``clientContent``: turns appended to the history in order; ``turnComplete: true``
  starts a reply (and interrupts a running one).  With
  ``historyConfig.initialHistoryInClientContent`` the first ``clientContent``
  messages *seed* the history: plain text turns only (a function call or response
  part, or any other part, closes with 1007), never answered; the seed ends with a
  ``turnComplete: true`` or the first realtime input.  A model without mid-session
  ``clientContent`` (gemini-3.1) closes with 1007 on one after the seed or after
  realtime input started;
* ``realtimeInput.text``: one user turn;
* ``realtimeInput.audio``/``mediaChunks``: fed to the energy VAD (``_vad``) unless
  automatic activity detection is disabled; a detected activity is transcribed
  (``_audio``), reported as ``inputTranscription`` when the setup asked for it, and
  becomes a user turn.  Sound the fake cannot decode (a real recording, a tone) is
  transcribed as a placeholder naming its length (``"[speech 1.24 s]"``), as the
  service transcribes whatever it hears; the model still sees no words in it.
  ``voiceActivity`` start/end messages carry audio offsets;
* ``activityStart``/``activityEnd`` (manual VAD only; with automatic VAD on they
  close with 1007): the audio between them is one user turn;
* ``audioStreamEnd``: ends a running activity at once;
* video frames are counted (and mark the session as a video session, whose duration
  limit is shorter);
* ``turnCoverage`` decides what a voice turn holds: only the activity (default), all
  input since the last turn, or the speech with all video frames; the session's prompt
  token count grows accordingly;
* ``contextUpdate``: replaces the system instruction and/or the tool list.
"""

from __future__ import annotations

import re
from typing import Any, Final

from ._audio import transcribe
from ._ledger import REALTIME_FIELDS
from ._services import Outbox
from ._session import FakeSession
from ._setup import (
    INVALID_ARGUMENT,
    MANUAL_ACTIVITY,
    Reject,
    SessionConfig,
    content_text,
    parse_tools,
)
from ._turns import TurnEngine
from ._vad import ActivityEnd, ActivityStart, EnergyVad
from ._wire import b64decode_lenient, format_duration

__all__ = ["InputHandler"]

AUDIO_TOKENS_PER_SECOND: Final = 25
VIDEO_TOKENS_PER_FRAME: Final = 258
_RATE = re.compile(r"rate=(\d+)")


class InputHandler:
    """The user's side of one connection (see the module docstring)."""

    def __init__(
        self,
        *,
        outbox: Outbox,
        config: SessionConfig,
        session: FakeSession,
        turns: TurnEngine,
    ) -> None:
        self._out = outbox
        self._config = config
        self._session = session
        self._turns = turns
        #: Seconds of audio received / received while nobody listened (manual VAD
        #: outside an activity) / video frames received, on this connection.
        self.audio_seconds = 0.0
        self.ignored_audio_seconds = 0.0
        self.video_frames = 0
        # What the next voice-activity turn may cover (see _covered_input).
        self._in_activity = False
        self._audio_since_turn = 0.0
        self._frames_since_turn = 0
        self._frames_in_activity = 0
        self._vad: EnergyVad | None = None
        self._manual_active = False
        self._manual_audio: list[bytes] = []
        self._seeding = config.initial_history
        self._realtime_started = False

    # ------------------------------------------------------------------ messages

    async def client_content(self, body: dict[str, Any]) -> None:
        """``clientContent``: validated here, applied by the turn engine."""
        turns = body.get("turns") or []
        if not isinstance(turns, list) or not all(isinstance(t, dict) for t in turns):
            raise Reject(1007, INVALID_ARGUMENT)
        complete = body.get("turnComplete", False)
        if not isinstance(complete, bool):
            raise Reject(1007, INVALID_ARGUMENT)
        if self._seeding:
            if not all(_plain_text(turn) for turn in turns):
                raise Reject(1007, INVALID_ARGUMENT)
            self._seeding = not complete
            await self._turns.client_content(turns, complete, seed=True)
            return
        if not self._config.rules.mid_session_client_content and (
            self._realtime_started or self._config.initial_history
        ):
            raise Reject(1007, INVALID_ARGUMENT)
        await self._turns.client_content(turns, complete)

    async def realtime(self, body: dict[str, Any]) -> None:
        """``realtimeInput``: each present field, in the documented order."""
        self._seeding = False
        self._realtime_started = True
        for field in REALTIME_FIELDS:
            if field not in body:
                continue
            value = body[field]
            if field == "mediaChunks":
                if not isinstance(value, list):
                    raise Reject(1007, INVALID_ARGUMENT)
                for blob in value:
                    await self._blob(blob, None)
            elif field in ("audio", "video"):
                await self._blob(value, field)
            elif field == "text":
                if not isinstance(value, str):
                    raise Reject(1007, INVALID_ARGUMENT)
                await self._turns.user_input(value, 0.0)
            elif field in ("activityStart", "activityEnd"):
                if not self._config.vad.disabled:
                    raise Reject(1007, MANUAL_ACTIVITY)
                if field == "activityStart":
                    await self._manual_start()
                else:
                    await self._manual_end()
            elif (
                field == "audioStreamEnd"
                and self._vad is not None
                and not self._config.vad.disabled
            ):
                for event in self._vad.flush():
                    await self._vad_event(event)

    def context_update(self, body: dict[str, Any]) -> None:
        """``contextUpdate``: a new system instruction and/or tool list."""
        if "systemInstruction" in body:
            self._config.system_instruction = content_text(body["systemInstruction"])
        if "tools" in body:
            tools = body["tools"]
            if isinstance(tools, dict):
                tools = tools.get("tools") or []
            self._config.functions = parse_tools(tools, self._config.rules.default_behavior)

    # ------------------------------------------------------------------ media

    async def _blob(self, blob: Any, field: str | None) -> None:
        if not isinstance(blob, dict):
            raise Reject(1007, INVALID_ARGUMENT)
        mime = blob.get("mimeType") or ""
        data = blob.get("data") or ""
        if not isinstance(mime, str) or not isinstance(data, str):
            raise Reject(1007, INVALID_ARGUMENT)
        try:
            raw = b64decode_lenient(data)
        except ValueError:
            raise Reject(1007, INVALID_ARGUMENT) from None
        is_audio = mime.startswith("audio/") if field is None else field == "audio"
        if not is_audio:
            self.video_frames += 1
            self._frames_since_turn += 1
            self._frames_in_activity += self._in_activity
            if not self._session.used_video:
                self._session.used_video = True
                self._out.wake_timer()  # the shorter video duration limit applies now
            return
        if mime and not mime.startswith("audio/"):
            raise Reject(1007, INVALID_ARGUMENT)
        m = _RATE.search(mime)
        rate = int(m.group(1)) if m else 16_000
        await self._audio(raw, rate)

    async def _audio(self, pcm: bytes, rate: int) -> None:
        seconds = len(pcm) / 2 / rate
        self.audio_seconds += seconds
        self._audio_since_turn += seconds
        self._session.used_audio = True
        if self._config.vad.disabled:
            if self._manual_active:
                self._manual_audio.append(pcm)
            else:
                self.ignored_audio_seconds += seconds
            return
        if self._vad is None or self._vad.rate != rate:
            self._vad = EnergyVad(self._config.vad, rate)
        for event in self._vad.feed(pcm):
            await self._vad_event(event)

    async def _vad_event(self, event: ActivityStart | ActivityEnd) -> None:
        kind = "ACTIVITY_START" if isinstance(event, ActivityStart) else "ACTIVITY_END"
        offset = format_duration(event.offset)
        await self._out.emit({"voiceActivity": {"type": kind, "audioOffset": offset}})
        if isinstance(event, ActivityStart):
            await self._activity_started()
        else:
            rate = self._vad.rate if self._vad is not None else 16_000
            await self._activity_ended(event.audio, rate)

    # ---------------------------------------------------------------- activity

    async def _manual_start(self) -> None:
        self._manual_active = True
        self._manual_audio = []
        await self._activity_started()

    async def _manual_end(self) -> None:
        if not self._manual_active:
            return
        self._manual_active = False
        audio = b"".join(self._manual_audio)
        self._manual_audio = []
        await self._activity_ended(audio, 16_000)

    async def _activity_started(self) -> None:
        self._in_activity = True
        await self._turns.activity_started()

    async def _activity_ended(self, audio: bytes, rate: int) -> None:
        text = transcribe(audio)
        speech_seconds = len(audio) / 2 / rate
        seconds, frames = self._covered_input(speech_seconds)
        heard = text or (f"[speech {speech_seconds:.2f} s]" if audio else "")
        if self._config.input_transcription and heard:
            await self._out.emit(
                {"serverContent": {"inputTranscription": {"text": heard, "finished": True}}}
            )
        self._session.audio_prompt_tokens += round(seconds * AUDIO_TOKENS_PER_SECOND)
        self._session.video_prompt_tokens += frames * VIDEO_TOKENS_PER_FRAME
        await self._turns.user_input(text, seconds, interrupt=False)

    def _covered_input(self, speech_seconds: float) -> tuple[float, int]:
        """(audio seconds, video frames) the turn that just ended holds.

        ``turnCoverage`` decides: only the activity (the speech, the frames sent
        during it), all input since the last turn, or the speech with all frames.
        """
        coverage = self._config.turn_coverage
        seconds = speech_seconds
        if coverage == "TURN_INCLUDES_ALL_INPUT":
            seconds = max(speech_seconds, self._audio_since_turn)
        frames = (
            self._frames_in_activity
            if coverage == "TURN_INCLUDES_ONLY_ACTIVITY"
            else self._frames_since_turn
        )
        self._in_activity = False
        self._audio_since_turn = 0.0
        self._frames_since_turn = self._frames_in_activity = 0
        return seconds, frames


def _plain_text(turn: dict[str, Any]) -> bool:
    """A seeded turn may only hold text parts."""
    parts = turn.get("parts") or []
    return isinstance(parts, list) and all(
        isinstance(p, dict) and set(p) == {"text"} and isinstance(p["text"], str) for p in parts
    )
