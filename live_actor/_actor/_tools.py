"""The tool runner: ``on_tool_call`` in a task of its own per ``toolCall``.

Rules:

1. One task answers all calls of one ``toolCall``; it is cancelled once
   ``toolCallCancellation`` withdrew every one of them, and a response for a
   withdrawn call is never sent (a plain function that ignored the
   cancellation still has its answer held back).
2. The return value is the response (see :func:`tool_responses`); ``None``
   means the app answers later with ``send_tool_response``.
3. A tool never leaves the model waiting: when it raises, returns something
   that cannot be sent as JSON, or runs past ``tool_timeout``, every call it
   owed is answered with an error response (``{"error": "..."}``), so the model
   can say so, and a :class:`CallbackError` goes to ``on_error`` with the
   traceback in the ``live_actor.session.tool_error`` log event.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc

from .._errors import CallbackError, LiveError, SessionClosedError
from .._protocol._codec import encode_client_message, structure_config
from .._protocol._messages import FunctionResponse, ToolCall, ToolResponse, replace
from ._delivery import call_maybe_async

if TYPE_CHECKING:
    from .._telemetry._otel import SessionTelemetry

__all__ = ["ToolRunner", "tool_responses"]


class ToolRunner:
    """Runs ``on_tool_call`` for each ``toolCall`` (see the module rules)."""

    def __init__(
        self,
        tool: Callable[..., Any] | None,
        *,
        send: Callable[[ToolResponse], Awaitable[object]],
        report: Callable[[LiveError], None],
        timeout: float | None,
        telemetry: SessionTelemetry | None = None,
    ) -> None:
        self._tool = tool
        self._telemetry = telemetry
        self._send = send
        self._report = report
        self._timeout = timeout
        #: call id -> (cancel scope, all call ids) of the task answering it.
        self._scopes: dict[str, tuple[anyio.CancelScope, tuple[str, ...]]] = {}
        #: ids of running calls the server withdrew.
        self._withdrawn: set[str] = set()

    def start(
        self, tg: anyio.abc.TaskGroup, call: ToolCall, ids: tuple[str, ...], log: Any
    ) -> None:
        if self._tool is None:
            return
        scope = anyio.CancelScope()
        for call_id in ids:
            self._scopes[call_id] = (scope, ids)
        tg.start_soon(self._run, call, scope, ids, log)

    def cancel(self, ids: tuple[str, ...]) -> None:
        """Rule 1: ``toolCallCancellation`` for ``ids``."""
        for call_id in ids:
            task = self._scopes.get(call_id)
            if task is not None:
                self._withdrawn.add(call_id)
                scope, task_ids = task
                if self._withdrawn.issuperset(task_ids):
                    scope.cancel()

    def cancel_all(self) -> None:
        for scope, _ids in self._scopes.values():
            scope.cancel()

    async def _run(
        self, call: ToolCall, scope: anyio.CancelScope, ids: tuple[str, ...], log: Any
    ) -> None:
        assert self._tool is not None
        names = [c.name for c in call.function_calls or ()]
        started = anyio.current_time()
        outcome = "cancelled"  # until it is known to be anything else
        failure: BaseException | None = None
        span = None if self._telemetry is None else self._telemetry.tool_started(names, ids)
        try:
            result: Any = None
            with scope:
                if self._timeout is not None:
                    scope.deadline = started + self._timeout
                try:
                    result = await call_maybe_async(self._tool, call)
                except Exception as exc:
                    failure = exc
            if scope.cancelled_caught:
                if self._withdrawn.issuperset(ids) or not ids:
                    return
                outcome = "timeout"
                responses = error_responses(
                    call, f"the tool did not answer within {self._timeout:g}s", self._withdrawn
                )
            elif failure is not None:
                outcome = "error"
                responses = self._failed(call, failure, log, ids)
            else:
                outcome = "ok"
                try:
                    responses = [
                        r for r in tool_responses(call, result) if r.id not in self._withdrawn
                    ]
                    if responses:  # rule 3: a value that cannot be sent is a failure too
                        encode_client_message(ToolResponse(function_responses=tuple(responses)))
                except Exception as exc:
                    outcome, failure = "error", exc
                    responses = self._failed(call, exc, log, ids)
            if responses:
                await self._send(ToolResponse(function_responses=tuple(responses)))
        except SessionClosedError:
            pass
        finally:
            log.info(
                "live_actor.session.tool_result",
                ids=list(ids),
                names=names,
                duration=round(anyio.current_time() - started, 6),
                outcome=outcome,
            )
            if span is not None and self._telemetry is not None:
                self._telemetry.tool_finished(span, outcome, failure)
            for call_id in ids:
                self._scopes.pop(call_id, None)
                self._withdrawn.discard(call_id)

    def _failed(
        self, call: ToolCall, exc: BaseException, log: Any, ids: tuple[str, ...]
    ) -> list[FunctionResponse]:
        log.warning("live_actor.session.tool_error", error=repr(exc), ids=list(ids), exc_info=exc)
        error = CallbackError(
            f"on_tool_call failed: {type(exc).__name__}: {exc}", callback="on_tool_call"
        )
        error.__cause__ = exc
        self._report(error)
        return error_responses(call, f"{type(exc).__name__}: {exc}", self._withdrawn)


def error_responses(
    call: ToolCall, message: str, withdrawn: set[str] | frozenset[str] = frozenset()
) -> list[FunctionResponse]:
    """An ``{"error": message}`` response for every call of ``call`` not withdrawn."""
    return [
        FunctionResponse(id=fc.id, name=fc.name, response={"error": message})
        for fc in call.function_calls or ()
        if fc.id not in withdrawn
    ]


def tool_responses(tool_call: ToolCall, result: Any) -> list[FunctionResponse]:
    """Turn an ``on_tool_call`` return value into function responses.

    ``None`` is no response; a :class:`FunctionResponse`, a dict with
    ``id``/``name``/``response`` keys, or a list of them are responses; any
    other dict is the ``response`` of the call at its position, and any other
    value its ``{"output": value}``.  Missing ids and names are taken from the
    calls, by position.
    """
    if result is None:
        return []
    calls = list(tool_call.function_calls or ())
    items = list(result) if isinstance(result, list | tuple) else [result]
    responses: list[FunctionResponse] = []
    for position, item in enumerate(items):
        if isinstance(item, FunctionResponse):
            response = item
        elif isinstance(item, Mapping):
            if {"id", "name", "response"} & set(item):
                response = structure_config(item, FunctionResponse, what="tool response")
            else:
                response = FunctionResponse(response=dict(item))
        else:
            response = FunctionResponse(response={"output": item})
        if (response.id is None or response.name is None) and position < len(calls):
            call = calls[position]
            response = replace(
                response,
                id=response.id if response.id is not None else call.id,
                name=response.name if response.name is not None else call.name,
            )
        responses.append(response)
    return responses
