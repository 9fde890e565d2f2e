"""The first message of a connection: credentials, the setup, the session it joins.

Order of refusals (the first one closes the socket):

1. credentials refused at the upgrade ⇒ 1008 with the reason ``_upgrade`` chose
   (reported here, after the client's first message, as the service does);
2. the setup itself, as an ephemeral token constrains it (``_tokens``), is checked
   by ``_setup.parse_setup`` (1007/1008);
3. the session it resumes or creates (``Registry.session_for_setup``): bad handle
   1008, previous socket still open 1011, spent token 1008.
"""

from __future__ import annotations

from typing import Any

from ._services import SessionServices
from ._session import FakeSession
from ._settings import FakeServerSettings
from ._setup import SessionConfig, parse_setup
from ._upgrade import AuthInfo

__all__ = ["accept_setup"]


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
    session = services.session_for_setup(config.resume_handle, token)
    return config, session, body
