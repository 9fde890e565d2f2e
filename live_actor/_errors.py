"""The exception tree of live_actor.

Split the way h11 splits it: :class:`LocalProtocolError` means *our caller* did
something the protocol does not allow (a programming error to fix in user code),
:class:`RemoteProtocolError` means *the peer* sent something we cannot accept.
Everything else describes why a session could not be used.  Every exception a
user can see derives from :class:`LiveError`, so one ``except`` clause is enough.

No exception text ever contains a credential: messages are built from codes,
reasons and field names only.
"""

from __future__ import annotations

__all__ = [
    "CallbackError",
    "ConfigError",
    "ConnectError",
    "GaveUpError",
    "LiveError",
    "LocalProtocolError",
    "MessageRejectedError",
    "RemoteProtocolError",
    "SessionClosedError",
    "SetupRejectedError",
]


class LiveError(Exception):
    """Base class of every error raised by live_actor."""


class ConfigError(LiveError, ValueError):
    """A configuration cannot work; the message says what to change.

    Raised before any network activity.
    """


class LocalProtocolError(LiveError):
    """The caller asked for something the protocol or the session state forbids."""


class CallbackError(LiveError):
    """A callback or ``on_tool_call`` function raised; the session goes on.

    ``callback`` names it; ``__cause__`` is the exception it raised.
    """

    def __init__(self, message: str, *, callback: str) -> None:
        super().__init__(message)
        self.callback = callback


class RemoteProtocolError(LiveError):
    """The server sent a frame we cannot decode.

    ``field`` is the dotted JSON path of the offending value when known
    (``"serverContent.modelTurn.parts[0].inlineData.data"``), else ``None``.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ConnectError(LiveError):
    """The session could not be established (dial, handshake or setup failed).

    ``code`` and ``reason`` are the WebSocket close code and reason when the
    server closed the socket, or ``None``/``""`` for dial errors and timeouts;
    ``status`` is the HTTP status when the WebSocket upgrade was refused.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        reason: str = "",
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.status = status


class MessageRejectedError(LiveError):
    """The server closed a running session because of a message (1007/1008 after
    ``setupComplete``).  Not fatal: the message that caused it (the last control
    message sent, when there is one) is dropped so the resumed session does not
    get it again (``message_id`` is its ledger id, ``None`` when none could be
    identified), and the session resumes (a charged restart).  Reported to
    ``on_error``; a session that keeps being refused gives up by restart
    intensity.
    """

    def __init__(
        self, message: str, *, code: int | None, reason: str, message_id: int | None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message_id = message_id


class SessionClosedError(LiveError):
    """The session is closed (by the user, the server, or after giving up).

    ``code``/``reason`` carry the last close code and reason when known.
    """

    def __init__(
        self, message: str = "session is closed", *, code: int | None = None, reason: str = ""
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason


class SetupRejectedError(ConnectError, SessionClosedError):
    """The server rejected the setup, the credentials or a request (1007/1008,
    or an HTTP 4xx refusing the WebSocket upgrade, in ``status``).

    Fatal: never retried, the same request would be rejected again.  Raised by
    ``connect()`` when the first connection is refused, and set as the
    session's ``error`` (it is also a :class:`SessionClosedError`) when a
    running session is closed that way.
    """


class GaveUpError(SessionClosedError):
    """The supervisor stopped restarting the session (fatal exit or restart intensity)."""
