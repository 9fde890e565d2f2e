"""live_actor: supervised, lossless actors for the Gemini Live API.

The top level holds what a session's user needs: the entry points
(:func:`open_session`, :class:`Supervisor`), the handle and what it returns,
configuration and policies, credentials, errors and lifecycle events.  The wire
classes and enums live in :mod:`live_actor.types`, the codec in
:mod:`live_actor.wire`; the transport seam in :mod:`live_actor.transports`, the
fake server in :mod:`live_actor.testing`, REST calls in :mod:`live_actor.rest`,
log tools in :mod:`live_actor.logs`.
"""

import typing as _typing

from . import types, wire
from ._actor import SessionOptions
from ._auth import (
    ApiKey,
    BearerToken,
    Credentials,
    CredentialsProvider,
    EphemeralToken,
    api_key_from_env,
    vertex_credentials,
)
from ._callbacks import Callbacks
from ._config import LiveConfig
from ._errors import (
    CallbackError,
    ConfigError,
    ConnectError,
    GaveUpError,
    LiveError,
    LocalProtocolError,
    MessageRejectedError,
    RemoteProtocolError,
    SessionClosedError,
    SetupRejectedError,
)
from ._events import Event, GaveUp, GoingAway, Reconnecting, Resumed
from ._handle import Receipt, SessionHandle, Turn
from ._protocol._entries import LedgerStats, SendOutcome
from ._protocol._state import SessionStatus
from ._protocol._supervision import RestartPolicy
from ._protocol._usage import Usage
from ._supervisor import Supervisor, open_session
from ._transport import TransportOptions
from ._version import __version__

__all__ = [
    "ApiKey",
    "BearerToken",
    "CallbackError",
    "Callbacks",
    "ConfigError",
    "ConnectError",
    "Credentials",
    "CredentialsProvider",
    "EphemeralToken",
    "Event",
    "GaveUp",
    "GaveUpError",
    "GoingAway",
    "LedgerStats",
    "LiveConfig",
    "LiveError",
    "LocalProtocolError",
    "MessageRejectedError",
    "Receipt",
    "Reconnecting",
    "RemoteProtocolError",
    "RestartPolicy",
    "Resumed",
    "SendOutcome",
    "SessionClosedError",
    "SessionHandle",
    "SessionOptions",
    "SessionStatus",
    "SetupRejectedError",
    "Supervisor",
    "TransportOptions",
    "Turn",
    "Usage",
    "__version__",
    "api_key_from_env",
    "open_session",
    "vertex_credentials",
]

#: Names that left the top level (version 0.1): old name -> its public home.
_MOVED: dict[str, str] = {
    "ActivityEnd": "types",
    "ActivityHandling": "types",
    "ActivityStart": "types",
    "AudioTranscriptionConfig": "types",
    "AutomaticActivityDetection": "types",
    "Behavior": "types",
    "Blob": "types",
    "ClientContent": "types",
    "ClientMessage": "types",
    "CodeExecutionResult": "types",
    "Content": "types",
    "ContextUpdate": "types",
    "ContextUpdateTools": "types",
    "ContextWindowCompressionConfig": "types",
    "EndSensitivity": "types",
    "ExecutableCode": "types",
    "FileData": "types",
    "FunctionCall": "types",
    "FunctionDeclaration": "types",
    "FunctionResponse": "types",
    "FunctionResponsePart": "types",
    "FunctionResponseScheduling": "types",
    "GenerationConfig": "types",
    "GoAway": "types",
    "GroundingMetadata": "types",
    "HistoryConfig": "types",
    "Language": "types",
    "MediaModality": "types",
    "MediaResolution": "types",
    "Modality": "types",
    "ModalityTokenCount": "types",
    "Outcome": "types",
    "Part": "types",
    "PrebuiltVoiceConfig": "types",
    "ProactivityConfig": "types",
    "RealtimeInput": "types",
    "RealtimeInputConfig": "types",
    "SafetySetting": "types",
    "ServerContent": "types",
    "ServerMessage": "types",
    "SessionResumptionConfig": "types",
    "SessionResumptionUpdate": "types",
    "Setup": "types",
    "SetupComplete": "types",
    "SlidingWindow": "types",
    "SpeechConfig": "types",
    "StartSensitivity": "types",
    "ThinkingConfig": "types",
    "ThinkingLevel": "types",
    "Tool": "types",
    "ToolCall": "types",
    "ToolCallCancellation": "types",
    "ToolResponse": "types",
    "Transcription": "types",
    "TranslationConfig": "types",
    "TurnCompleteReason": "types",
    "TurnCoverage": "types",
    "UrlContextMetadata": "types",
    "UrlMetadata": "types",
    "UsageMetadata": "types",
    "VadSignalType": "types",
    "VoiceActivity": "types",
    "VoiceActivityDetectionSignal": "types",
    "VoiceActivityType": "types",
    "VoiceConfig": "types",
    "decode_client_message": "wire",
    "decode_server_message": "wire",
    "encode_client_message": "wire",
    "encode_server_message": "wire",
}

if _typing.TYPE_CHECKING:
    # The moved names stay visible to type checkers while code migrates; at run
    # time they warn.
    from .types import *  # noqa: F403
    from .wire import *  # noqa: F403
else:

    def __getattr__(name: str) -> object:
        """The moved names, with a DeprecationWarning naming their new home."""
        home = _MOVED.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        import warnings

        warnings.warn(
            f"live_actor.{name} moved to live_actor.{home}.{name}; "
            f"import it from live_actor.{home}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(types if home == "types" else wire, name)
