"""The standalone server: ``live-actor fake-server`` and ``python -m live_actor.testing``."""

from __future__ import annotations

import json
import pathlib
import re
import signal
import sys

import anyio
import pytest

from ._wsclient import connect

pytestmark = pytest.mark.anyio
BIN = pathlib.Path(sys.executable).parent


CONSOLE_SCRIPT = BIN / "live-actor"
HAS_SCRIPT = CONSOLE_SCRIPT.exists()


@pytest.mark.parametrize(
    "argv",
    [
        [sys.executable, "-m", "live_actor.testing", "--port", "0", "--chunk-delay", "0"],
        pytest.param(
            [str(CONSOLE_SCRIPT), "fake-server", "--port", "0", "--text-frames"],
            marks=pytest.mark.skipif(not HAS_SCRIPT, reason="console script not installed"),
        ),
    ],
    ids=["python-m", "console-script"],
)
async def test_standalone_server_answers(argv: list[str]) -> None:
    async with await anyio.open_process(argv, stderr=None) as proc:
        assert proc.stdout is not None
        first = b""
        with anyio.fail_after(20):
            while b"\n" not in first:
                first += await proc.stdout.receive()
        m = re.search(r"ws://127\.0\.0\.1:(\d+)", first.decode())
        assert m, first
        url = (
            f"ws://127.0.0.1:{m.group(1)}"
            "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"
        )
        try:
            async with connect(url) as ws:
                setup = {"model": "models/gemini-2.0-flash-exp"}
                await ws.send(
                    {"setup": {**setup, "generationConfig": {"responseModalities": ["TEXT"]}}}
                )
                assert await ws.recv() == {"setupComplete": {}}
                await ws.send({"realtimeInput": {"text": "ping"}})
                reply = await ws.turn()
            assert any("ping" in json.dumps(m) for m in reply)
        finally:
            # SIGTERM, not SIGINT: a shell starts background jobs with SIGINT
            # ignored, and the child inherits that.
            proc.send_signal(signal.SIGTERM)
            with anyio.fail_after(10):
                assert await proc.wait() == 0


def test_cli_parser_has_subcommands() -> None:
    from live_actor.cli import build_parser

    args = build_parser().parse_args(["fake-server", "--port", "9", "--host", "0.0.0.0"])
    assert (args.command, args.port, args.host) == ("fake-server", 9, "0.0.0.0")
