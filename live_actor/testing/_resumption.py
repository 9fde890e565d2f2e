"""Resumption updates of one connection, timed by the server's profile (``_profiles``).

A handle is a checkpoint of the session *as it is when the handle is issued* (see
``_session``), so *when* an update goes out decides what a resumption restores:

* ``checkpoint()``: the connection is idle (after ``setupComplete``, after an idle
  ``turnComplete``): a resumable handle at once;
* ``turn_started()`` / ``busy()``: the model works: ``{}`` on the Developer API
  (``{"resumable": false}`` with ``busy_resumption_update="resumable_false"``), a
  resumable mid-answer handle on Vertex (it holds the question, not the answer);
* ``turn_completed(idle)``: as ``checkpoint()``/``busy()``, except on Vertex where the
  handle follows 20-70 ms later (seeded; the clock is the server's);
* ``tool_response_consumed()``: 3.x models checkpoint right there, before the answer.

Nothing is sent when the setup did not ask for ``sessionResumption``, except on the
3.x profile (the service sends updates nobody asked for).  With ``transparent`` every
update carries ``lastConsumedClientMessageIndex``.
"""

from __future__ import annotations

import random
from typing import Any

import trio

from ._services import Outbox, TurnServices
from ._session import FakeSession
from ._settings import FakeServerSettings
from ._setup import SessionConfig

__all__ = ["ResumptionUpdates"]


class ResumptionUpdates:
    """When and what a connection says in ``sessionResumptionUpdate``."""

    def __init__(
        self,
        *,
        settings: FakeServerSettings,
        services: TurnServices,
        outbox: Outbox,
        config: SessionConfig,
        session: FakeSession,
    ) -> None:
        self._profile = settings.timing
        self._explicit_busy = settings.busy_resumption_update == "resumable_false"
        self._services = services
        self._out = outbox
        self._config = config
        self._session = session
        self._rng = random.Random(f"{settings.seed}:{outbox.number}")
        self.enabled = config.resumption or self._profile.unrequested_updates

    async def checkpoint(self) -> None:
        """The connection is idle: a resumable handle now."""
        if self.enabled:
            await self._handle()

    async def busy(self) -> None:
        """The model works (or a tool call is owed): not resumable, except on Vertex."""
        if not self.enabled:
            return
        if self._profile.always_resumable:
            await self._handle()
        else:
            await self._send({"resumable": False} if self._explicit_busy else {})

    async def turn_started(self) -> None:
        """A model turn starts (generation begins)."""
        await self.busy()

    async def turn_completed(self, *, idle: bool) -> None:
        """``turnComplete`` went out; ``idle``: no turn runs and no tool call is owed."""
        if not self.enabled:
            return
        low, high = self._profile.handle_delay
        if high > 0:
            self._out.spawn(self._late_handle, self._rng.uniform(low, high))
        elif idle:
            await self._handle()
        else:
            await self.busy()

    async def tool_response_consumed(self) -> None:
        """A ``toolResponse`` took effect (3.x: checkpoint before the answer)."""
        if self.enabled and self._profile.handle_after_tool_response:
            await self._handle()

    async def _late_handle(self, delay: float) -> None:
        await trio.sleep(delay)
        await self._handle()

    async def _handle(self) -> None:
        handle = self._services.issue_handle(
            self._session,
            server_connection=self._out.number,
            last_consumed_index=self._out.last_consumed_index,
        )
        await self._send({"newHandle": handle, "resumable": True})

    async def _send(self, update: dict[str, Any]) -> None:
        if self._config.transparent:
            update["lastConsumedClientMessageIndex"] = str(self._out.last_consumed_index)
        await self._out.emit({"sessionResumptionUpdate": update})
