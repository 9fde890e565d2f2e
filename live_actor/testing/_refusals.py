"""The service's refusals: close codes with their exact reason texts.

Why a module of its own: every part of the fake refuses something (the setup, a
message, a resumption), and the reason texts are what client code is tested against.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "BAD_HANDLE",
    "INTERNAL",
    "INVALID_ARGUMENT",
    "MANUAL_ACTIVITY",
    "SESSION_LIMIT",
    "VOICE_CONSENT",
    "Reject",
    "invalid",
]

INVALID_ARGUMENT: Final = "Request contains an invalid argument."
INTERNAL: Final = "Internal error occurred."
BAD_HANDLE: Final = "Session resumption handle is invalid or has expired."
SESSION_LIMIT: Final = "Session duration limit exceeded."
MANUAL_ACTIVITY: Final = (
    "Explicit activity control is not supported when automatic activity detection is enabled."
)
VOICE_CONSENT: Final = (
    "The voice consent signature is missing, invalid or expired: send the signature "
    "from setupComplete.voiceConsentSignature in every later setup."
)


class Reject(Exception):
    """Close the connection with ``code`` and ``reason`` (a refusal the service would make)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code} {reason}")
        self.code = code
        self.reason = reason


def invalid() -> Reject:
    """The generic 1007 refusal."""
    return Reject(1007, INVALID_ARGUMENT)
