"""The turn engine of one connection: model replies, tool calls, usage, resumption updates.

One engine per connection, created when its setup succeeds.  It owns the model's side
of the conversation:

* **turns**: at most one reply runs at a time (a task with its own cancel scope);
  new user input interrupts it (``START_OF_ACTIVITY_INTERRUPTS``, the default) or is
  queued behind it (``NO_INTERRUPTION``).  An interruption sends ``interrupted``,
  cancels the turn's pending tool calls (``toolCallCancellation``) and ends the turn
  with ``turnComplete`` (no ``generationComplete``);
* **tools**: BLOCKING calls make the turn wait for their ``toolResponse``;
  NON_BLOCKING calls let it finish, and their responses start a new turn according to
  ``scheduling`` (``SILENT``: context only, ``WHEN_IDLE``: after the current turn,
  ``INTERRUPT``: at once).  A response for an unknown id closes with 1007; for a call
  issued earlier in the session (cancelled, or from a previous connection) it is
  ignored;
  A response for a call issued *after* the handle the session resumed from is
  unknown to the resumed state: ignored, and its ledger entry says so;
* **timing**: ``first_response_delay`` passes between a turn's start and its first
  output; gemini-3.8 extended thinking speaks a filler first and ends it with
  ``turnComplete`` + ``interactionStatus: IN_PROGRESS``; every ``turnComplete``
  carries ``interactionStatus`` on 3.8 models and the 3.x profile (``IN_PROGRESS``
  while a tool call is owed, else ``IDLE``);
* **usage** (``_usage``), **output** (``_output``) and **resumption updates**
  (``_resumption``, timed by the profile) are delegated.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any, Final

import trio

from ._model import DeclaredFunction, Reply, TurnContext, count_tokens
from ._output import ReplyWriter
from ._resumption import ResumptionUpdates
from ._services import Outbox, TurnServices
from ._session import FakeSession
from ._settings import FakeServerSettings
from ._setup import INVALID_ARGUMENT, Reject, SessionConfig, content_text
from ._usage import UsageMeter

__all__ = ["TurnEngine"]

#: The rounds a reply may go through tool calls before the model gives up.
MAX_TOOL_ROUNDS: Final = 8
SCHEDULING_ORDER: Final = ("SILENT", "WHEN_IDLE", "INTERRUPT")
#: What gemini-3.8 extended thinking says while it thinks.
FILLER: Final = "Let me think."
#: A toolResponse for calls the resumed state does not know (``LedgerEntry.ignored``).
UNKNOWN_TO_STATE: Final = "calls issued after the resumed handle"


class _Turn:
    __slots__ = (
        "audio_seconds",
        "call_ids",
        "prompt",
        "response_tokens",
        "scope",
        "thought_tokens",
        "user_text",
        "waiting",
        "wake",
    )

    def __init__(self, user_text: str, audio_seconds: float) -> None:
        self.user_text = user_text
        self.audio_seconds = audio_seconds
        self.scope = trio.CancelScope()
        self.response_tokens = 0
        self.thought_tokens = 0
        self.call_ids: list[str] = []
        self.prompt: tuple[int, int, int] | None = None
        self.waiting: set[str] = set()
        self.wake = trio.Event()


class _Pending:
    __slots__ = ("behavior", "name", "turn")

    def __init__(self, name: str, behavior: str, turn: _Turn) -> None:
        self.name = name
        self.behavior = behavior
        self.turn = turn


class TurnEngine:
    """The model's side of one connection (see the module docstring)."""

    def __init__(
        self,
        *,
        settings: FakeServerSettings,
        services: TurnServices,
        outbox: Outbox,
        config: SessionConfig,
        session: FakeSession,
        vertex: bool,
    ) -> None:
        self._settings = settings
        self._services = services
        self._out = outbox
        self._config = config
        self._session = session
        self._vertex = vertex
        self._reply: _Turn | None = None
        self._pending: dict[str, _Pending] = {}
        self._queued: deque[tuple[str, float]] = deque()
        timing, rules = settings.timing, config.rules
        self._status = timing.interaction_status or rules.interaction_status
        self._meter = UsageMeter(config, session)
        self._writer = ReplyWriter(
            settings=settings,
            outbox=outbox,
            config=config,
            parts_per_message=max(timing.parts_per_message, rules.parts_per_message),
        )
        self.updates = ResumptionUpdates(
            settings=settings, services=services, outbox=outbox, config=config, session=session
        )

    @property
    def usage(self) -> dict[str, int]:
        """Totals over the connection (``ServerConnection.usage``)."""
        return self._meter.totals

    @property
    def idle(self) -> bool:
        """No turn runs and no tool call is owed."""
        return self._reply is None and not self._pending

    @property
    def replying(self) -> bool:
        """Whether a model turn is running."""
        return self._reply is not None

    def cancel(self) -> None:
        """The connection closed: stop the running turn where it is."""
        if self._reply is not None:
            self._reply.scope.cancel()

    # ------------------------------------------------------------------ input

    async def user_input(self, text: str, audio_seconds: float, *, interrupt: bool = True) -> None:
        """A user turn ended (text or speech): reply, interrupting or queueing."""
        self._session.append_history({"role": "user", "parts": [{"text": text}]})
        if self._reply is not None:
            if interrupt and self._config.activity_handling != "NO_INTERRUPTION":
                await self.interrupt()
            else:
                self._queued.append((text, audio_seconds))
                return
        self._start_turn(text, audio_seconds)

    async def activity_started(self) -> None:
        """The user started speaking: barge in unless the setup said otherwise."""
        if self._reply is not None and self._config.activity_handling != "NO_INTERRUPTION":
            await self.interrupt()

    async def client_content(
        self, turns: list[dict[str, Any]], complete: bool, *, seed: bool = False
    ) -> None:
        """``clientContent``: history appended in order; ``turnComplete`` starts a reply.

        ``seed``: initial history (``historyConfig``): appended, never answered.
        """
        if self._reply is not None:
            await self.interrupt()
        last_user = ""
        for turn in turns:
            content = dict(turn)
            content.setdefault("role", "user")
            self._session.append_history(content)
            if content["role"] == "user":
                last_user = content_text(content)
        if complete and not seed:
            self._start_turn(last_user, 0.0)

    async def tool_response(self, body: dict[str, Any]) -> str | None:
        """``toolResponse``: wake BLOCKING turns, schedule NON_BLOCKING results.

        Returns why the whole message was ignored (None: it took effect).
        """
        frs = body.get("functionResponses")
        if not isinstance(frs, list) or not all(isinstance(fr, dict) for fr in frs):
            raise Reject(1007, INVALID_ARGUMENT)
        parts: list[dict[str, Any]] = []
        blocking_turns: list[_Turn] = []
        scheduling: str | None = None
        unknown: list[str] = []
        for fr in frs:
            call_id = self._call_id_of(fr)
            if call_id is None:
                continue
            pending = self._pending.get(call_id)
            if pending is None:
                if call_id in self._session.state_call_ids:
                    continue  # cancelled, or from a previous connection: no effect
                if call_id in self._session.issued_call_ids:
                    unknown.append(call_id)  # issued after the handle resumed from
                    continue
                raise Reject(1007, INVALID_ARGUMENT)
            response = fr.get("response")
            part = {"id": call_id, "name": fr.get("name") or pending.name, "response": response}
            parts.append({"functionResponse": part})
            if not fr.get("willContinue"):
                del self._pending[call_id]
            if pending.behavior == "NON_BLOCKING":
                sched = _scheduling_of(fr, response)
                if scheduling is None or SCHEDULING_ORDER.index(sched) > SCHEDULING_ORDER.index(
                    scheduling
                ):
                    scheduling = sched
            else:
                pending.turn.waiting.discard(call_id)
                blocking_turns.append(pending.turn)
        if not parts:
            return UNKNOWN_TO_STATE if unknown else None
        self._session.append_history({"role": "user", "parts": parts})
        await self.updates.tool_response_consumed()
        for turn in blocking_turns:
            if not turn.waiting:
                turn.wake.set()
        await self._schedule(scheduling)
        return None

    def _call_id_of(self, fr: dict[str, Any]) -> str | None:
        call_id = fr.get("id")
        if not call_id:
            if not self._vertex:  # the id is required on the Gemini API
                raise Reject(1007, INVALID_ARGUMENT)
            return next((i for i, p in self._pending.items() if p.name == fr.get("name")), None)
        if not isinstance(call_id, str):
            raise Reject(1007, INVALID_ARGUMENT)
        return call_id

    async def _schedule(self, scheduling: str | None) -> None:
        if scheduling == "INTERRUPT":
            if self._reply is not None and not self._reply.waiting:
                await self.interrupt()
            if self._reply is None:
                self._start_turn("", 0.0)
            else:
                self._queued.append(("", 0.0))
        elif scheduling == "WHEN_IDLE":
            if self._reply is None:
                self._start_turn("", 0.0)
            else:
                self._queued.append(("", 0.0))
        elif scheduling == "SILENT" and self._reply is None:
            await (self.updates.checkpoint() if self.idle else self.updates.busy())

    # ------------------------------------------------------------------ turns

    def _start_turn(self, user_text: str, audio_seconds: float) -> None:
        turn = _Turn(user_text, audio_seconds)
        self._reply = turn
        self._out.spawn(self._run_turn, turn)

    async def interrupt(self) -> None:
        """End the running turn now: ``interrupted``, cancellations, ``turnComplete``."""
        turn = self._reply
        if turn is None:
            return
        turn.scope.cancel()
        self._reply = None
        await self._out.emit({"serverContent": {"interrupted": True}})
        cancelled = [i for i in turn.call_ids if i in self._pending]
        for call_id in cancelled:
            del self._pending[call_id]
        if cancelled:
            await self._out.emit({"toolCallCancellation": {"ids": cancelled}})
        await self._turn_complete(turn)

    async def _run_turn(self, turn: _Turn) -> None:
        cfg, session = self._config, self._session
        with turn.scope:
            turn.prompt = self._meter.prompt()
            await self.updates.turn_started()
            if self._settings.first_response_delay > 0:
                await trio.sleep(self._settings.first_response_delay)
            if cfg.rules.extended_thinking:
                await self._filler(turn)
            for round_ in range(MAX_TOOL_ROUNDS):
                context = TurnContext(
                    history=session.history,
                    user_text=turn.user_text,
                    functions=dict(cfg.functions),
                    response_modality=cfg.modality,
                    system_instruction=cfg.system_instruction,
                    session_id=session.id,
                    audio_seconds=turn.audio_seconds,
                )
                reply: Reply = self._settings.responder.respond(context)
                if reply.thought and cfg.include_thoughts:
                    turn.thought_tokens += count_tokens(reply.thought)
                    await self._writer.thought(reply.thought)
                if reply.text:
                    # The model goes on after a tool response within the same turn:
                    # keep the words of the two generations apart.
                    spoken = reply.text if round_ == 0 else " " + reply.text
                    turn.response_tokens += await self._writer.speak(spoken)
                    session.append_history({"role": "model", "parts": [{"text": reply.text}]})
                if not reply.function_calls:
                    break
                await self._call_functions(turn, reply, cfg.functions)
                if not turn.waiting:
                    break
                await turn.wake.wait()
                turn.wake = trio.Event()
            # The turn is over before its last frames go out: input arriving while
            # they are queued starts a new turn instead of "interrupting" this one,
            # which would send a second turnComplete for the same turn.
            if self._reply is turn:
                self._reply = None
            await self._out.emit({"serverContent": {"generationComplete": True}})
            await self._turn_complete(turn)
            while self._queued and self._reply is None:
                text, seconds = self._queued.popleft()
                self._start_turn(text, seconds)

    async def _filler(self, turn: _Turn) -> None:
        """Extended thinking: a spoken filler, a ``turnComplete`` still IN_PROGRESS."""
        turn.response_tokens += await self._writer.speak(FILLER)
        self._session.append_history({"role": "model", "parts": [{"text": FILLER}]})
        await self._out.emit(
            {"serverContent": {"turnComplete": True, "interactionStatus": "IN_PROGRESS"}}
        )
        await self.updates.busy()
        await self._writer.pace()

    async def _turn_complete(self, turn: _Turn) -> None:
        """``turnComplete`` with usage (and ``interactionStatus``), then its update."""
        if turn.prompt is None:
            turn.prompt = self._meter.prompt()
        usage = self._meter.turn(turn.prompt, turn.response_tokens, turn.thought_tokens)
        content: dict[str, Any] = {"turnComplete": True}
        if self._status:
            content["interactionStatus"] = "IDLE" if self.idle else "IN_PROGRESS"
        await self._out.emit({"serverContent": content, "usageMetadata": usage})
        await self.updates.turn_completed(idle=self.idle)

    async def _call_functions(
        self, turn: _Turn, reply: Reply, functions: Mapping[str, DeclaredFunction]
    ) -> None:
        calls = []
        for request in reply.function_calls:
            call_id = self._services.next_call_id()
            self._session.call_issued(call_id)
            decl = functions.get(request.name)
            behavior = decl.behavior if decl is not None else "BLOCKING"
            self._pending[call_id] = _Pending(request.name, behavior, turn)
            turn.call_ids.append(call_id)
            if behavior != "NON_BLOCKING":
                turn.waiting.add(call_id)
            calls.append({"id": call_id, "name": request.name, "args": dict(request.args)})
        self._session.append_history(
            {"role": "model", "parts": [{"functionCall": call} for call in calls]}
        )
        await self._out.emit({"toolCall": {"functionCalls": calls}})


def _scheduling_of(fr: dict[str, Any], response: Any) -> str:
    sched = fr.get("scheduling")
    if sched is None and isinstance(response, dict):
        sched = response.get("scheduling")
    return sched if sched in SCHEDULING_ORDER else "WHEN_IDLE"
