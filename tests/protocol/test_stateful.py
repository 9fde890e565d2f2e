"""Hypothesis state machines for the supervisor's pure logic.

Properties: the stored resumption handle never regresses (only newer resumable
handles replace it); no function call is answered twice on a connection, and a
response the server's resumable state already holds is never sent again (a
response lost with its connection is replayed once on the next); every
accepted control message is sent at least once; restart intensity gives up
exactly when more than ``max_restarts`` restarts fall within ``period``.
"""

from __future__ import annotations

import json

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from live_actor import LocalProtocolError
from live_actor._protocol._core import SessionCore, SessionStatus
from live_actor._protocol._supervision import RestartIntensity
from live_actor.types import ClientContent, Content, FunctionResponse, Part, Setup, ToolResponse


class SessionLogic(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.core = SessionCore()
        self.handle_seq = 0
        self.best_handle = 0
        self.call_seq = 0
        self.open_calls: set[str] = set()
        self.answered_on_wire: dict[tuple[int, str], int] = {}
        self.covered_calls: set[str] = set()
        self.issued_on: dict[str, int] = {}
        self.texts_accepted: list[str] = []
        self.texts_on_wire: set[str] = set()
        self.connect()

    def _wire(self, frame: str) -> None:
        obj = json.loads(frame)
        for response in obj.get("toolResponse", {}).get("functionResponses", []):
            call_id = response["id"]
            # a response the resumed state already contains is never sent again
            assert call_id not in self.covered_calls, call_id
            key = (self.core.connection_number, call_id)
            self.answered_on_wire[key] = self.answered_on_wire.get(key, 0) + 1
        for turn in obj.get("clientContent", {}).get("turns", []):
            self.texts_on_wire.add(turn["parts"][0]["text"])

    def connect(self) -> None:
        self.core.start_connection()
        self.core.setup_frame(Setup(model="models/m"))
        self.core.receive(json.dumps({"setupComplete": {}}))
        for frame in self.core.replay_frames():
            self._wire(frame)

    @precondition(lambda self: self.core.status is SessionStatus.READY)
    @rule(resumable=st.booleans(), empty=st.booleans())
    def resumption_update(self, resumable: bool, empty: bool) -> None:
        self.handle_seq += 1
        update: dict[str, object] = {"resumable": resumable}
        if not empty:
            update["newHandle"] = f"h{self.handle_seq:06d}"
        self.core.receive(json.dumps({"sessionResumptionUpdate": update}))
        if resumable and not empty:
            self.best_handle = self.handle_seq
            # provably in the resumed state: answered on the connection that issued the call
            self.covered_calls |= {
                call_id
                for (conn, call_id) in self.answered_on_wire
                if conn == self.core.connection_number == self.issued_on.get(call_id)
            }

    @precondition(lambda self: self.core.status is SessionStatus.READY)
    @rule()
    def tool_call(self) -> None:
        self.call_seq += 1
        call_id = f"c{self.call_seq}"
        self.open_calls.add(call_id)
        self.issued_on[call_id] = self.core.connection_number
        self.core.receive(
            json.dumps({"toolCall": {"functionCalls": [{"id": call_id, "name": "f", "args": {}}]}})
        )

    @precondition(lambda self: bool(self.open_calls))
    @rule(data=st.data())
    def answer(self, data: st.DataObject) -> None:
        call_id = data.draw(st.sampled_from(sorted(self.open_calls)))
        message = ToolResponse(
            function_responses=(FunctionResponse(id=call_id, name="f", response={"ok": 1}),)
        )
        try:
            frame = self.core.send(message)
        except LocalProtocolError:
            return
        self.open_calls.discard(call_id)
        if frame is not None:
            self._wire(frame)

    @precondition(lambda self: bool(self.answered_on_wire))
    @rule(data=st.data())
    def answer_again(self, data: st.DataObject) -> None:
        call_id = data.draw(st.sampled_from(sorted(c for _, c in self.answered_on_wire)))
        message = ToolResponse(function_responses=(FunctionResponse(id=call_id, response={}),))
        try:
            frame = self.core.send(message)
        except LocalProtocolError:
            return
        if frame is not None:
            self._wire(frame)

    @rule(text=st.text(alphabet="abc", min_size=1, max_size=4), complete=st.booleans())
    def send_text(self, text: str, complete: bool) -> None:
        label = f"{len(self.texts_accepted)}:{text}"
        frame = self.core.send(
            ClientContent(
                turns=(Content(role="user", parts=(Part(text=label),)),), turn_complete=complete
            )
        )
        self.texts_accepted.append(label)
        if frame is not None:
            self._wire(frame)

    @precondition(lambda self: self.core.status is SessionStatus.READY)
    @rule()
    def model_turn(self) -> None:
        self.core.receive(json.dumps({"serverContent": {"modelTurn": {"parts": [{"text": "x"}]}}}))
        self.core.receive(json.dumps({"serverContent": {"turnComplete": True}}))

    @precondition(lambda self: self.core.status is SessionStatus.READY)
    @rule()
    def drop_and_reconnect(self) -> None:
        self.core.connection_lost()
        self.connect()

    @invariant()
    def handle_never_regresses(self) -> None:
        handle = self.core.resumption_handle
        if self.best_handle:
            assert handle == f"h{self.best_handle:06d}"
        else:
            assert handle is None

    @invariant()
    def no_call_answered_twice_on_a_connection(self) -> None:
        assert all(count == 1 for count in self.answered_on_wire.values()), self.answered_on_wire

    @invariant()
    def every_text_reaches_the_wire(self) -> None:
        if self.core.status is SessionStatus.READY:
            assert set(self.texts_accepted) <= self.texts_on_wire


TestSessionLogic = SessionLogic.TestCase
TestSessionLogic.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)


class IntensityLogic(RuleBasedStateMachine):
    @initialize(max_restarts=st.integers(0, 5), period=st.floats(1, 100))
    def start(self, max_restarts: int, period: float) -> None:
        self.intensity = RestartIntensity(max_restarts, period)
        self.now = 0.0
        self.history: list[float] = []
        self.max_restarts = max_restarts
        self.period = period

    @rule(step=st.floats(0, 50))
    def restart(self, step: float) -> None:
        self.now += step
        self.history.append(self.now)
        within = [t for t in self.history if self.now - t <= self.period]
        allowed = self.intensity.charge(self.now)
        assert allowed == (len(within) <= self.max_restarts)


TestIntensityLogic = IntensityLogic.TestCase
TestIntensityLogic.settings = settings(max_examples=100, deadline=None)
