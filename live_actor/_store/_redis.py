"""The Redis store: the store rules (``_api``) on a real Redis server, shared by a fleet.

``redis`` (redis-py, the ``fleet`` extra) talks to the server: ``redis.asyncio``
under asyncio; under trio its blocking client in worker threads (abandoned,
never waited for, when a call times out).  Every operation is one Lua script
(``_lua``), so every store call is one round trip, atomic on the server.

Durability: a write returns once Redis applied it; it survives a restart of
the server when Redis is configured with ``appendonly yes`` and ``appendfsync
always`` (the README's recommendation for the acknowledged-write promise).

Secrets: payloads are sealed (``_crypto``) before they leave the process; the
URL's password is never shown (``repr``, errors).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

import anyio
import anyio.to_thread
import sniffio

from .._errors import ConfigError
from . import _lua
from ._api import (
    Lease,
    LeaseLostError,
    SessionExistsError,
    SessionNotFoundError,
    SessionOwnedError,
    StoredSession,
    StoreError,
    StoreUnavailableError,
    Write,
)
from ._crypto import Key, sealer

__all__ = ["RedisStore"]

_SCRIPTS: Final = {
    "heartbeat": _lua.HEARTBEAT,
    "create": _lua.CREATE,
    "claim": _lua.CLAIM,
    "load": _lua.LOAD,
    "write": _lua.WRITE,
    "release": _lua.RELEASE,
    "end": _lua.END,
    "delete": _lua.DELETE,
    "orphans": _lua.ORPHANS,
}


_Arg = str | bytes | int


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisStore:
    """Sessions kept in Redis, so any worker of a fleet can continue them.

    ``key``: the encryption key (or keys, newest first) from
    :func:`~live_actor.stores.generate_key`; ``plaintext=True`` stores payloads
    unencrypted instead (tests, a Redis that is itself encrypted at rest).
    ``prefix`` namespaces the keys (one fleet per prefix).  ``lease_ttl``:
    seconds a worker's sessions stay its own without a heartbeat (adoption
    starts after it); ``retention``: seconds a record is kept after its last
    write; ``write_timeout``: seconds a write may take before the session treats
    the store as down (then it goes on, and writes again once it answers).
    """

    def __init__(
        self,
        url: str = "redis://localhost:6379/0",
        *,
        key: Key | Sequence[Key] | None = None,
        plaintext: bool = False,
        prefix: str = "live_actor",
        lease_ttl: float = 10.0,
        retention: float = 7200.0,
        write_timeout: float = 1.0,
        media_flush_interval: float | None = None,
        max_connections: int = 32,
    ) -> None:
        try:
            import redis  # noqa: F401
        except ImportError:
            raise ConfigError(
                "RedisStore needs redis-py: pip install 'live_actor[fleet]'"
            ) from None
        if lease_ttl <= 0 or retention <= 0 or write_timeout <= 0:
            raise ConfigError("lease_ttl, retention and write_timeout must be > 0 seconds")
        if write_timeout * 2 >= lease_ttl:
            raise ConfigError(
                f"write_timeout ({write_timeout:g}s) must be under half the lease_ttl"
                f" ({lease_ttl:g}s): a heartbeat must fit well within a lease"
            )
        if media_flush_interval is not None and media_flush_interval <= 0:
            raise ConfigError("media_flush_interval must be > 0 seconds, or None (never)")
        if not prefix or any(c in prefix for c in " \r\n"):
            raise ConfigError(f"prefix must be a non-empty word, got {prefix!r}")
        self._sealer = sealer(key, plaintext=plaintext)
        self._url = url
        self._prefix = prefix
        self.lease_ttl = lease_ttl
        self.retention = retention
        self.write_timeout = write_timeout
        self.media_flush_interval = media_flush_interval
        self._max_connections = max_connections
        self._async_client: Any = None
        self._async_scripts: dict[str, Any] = {}
        self._async_loop: object = None
        self._sync_client: Any = None
        self._sync_scripts: dict[str, Any] = {}
        self._limiter = anyio.CapacityLimiter(max_connections)

    def __repr__(self) -> str:
        return f"<RedisStore {_redacted(self._url)} prefix={self._prefix!r}>"

    # ---------------------------------------------------------------- plumbing

    def _client_options(self) -> dict[str, Any]:
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        return {
            "socket_timeout": self.write_timeout,
            "socket_connect_timeout": self.write_timeout,
            "retry": Retry(NoBackoff(), 0),  # our callers retry, bounded by leases
            "max_connections": self._max_connections,
        }

    async def _call(self, name: str, args: Sequence[_Arg], limit: float) -> Any:
        import redis.exceptions

        try:
            with anyio.fail_after(limit):
                if sniffio.current_async_library() == "asyncio":
                    return await self._call_asyncio(name, args)
                return await anyio.to_thread.run_sync(
                    functools.partial(self._call_sync, name, args),
                    abandon_on_cancel=True,
                    limiter=self._limiter,
                )
        except (TimeoutError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            raise StoreUnavailableError(
                f"Redis at {_redacted(self._url)} did not answer within {limit:g}s"
            ) from None
        except redis.exceptions.RedisError as exc:
            raise StoreError(f"Redis refused a store operation ({name}): {exc}") from None

    async def _call_asyncio(self, name: str, args: Sequence[_Arg]) -> Any:
        import asyncio

        import redis.asyncio

        loop = asyncio.get_running_loop()
        if self._async_client is None or self._async_loop is not loop:
            self._async_client = redis.asyncio.Redis.from_url(self._url, **self._client_options())
            self._async_loop = loop
            self._async_scripts = {
                n: self._async_client.register_script(text) for n, text in _SCRIPTS.items()
            }
        return await self._async_scripts[name](keys=[], args=list(args))

    def _call_sync(self, name: str, args: Sequence[_Arg]) -> Any:
        import redis

        if self._sync_client is None:
            self._sync_client = redis.Redis.from_url(self._url, **self._client_options())
            self._sync_scripts = {
                n: self._sync_client.register_script(text) for n, text in _SCRIPTS.items()
            }
        return self._sync_scripts[name](keys=[], args=list(args))

    @property
    def _read_timeout(self) -> float:
        return max(5.0, self.write_timeout)

    # ------------------------------------------------------------------ leases

    async def heartbeat(
        self, worker: str, owned: Collection[str] = (), *, first: bool = False
    ) -> frozenset[str]:
        ttl_ms = int(self.lease_ttl * 1000)
        args: list[_Arg] = [self._prefix, worker, ttl_ms, "1" if first else "0", *owned]
        reply = await self._call("heartbeat", args, self.write_timeout)
        return frozenset(_text(item) for item in reply)

    async def create(self, session_id: str, worker: str, *, config: bytes, state: bytes) -> Lease:
        seal = self._sealer.seal
        args: list[_Arg] = [self._prefix, session_id, worker, seal(config), seal(state)]
        reply = await self._call("create", [*args, int(self.retention * 1000)], self.write_timeout)
        status = _text(reply[0])
        if status == "owned":
            raise SessionOwnedError(
                f"session {session_id!r} is owned by a live worker", owner=_text(reply[1])
            )
        if status == "exists":
            raise SessionExistsError(
                f"session {session_id!r} is stored already: adopt it (sup.adopt) or"
                " delete it (store.delete) before starting a new one with this id"
            )
        return Lease(session_id, worker, int(reply[1]))

    async def claim(self, session_id: str, worker: str) -> Lease:
        reply = await self._call("claim", [self._prefix, session_id, worker], self.write_timeout)
        status = _text(reply[0])
        if status == "missing":
            raise SessionNotFoundError(f"no stored session {session_id!r}")
        if status == "owned":
            raise SessionOwnedError(
                f"session {session_id!r} is owned by a live worker", owner=_text(reply[1])
            )
        return Lease(session_id, worker, int(reply[1]))

    async def load(self, session_id: str) -> StoredSession:
        reply = await self._call("load", [self._prefix, session_id], self._read_timeout)
        if _text(reply[0]) == "missing":
            raise SessionNotFoundError(f"no stored session {session_id!r}")
        open_ = self._sealer.open
        _status, config, state, transcript, owner, token, flat = reply
        entries = {int(flat[i]): open_(flat[i + 1]) for i in range(0, len(flat), 2)}
        return StoredSession(
            session_id,
            open_(config),
            open_(state),
            open_(transcript) if transcript else None,
            entries,
            _text(owner) or None,
            int(token),
        )

    # ------------------------------------------------------------------ writes

    def _fenced(self, reply: Any, lease: Lease) -> None:
        if _text(reply[0]) == "fenced":
            raise LeaseLostError(
                f"session {lease.session_id!r} was adopted by another worker or deleted"
            )

    async def write(self, lease: Lease, write: Write) -> None:
        seal = self._sealer.seal
        args: list[_Arg] = [
            self._prefix,
            lease.session_id,
            lease.token,
            int(self.retention * 1000),
            seal(write.state) if write.state is not None else "",
            seal(write.transcript) if write.transcript is not None else "",
            "1" if write.replace_entries else "0",
            write.serial,
            len(write.put),
        ]
        for seq, frame in write.put.items():
            args += [seq, seal(frame)]
        args += list(write.drop)
        self._fenced(await self._call("write", args, self.write_timeout), lease)

    async def release(self, lease: Lease) -> None:
        args: list[_Arg] = [self._prefix, lease.session_id, lease.token, lease.worker]
        self._fenced(await self._call("release", args, self.write_timeout), lease)

    async def end(self, lease: Lease) -> None:
        args: list[_Arg] = [self._prefix, lease.session_id, lease.token, lease.worker]
        self._fenced(await self._call("end", args, self.write_timeout), lease)

    async def delete(self, session_id: str) -> bool:
        reply = await self._call("delete", [self._prefix, session_id], self.write_timeout)
        return int(reply) > 0

    async def orphans(self, limit: int = 100) -> list[str]:
        reply = await self._call("orphans", [self._prefix, limit], self._read_timeout)
        return [_text(item) for item in reply]

    async def aclose(self) -> None:
        client, self._async_client = self._async_client, None
        if client is not None:
            with anyio.move_on_after(self.write_timeout, shield=True):
                await client.aclose()
        sync, self._sync_client = self._sync_client, None
        if sync is not None:
            await anyio.to_thread.run_sync(sync.close, abandon_on_cancel=True)
