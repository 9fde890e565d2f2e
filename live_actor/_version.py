"""The package version and the one client identification built from it.

A module of its own (h11's ``_version.py``), so that every module can read the
version without importing the package's ``__init__``, which imports them all.
``pyproject.toml`` reads the version from here too.
"""

from __future__ import annotations

import platform
from typing import Final

__all__ = ["USER_AGENT", "__version__", "client_headers"]

__version__: Final = "0.1.0.dev0"

#: Sent as ``User-Agent`` on every dial and REST call.
USER_AGENT: Final = f"live_actor/{__version__}"


def client_headers() -> dict[str, str]:
    """``user-agent`` and ``x-goog-api-client``, as Google's SDKs identify themselves."""
    return {
        "user-agent": USER_AGENT,
        "x-goog-api-client": f"{USER_AGENT} gl-python/{platform.python_version()}",
    }
