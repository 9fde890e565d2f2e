"""The first message of a connection: credentials, the setup, the session it joins.

Order of refusals (the first one closes the socket):

1. credentials refused at the upgrade ⇒ 1008 with the reason ``_upgrade`` chose
   (reported here, after the client's first message, as the service does);
2. the setup itself, as an ephemeral token constrains it (``_tokens``), is checked
   by ``_setup.parse_setup`` (1007/1008);
3. the session it resumes or creates (``Registry.session_for_setup``): bad handle
   1008, previous socket still open 1011, spent token 1008, a replicated voice
   without the session's consent signature 1007.
"""

from __future__ import annotations

from typing import Any

import attrs

from ._input import InputHandler
from ._services import Outbox, SessionServices
from ._session import FakeSession
from ._settings import FakeServerSettings
from ._setup import SessionConfig, parse_setup
from ._turns import TurnEngine
from ._upgrade import AuthInfo

__all__ = ["Binding", "accept_setup", "bind"]


@attrs.frozen
class Binding:
    """What an accepted setup binds a connection to: its session and its two sides."""

    config: SessionConfig
    session: FakeSession
    setup: dict[str, Any]
    turns: TurnEngine
    input: InputHandler

    def setup_complete(self) -> dict[str, Any]:
        """The ``setupComplete`` message (a consent signature when consent audio came)."""
        complete: dict[str, Any] = {}
        voice, signature = self.config.voice, self.session.voice_signature
        if voice is not None and voice.consent_audio and signature:
            complete["voiceConsentSignature"] = {"signature": signature}
        return {"setupComplete": complete}


def bind(
    body: dict[str, Any],
    *,
    auth: AuthInfo,
    settings: FakeServerSettings,
    services: SessionServices,
    outbox: Outbox,
    api_version: str,
    vertex: bool,
) -> Binding:
    """Accept a first message (see :func:`accept_setup`) and build the connection's sides."""
    config, session, setup = accept_setup(
        body,
        auth=auth,
        settings=settings,
        services=services,
        api_version=api_version,
        vertex=vertex,
    )
    turns = TurnEngine(
        settings=settings,
        services=services,
        outbox=outbox,
        config=config,
        session=session,
        vertex=vertex,
    )
    user_input = InputHandler(outbox=outbox, config=config, session=session, turns=turns)
    return Binding(config=config, session=session, setup=setup, turns=turns, input=user_input)


def accept_setup(
    body: dict[str, Any],
    *,
    auth: AuthInfo,
    settings: FakeServerSettings,
    services: SessionServices,
    api_version: str,
    vertex: bool,
) -> tuple[SessionConfig, FakeSession, dict[str, Any]]:
    """(config, session, effective setup) of a first message, or a ``Reject``."""
    if auth.error is not None:
        raise auth.error
    token = auth.token
    if token is not None:
        body = token.apply(body)
    config = parse_setup(
        body,
        known_models=settings.known_models,
        api_version=api_version,
        vertex=vertex,
    )
    session = services.session_for_setup(config.resume_handle, token, config.voice)
    return config, session, body
