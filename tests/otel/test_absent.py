"""Without opentelemetry (the ``otel`` extra absent), telemetry builds nothing and costs
nothing; with it installed, importing live_actor still imports none of it.

Each case runs in a fresh interpreter: ``sys.modules["opentelemetry"] = None`` makes
every ``import opentelemetry...`` fail as if the package were not installed.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SESSION = textwrap.dedent(
    """
    import sys
    BLOCK = {block}
    if BLOCK:
        sys.modules["opentelemetry"] = None  # as if the package were not installed
    import anyio, structlog
    import live_actor
    from live_actor.testing import FakeLiveServer

    loaded = [m for m in sys.modules if m.startswith("opentelemetry") and sys.modules[m]]
    assert not loaded, f"importing live_actor imported {{loaded}}"
    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())

    async def main() -> None:
        server = FakeLiveServer(chunk_delay=0).start()
        try:
            config = live_actor.LiveConfig(
                model="gemini-live-2.5-flash-preview",
                generation_config={{"response_modalities": ["TEXT"]}},
            )
            async with live_actor.open_session(
                config, api_key="k", base_url=server.url,
                options=live_actor.SessionOptions(telemetry={option}),
            ) as session:
                actor = session._actor
                print("telemetry:", actor.observer.telemetry, actor.tools._telemetry)
                await session.send_client_content("hello")
                print("reply:", (await session.receive_turn()).text)
        finally:
            server.stop()

    anyio.run(main, backend="{backend}")
    from live_actor import _telemetry
    print("recorder:", _telemetry._recorder)
    print("loaded:", sorted(m for m in sys.modules
                            if m.startswith("opentelemetry") and sys.modules[m] is not None))
    """
)


def run(*, block: bool, option: str, backend: str = "asyncio") -> str:
    code = SESSION.format(block=block, option=option, backend=backend)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_without_opentelemetry_no_telemetry_object_is_built(backend: str) -> None:
    out = run(block=True, option="True", backend=backend)
    assert "telemetry: None None" in out
    assert "reply: You said" in out
    assert "recorder: False" in out  # tried once, remembered as missing
    assert "loaded: []" in out


def test_switched_off_it_never_imports_opentelemetry() -> None:
    out = run(block=False, option="False")
    assert "telemetry: None None" in out
    assert "recorder: None" in out  # never even tried
    assert "loaded: []" in out


def test_installed_and_on_it_records_through_the_api() -> None:
    out = run(block=False, option="True")
    assert "telemetry: <live_actor._telemetry._otel.SessionTelemetry" in out
    assert "loaded: ['opentelemetry" in out
