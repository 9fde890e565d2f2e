"""The actor layer: one supervised Live session as a set of small rooms.

* ``_session``: :class:`SessionActor`, the composition root (state that
  survives reconnects, start-up, close, the end of the session);
* ``_incarnation``: one connection (dial, setup watchdog, reader, goAway
  deadline timer), returning an :class:`~live_actor._protocol._supervision.Exit`;
* ``_commands``: the command pipe (accept, fast path, memory stream, in-flight
  accounting, send lock);
* ``_delivery``: ``events()`` buffer and callback queue, both bounded;
* ``_tools``: the tool runner;
* ``_observe``: the log events and their timings;
* ``_options``: :class:`SessionOptions`.

The protocol rules these rooms apply live in the sans-IO ``_protocol``
package; the restart loop in ``live_actor._supervisor``.
"""

from ._options import Connector, CutTurnPolicy, SessionOptions
from ._session import SessionActor

__all__ = ["Connector", "CutTurnPolicy", "SessionActor", "SessionOptions"]
