"""Suite-wide settings: live_actor never configures structlog, so the tests do.

Log events are rendered by structlog's processors and then discarded (the
``ReturnLogger`` prints nothing), so every log call still runs — a bug in an
event's arguments still fails a test — without flooding the output.
``structlog.testing.capture_logs`` keeps working on top of this.
"""

from __future__ import annotations

import structlog

structlog.configure(logger_factory=structlog.ReturnLoggerFactory())
