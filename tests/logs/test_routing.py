"""Where live_actor's events go: stdlib when structlog is unconfigured, the app's structlog
when it is, JSON lines with configure_json. Never configured by the library itself."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
import structlog

import live_actor
from live_actor import _log
from live_actor.logs import configure_json, read_events, summarize
from live_actor.testing import FakeLiveServer

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")

QUICK_START = """
import sys
import anyio
import live_actor
from live_actor.testing import FakeLiveServer

config = live_actor.LiveConfig(
    model="gemini-live-2.5-flash-preview",
    generation_config={"response_modalities": ["TEXT"]},
)

async def main() -> None:
    async with FakeLiveServer() as server:
        async with live_actor.open_session(
            config, api_key="AIza-quick-start-secret", base_url=server.url
        ) as s:
            await s.send_client_content("Hello! my name is Alice")
            turn = await s.receive_turn()
            print("TURN:", turn.text)

anyio.run(main, backend=sys.argv[1])
"""


def run_script(prelude: str, backend: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "app.py"
    script.write_text(textwrap.dedent(prelude) + QUICK_START)
    return subprocess.run([sys.executable, str(script), backend], capture_output=True,
                          text=True, timeout=120, check=False, cwd=tmp_path)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_quick_start_prints_nothing_from_the_library(backend: str, tmp_path: Path) -> None:
    done = run_script("", backend, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [done.stdout.splitlines()[0]]
    assert done.stdout.startswith("TURN: ")
    assert done.stderr == ""


def test_unconfigured_events_go_to_stdlib_logging(tmp_path: Path) -> None:
    """An app that configures only ``logging`` sees readable ``event key=value`` lines."""
    prelude = """
        import logging
        logging.basicConfig(level=logging.DEBUG, format="%(name)s|%(levelname)s|%(message)s")
    """
    done = run_script(prelude, "trio", tmp_path)
    assert done.returncode == 0, done.stderr
    ours = [line for line in done.stderr.splitlines() if line.startswith("live_actor|")]
    assert any(re.match(r"live_actor\|INFO\|live_actor\.session\.connect session_id=\S+ "
                        r"model=gemini-live-2\.5-flash-preview", line) for line in ours), ours
    assert any("|DEBUG|live_actor.session.status " in line for line in ours)
    assert "AIza-quick-start-secret" not in done.stderr


def test_app_structlog_configured_after_import_gets_the_events(tmp_path: Path) -> None:
    prelude = """
        import live_actor, structlog
        structlog.configure(processors=[
            structlog.processors.add_log_level, structlog.processors.JSONRenderer()])
    """
    done = run_script(prelude, "asyncio", tmp_path)
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    names = {e["event"] for e in events}
    assert {"live_actor.session.connect", "live_actor.session.status"} <= names
    assert all("session_id" in e for e in events if e["event"].startswith("live_actor.session"))


def test_configure_json_with_the_apps_events(tmp_path: Path) -> None:
    prelude = f"""
        import logging, structlog
        import live_actor.logs
        route = live_actor.logs.configure_json({str(tmp_path / "all.jsonl")!r},
                                               level="debug", include_app=True)
        logging.getLogger("app.http").info("GET /health %s", 200)
        structlog.get_logger().info("app.started", port=8080)
        import atexit
        def closed():
            route.close()
            assert not structlog.is_configured(), "structlog's configuration not restored"
            assert logging.getLogger().level == logging.WARNING
        atexit.register(closed)
    """
    done = run_script(prelude, "trio", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("TURN: ") and done.stderr == ""
    lines = [json.loads(line) for line in (tmp_path / "all.jsonl").read_text().splitlines()]
    by_event = {line["event"]: line for line in lines}
    assert by_event["GET /health 200"]["logger"] == "app.http"
    assert by_event["app.started"]["port"] == 8080
    assert by_event["live_actor.session.connect"]["logger"] == "live_actor"
    assert all(ISO.match(line["timestamp"]) for line in lines)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    library = logging.getLogger("live_actor")
    saved = (library.level, library.propagate, list(library.handlers))
    config = structlog.get_config()
    yield
    library.setLevel(saved[0])
    library.propagate = saved[1]
    library.handlers[:] = saved[2]
    structlog.configure(**config)
    _log.force_stdlib_route(False)


@pytest.mark.anyio
async def test_configure_json_lines_parse_and_summarize(
    tmp_path: Path, restore_logging: None
) -> None:
    path = tmp_path / "live.jsonl"
    path.write_text('{"kept": "appended, not clobbered"}\n')
    route = configure_json(path, level="debug")
    config = live_actor.LiveConfig(model="gemini-live-2.5-flash-preview",
                                   generation_config={"response_modalities": ["TEXT"]})
    with structlog.testing.capture_logs() as app_events:
        async with FakeLiveServer(chunk_delay=0) as server, live_actor.open_session(
            config, api_key="AIza-secret-0123", base_url=server.url
        ) as session:
            await session.send_client_content("Hello")
            with anyio.fail_after(30):
                await session.receive_turn()
            sid = session.session_id
    route.close()
    assert not [e for e in app_events if e["event"].startswith("live_actor.")]  # rerouted
    text = path.read_text()
    assert "AIza-secret-0123" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0] == {"kept": "appended, not clobbered"}
    for line in lines[1:]:
        assert ISO.match(line["timestamp"]) and line["level"] in ("debug", "info", "warning")
        assert line["event"].startswith("live_actor.")
    sessions = summarize(read_events(str(path)))
    assert list(sessions) == [sid]
    assert sessions[sid].connections == 1
    assert sessions[sid].model == "gemini-live-2.5-flash-preview"
    # closed: the app's structlog configuration gets the events again
    with structlog.testing.capture_logs() as after:
        _log.get_logger().info("live_actor.session.connect", resuming=False)
    assert [e["event"] for e in after] == ["live_actor.session.connect"]


def test_configure_json_to_a_stream_and_its_levels(restore_logging: None) -> None:
    stream = io.StringIO()
    route = configure_json(stream, level="warning")
    log = _log.get_logger().bind(session_id="s", model="m", connection=2)
    log.info("live_actor.session.connect", resuming=True)
    log.warning("live_actor.session.malformed_frame", error="bad", field="serverContent",
                count=1)
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("live_actor.supervisor.exit", kind="crash")
    route.close()
    log.error("live_actor.supervisor.gave_up", reason="after close")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["event"] for line in lines] == [
        "live_actor.session.malformed_frame", "live_actor.supervisor.exit"]
    assert lines[0]["connection"] == 2 and lines[0]["field"] == "serverContent"
    assert lines[1]["level"] == "error" and "ValueError: boom" in lines[1]["exception"]
    assert list(lines[0])[:3] == ["timestamp", "level", "event"]
    assert not stream.closed  # the app's stream is the app's


def test_configure_json_rejects_what_it_cannot_use(restore_logging: None) -> None:
    with pytest.raises(live_actor.ConfigError, match=r"level='loud'.*debug, info"):
        configure_json(io.StringIO(), level="loud")
    with pytest.raises(live_actor.ConfigError, match="text stream"):
        configure_json(42)  # type: ignore[arg-type]


def test_a_disabled_level_costs_no_processing() -> None:
    calls: list[str] = []

    def counting(logger: object, method: str, event_dict: dict[str, object]) -> str:
        calls.append(method)
        return "line"

    std = logging.getLogger("live_actor.test.levels")
    std.setLevel(logging.WARNING)
    std.propagate = False
    log = _log.StdlibRoutedLogger(std, processors=[counting], context={"a": 1})
    log.debug("x", big=object())
    log.info("x")
    log.log(logging.INFO, "x")
    assert calls == []
    log.warning("y")
    log.log(logging.ERROR, "z")
    assert calls == ["warning", "error"]


def test_get_logger_follows_structlog_configuration(restore_logging: None) -> None:
    structlog.reset_defaults()
    assert isinstance(_log.get_logger(), _log.StdlibRoutedLogger)
    structlog.configure(processors=[structlog.processors.JSONRenderer()])
    assert not isinstance(_log.get_logger(), _log.StdlibRoutedLogger)
    _log.force_stdlib_route(True)
    assert isinstance(_log.get_logger(), _log.StdlibRoutedLogger)
