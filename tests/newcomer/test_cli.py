"""The README's command line: live-actor demo, fake-server, logs.

Each test quotes (in its docstring) the claim it checks and uses only the public
API; each assertion would fail if the quoted claim were false.
"""

from __future__ import annotations

import inspect
import re
import signal
import subprocess
import sys
from pathlib import Path

import anyio
import anyio.lowlevel
import pytest

import live_actor

from ..helpers import API_KEY, text_config
from ._support import README, ROOT

pytestmark = pytest.mark.anyio


CLI = Path(sys.executable).with_name("live-actor")


def test_cli_demo_runs() -> None:
    """README: ``make demo`` runs ``live-actor demo`` (on the embedded fake server)."""
    for backend in ("trio", "asyncio"):
        done = subprocess.run(
            [str(CLI), "demo", "--backend", backend],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 0, done.stderr
        assert "Your name is Alice." in done.stdout


@pytest.mark.parametrize(
    "argv",
    [
        [str(CLI), "fake-server", "--port", "0"],
        [sys.executable, "-m", "live_actor.testing", "--port", "0"],
    ],
)
async def test_cli_fake_server_standalone(anyio_backend: str, argv: list[str]) -> None:
    """README: "Run it standalone with live-actor fake-server --port 8765 (or python -m
    live_actor.testing)"."""
    async with await anyio.open_process(argv) as proc:
        try:
            assert proc.stdout is not None
            first = b""
            with anyio.fail_after(10):
                while b"\n" not in first:
                    first += await proc.stdout.receive()
            match = re.search(r"listening on (ws://\S+)", first.decode())
            assert match, first
            async with live_actor.open_session(
                text_config(), api_key=API_KEY, base_url=match.group(1)
            ) as session:
                await session.send_client_content("hello cli")
                assert (await session.receive_turn()).text == 'You said: "hello cli".'
        finally:
            proc.send_signal(signal.SIGTERM)
            with anyio.fail_after(10):
                code = await proc.wait()
    assert code == 0


def test_readme_mentions_what_exists() -> None:
    """README: "CI runs bash .ci/run, which is make test"; benchmarks in bench/RESULTS.md;
    the Layout block names files that exist."""
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert (ROOT / "bench" / "RESULTS.md").exists()
    layout = README.split("## Layout", 1)[1]
    names = re.findall(r"(?<![\w/])(_[a-z]+\.py|cli\.py|_[a-z]+/|testing/)", layout)
    assert "_actor/" in names and "_protocol/" in names and "_supervisor.py" in names
    for name in names:
        found = (ROOT / "live_actor" / name).exists() or any(
            (ROOT / "live_actor").rglob(name.rstrip("/"))
        )
        assert found, name
    assert inspect.signature(live_actor.open_session).parameters["restart"].default is None
