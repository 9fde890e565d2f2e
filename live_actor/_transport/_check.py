"""The Transport contract as an executable suite: :func:`check_transport`.

In the manner of ``trio.testing.check_two_way_stream``: given a factory of connected
``(client, server)`` pairs, run every rule the session layer relies on and raise
``AssertionError`` naming the first one broken.  The memory, trio-websocket and
``websockets`` transports all pass it; a new backend (or a test double) gets the
same checks for free.

The rules, each a function below:

* messages: ``str`` stays a text message and ``bytes`` a binary one (empty ones
  too), ``bytearray``/``memoryview`` go as bytes, anything else is a
  ``TypeError``; order is kept; large messages arrive whole; both directions work
  at once;
* closing, from either side: the closer's ``close_code``/``close_reason`` are its
  own at once, its ``receive``/``send`` raise ``TransportClosed(local=True)``,
  every time; the peer first receives what was sent before the close, then
  ``TransportClosed(code, reason, local=False)``, every time; a later ``aclose``
  by the peer keeps the first code; the closer's ``close_acknowledged`` is true
  once the peer answered, the peer's is false;
* ``aclose`` is idempotent and safe to call concurrently, rejects codes that may
  not be sent, clips long reasons, and wakes a task blocked in ``receive``; the
  peer's close wakes it too;
* with a *clogged* pair (the server reads nothing until asked): a send cancelled
  while it waits for room hands nothing over and leaves the connection usable
  (no frame torn, order kept); ``aclose(close_timeout=t)`` returns within ``t``
  although the peer never answers; a sender blocked on the full buffer is woken
  by our own close.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Final, TypeAlias

import anyio

from live_actor._transport._base import Transport, TransportClosed

__all__ = ["PairMaker", "check_transport"]

#: A factory of connected ``(client, server)`` pairs; the context closes both.
PairMaker: TypeAlias = Callable[[], AbstractAsyncContextManager[tuple[Transport, Transport]]]

_BOUND: Final = 30.0  # seconds any single check may take, however slow the machine
_SLACK: Final = 0.5  # how late a bounded aclose may return (scheduling, not waiting)


def _expect(condition: object, what: str) -> None:
    if not condition:
        raise AssertionError(f"check_transport: {what}")


async def _closed_error(operation: Callable[[], Awaitable[object]], what: str) -> TransportClosed:
    try:
        await operation()
    except TransportClosed as exc:
        return exc
    raise AssertionError(f"check_transport: {what} did not raise TransportClosed")


def _expect_closed(
    exc: TransportClosed, code: int | None, reason: str | None, local: bool, what: str
) -> None:
    _expect(type(exc.code) is int, f"{what}: the close code is a plain int")
    if code is not None:
        _expect(exc.code == code, f"{what}: code {exc.code}, expected {code}")
    if reason is not None:
        _expect(exc.reason == reason, f"{what}: reason {exc.reason!r}, expected {reason!r}")
    _expect(exc.local is local, f"{what}: local={exc.local}, expected {local}")


async def _round_trip(sender: Transport, receiver: Transport, frame: str | bytes) -> None:
    await sender.send(frame)
    got = await receiver.receive()
    _expect(type(got) is type(frame), f"{frame!r:.40} came back as {type(got).__name__}")
    _expect(got == frame, f"{frame!r:.40} came back changed")


async def _check_messages(client: Transport, server: Transport) -> None:
    for side in (client, server):
        _expect(isinstance(side, Transport), f"{side!r} implements the Transport protocol")
        _expect(side.cancel_safe_send is True, f"{side!r}.cancel_safe_send is True")
        _expect(side.close_code is None, "close_code is None while open")
        _expect(side.close_reason == "", "close_reason is '' while open")
        _expect(not side.close_acknowledged, "close_acknowledged is false while open")
    for sender, receiver in ((client, server), (server, client)):
        for frame in ("text", b"bytes", "", b"", "h\u00e9llo \u20ac \U0001f600", b"\x00\xff" * 3):
            await _round_trip(sender, receiver, frame)
        for view in (bytearray(b"array"), memoryview(b"view")):
            await sender.send(view)  # type: ignore[arg-type]
            _expect(await receiver.receive() == bytes(view), "bytearray/memoryview go as bytes")
        for bad in (1, None, ["x"]):
            try:
                await sender.send(bad)  # type: ignore[arg-type]
            except TypeError:
                pass
            else:
                raise AssertionError(f"check_transport: send({bad!r}) raised no TypeError")
        frames: list[str | bytes] = [f"m{i}" if i % 2 else b"m%d" % i for i in range(200)]
        for frame in frames:
            await sender.send(frame)
        received = [await receiver.receive() for _ in frames]
        _expect(received == frames, "200 mixed messages arrive in order")


async def _check_large(client: Transport, server: Transport, size: int) -> None:
    payload = bytes(range(256)) * (size // 256) + b"!" * (size % 256)
    text = "x" * size

    async def read_two(receiver: Transport, got: list[str | bytes]) -> None:
        got.append(await receiver.receive())
        got.append(await receiver.receive())

    for sender, receiver in ((client, server), (server, client)):
        got: list[str | bytes] = []
        async with anyio.create_task_group() as tg:
            tg.start_soon(read_two, receiver, got)
            await sender.send(payload)
            await sender.send(text)
        _expect(got == [payload, text], f"{size}-byte messages arrive whole, in order")


async def _check_both_directions_at_once(client: Transport, server: Transport) -> None:
    count = 300
    received: dict[str, list[str | bytes]] = {"client": [], "server": []}

    async def send_all(side: Transport, prefix: str) -> None:
        for i in range(count):
            await side.send(f"{prefix}{i}")

    async def receive_all(side: Transport, name: str) -> None:
        for _ in range(count):
            received[name].append(await side.receive())

    async with anyio.create_task_group() as tg:
        tg.start_soon(send_all, client, "c")
        tg.start_soon(send_all, server, "s")
        tg.start_soon(receive_all, client, "client")
        tg.start_soon(receive_all, server, "server")
    _expect(received["server"] == [f"c{i}" for i in range(count)], "client -> server in order")
    _expect(received["client"] == [f"s{i}" for i in range(count)], "server -> client in order")


async def _check_close(closer: Transport, peer: Transport, name: str) -> None:
    await closer.send("last words")
    await closer.aclose(4001, "bye now")
    what = f"after the {name}'s aclose(4001)"
    _expect(closer.close_code == 4001, f"{what}: its close_code is 4001")
    _expect(closer.close_reason == "bye now", f"{what}: its close_reason is 'bye now'")
    for attempt in ("first", "second"):
        exc = await _closed_error(closer.receive, f"{what}: its {attempt} receive()")
        _expect_closed(exc, 4001, "bye now", True, f"{what}: its {attempt} receive()")
    exc = await _closed_error(lambda: closer.send("late"), f"{what}: its send()")
    _expect_closed(exc, 4001, None, True, f"{what}: its send()")

    _expect(await peer.receive() == "last words", f"{what}: the peer first gets what was sent")
    for attempt in ("first", "second"):
        exc = await _closed_error(peer.receive, f"{what}: the peer's {attempt} receive()")
        _expect_closed(exc, 4001, "bye now", False, f"{what}: the peer's {attempt} receive()")
    _expect(peer.close_code == 4001, f"{what}: the peer's close_code is 4001")
    _expect(peer.close_reason == "bye now", f"{what}: the peer's close_reason")
    exc = await _closed_error(lambda: peer.send("late"), f"{what}: the peer's send()")
    _expect_closed(exc, 4001, None, False, f"{what}: the peer's send()")
    await peer.aclose(1000, "too late")
    _expect(peer.close_code == 4001, f"{what}: the peer's own aclose keeps code 4001")
    _expect(closer.close_acknowledged, f"{what}: the {name} saw its close acknowledged")
    _expect(not peer.close_acknowledged, f"{what}: the peer, which closed second, did not")


async def _check_aclose_rules(client: Transport, server: Transport) -> None:
    for code, error in (
        (1006, ValueError),
        (1005, ValueError),
        (999, ValueError),
        (5000, ValueError),
    ):
        try:
            await client.aclose(code)
        except error:
            pass
        else:
            raise AssertionError(f"check_transport: aclose({code}) raised no {error.__name__}")
    _expect(client.close_code is None, "a refused aclose() code leaves the connection open")
    await _round_trip(client, server, "still open")
    async with anyio.create_task_group() as tg:
        tg.start_soon(client.aclose, 4002, "first")
        tg.start_soon(client.aclose, 4003, "second")
        tg.start_soon(client.aclose)
    _expect(client.close_code in (4002, 4003, 1000), "concurrent aclose() calls all return")
    first = client.close_code
    await client.aclose(1011, "again")
    _expect(client.close_code == first, "a later aclose() does not change the close code")
    exc = await _closed_error(server.receive, "the server's receive() after the client closed")
    _expect(exc.code == first, "the peer sees the code of the first aclose()")


async def _check_long_reason(client: Transport, server: Transport) -> None:
    await client.aclose(1000, "\u00e9" * 100)
    _expect(len(client.close_reason.encode()) <= 123, "a long close reason is clipped")
    exc = await _closed_error(server.receive, "the peer's receive() after a long reason")
    _expect(exc.reason == client.close_reason, "the peer gets the clipped reason")


async def _check_close_wakes_receive(client: Transport, server: Transport, own: bool) -> None:
    errors: list[TransportClosed] = []

    async def reader() -> None:
        try:
            await client.receive()
        except TransportClosed as exc:
            errors.append(exc)

    async with anyio.create_task_group() as tg:
        tg.start_soon(reader)
        await anyio.wait_all_tasks_blocked()
        if own:
            await client.aclose(1000, "done")
        else:
            await server.aclose(1001, "going away")
    _expect(len(errors) == 1, "a receive() blocked during the close raises TransportClosed")
    if own:
        _expect_closed(errors[0], 1000, "done", True, "receive() woken by our aclose()")
    else:
        _expect_closed(errors[0], 1001, "going away", False, "receive() woken by the peer's close")


def _numbered(i: int, size: int) -> bytes:
    return (b"%08d" % i) * (size // 8)


async def _fill(client: Transport, size: int) -> tuple[list[int], int | None]:
    """Send numbered frames until a send blocks, then cancel it.

    Returns the numbers of the sends that returned and the number of the one
    cancelled (``None`` if it returned after all).
    """
    returned: list[int] = []
    pending: list[int] = []

    async def sender(scope: anyio.CancelScope) -> None:
        with scope:
            i = 0
            while True:
                pending[:] = [i]
                await client.send(_numbered(i, size))
                pending.clear()
                returned.append(i)
                i += 1

    scope = anyio.CancelScope()
    async with anyio.create_task_group() as tg:
        tg.start_soon(sender, scope)
        last = -1
        while len(returned) != last:  # until a send has stayed blocked across a full stop
            last = len(returned)
            await anyio.wait_all_tasks_blocked()
        scope.cancel()
    return returned, (pending[0] if pending else None)


async def _check_cancelled_send(client: Transport, server: Transport, size: int) -> None:
    returned, cancelled = await _fill(client, size)
    _expect(cancelled is not None, "with the peer not reading, a send eventually waits")

    async def send_more() -> None:
        await client.send(b"after")
        # A send in an already cancelled scope: all or nothing, and nothing torn.
        with anyio.CancelScope() as scope:
            scope.cancel()
            await client.send(b"maybe")
        await client.send(b"surely")

    async with anyio.create_task_group() as tg:
        tg.start_soon(send_more)  # the peer's buffer is full: these wait for our reads
        for i in returned:
            got = await server.receive()
            _expect(got == _numbered(i, size), f"frame {i} (sent before the cancel) arrived whole")
        got = await server.receive()
        _expect(
            got == b"after",
            "the cancelled send handed nothing over and the connection stayed usable "
            f"(got {got[:16]!r} after the last frame whose send returned)",
        )
        got = await server.receive()
        if got == b"maybe":
            got = await server.receive()
        _expect(got == b"surely", "a send in a cancelled scope is all or nothing")


async def _check_bounded_aclose(client: Transport, server: Transport, size: int) -> None:
    await _fill(client, size)
    limit = 0.5
    start = anyio.current_time()
    await client.aclose(1000, "bounded", close_timeout=limit)
    elapsed = anyio.current_time() - start
    _expect(
        elapsed <= limit + _SLACK,
        f"aclose(close_timeout={limit}) against a peer that reads nothing took {elapsed:.2f}s",
    )
    _expect(client.close_code == 1000, "our own code is kept when the peer never answered")
    for attempt in ("first", "second"):
        exc = await _closed_error(client.receive, f"receive() after a bounded aclose ({attempt})")
        _expect(exc.local, "after our aclose(), receive() raises TransportClosed(local=True)")
    await _closed_error(lambda: client.send(b"x"), "send() after a bounded aclose")
    # The peer drains what arrived, then learns the connection is over.
    with anyio.fail_after(_BOUND):
        while True:
            try:
                await server.receive()
            except TransportClosed:
                break


async def _check_close_wakes_blocked_send(client: Transport, server: Transport, size: int) -> None:
    errors: list[TransportClosed] = []

    async def blocked_sender() -> None:
        try:
            while True:
                await client.send(_numbered(0, size))
        except TransportClosed as exc:
            errors.append(exc)

    async with anyio.create_task_group() as tg:
        tg.start_soon(blocked_sender)
        await anyio.wait_all_tasks_blocked()
        await client.aclose(1000, "stop", close_timeout=0.5)
    _expect(len(errors) == 1, "our aclose() wakes a send blocked on a full buffer")
    _expect(errors[0].local, "the woken send raises TransportClosed(local=True)")


async def check_transport(
    make_pair: PairMaker,
    *,
    make_clogged_pair: PairMaker | None = None,
    large_message_size: int = 2 * 1024 * 1024 + 7,
    clog_frame_size: int = 64 * 1024,
) -> None:
    """Check the whole :class:`Transport` contract; ``AssertionError`` names a broken rule.

    ``make_pair`` returns an async context manager yielding a connected
    ``(client, server)`` pair and closing both on exit; every check gets a fresh
    pair, and both ends are checked (the server end must be a Transport too).
    ``make_clogged_pair``, if given, makes pairs whose server reads nothing from
    the connection until its ``receive`` is called and buffers little, so that the
    client's sends soon wait for room: it enables the checks of cancelled sends,
    of ``aclose`` bounded against a peer that never answers, and of a blocked
    sender woken by a close.  Runs on asyncio and trio (and on trio's
    ``MockClock`` for transports that do no real I/O).
    """

    async def run(
        maker: PairMaker, check: Callable[[Transport, Transport], Awaitable[None]]
    ) -> None:
        with anyio.fail_after(_BOUND):
            async with maker() as (client, server):
                await check(client, server)

    await run(make_pair, _check_messages)
    await run(make_pair, lambda c, s: _check_large(c, s, large_message_size))
    await run(make_pair, _check_both_directions_at_once)
    await run(make_pair, lambda c, s: _check_close(c, s, "client"))
    await run(make_pair, lambda c, s: _check_close(s, c, "server"))
    await run(make_pair, _check_aclose_rules)
    await run(make_pair, _check_long_reason)
    await run(make_pair, lambda c, s: _check_close_wakes_receive(c, s, own=True))
    await run(make_pair, lambda c, s: _check_close_wakes_receive(c, s, own=False))
    if make_clogged_pair is not None:
        size = clog_frame_size
        await run(make_clogged_pair, lambda c, s: _check_cancelled_send(c, s, size))
        await run(make_clogged_pair, lambda c, s: _check_bounded_aclose(c, s, size))
        await run(make_clogged_pair, lambda c, s: _check_close_wakes_blocked_send(c, s, size))
