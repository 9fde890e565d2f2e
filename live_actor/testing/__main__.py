"""``python -m live_actor.testing [--port N] [--host H]``: run the fake server."""

from __future__ import annotations

import sys

from live_actor.cli import main

if __name__ == "__main__":
    sys.exit(main(["fake-server", *sys.argv[1:]]))
