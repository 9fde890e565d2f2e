"""Manners of every ``live-actor`` command: ``--version``, one-line errors, exit codes,
``--debug`` tracebacks, and flags that do what they say."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from live_actor import ConfigError, __version__, cli
from live_actor._chat import choose_target

LIVE_ACTOR = str(Path(sys.executable).with_name("live-actor"))


def subcommands() -> list[str]:
    parser = cli.build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return sorted(action.choices)
    raise AssertionError("no subcommands")


def test_the_commands_this_room_owns_exist() -> None:
    assert {"chat", "demo", "fake-server"} <= set(subcommands())


@pytest.mark.parametrize("argv", [["--version"], *[[c, "--version"] for c in subcommands()]])
def test_every_command_has_version(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"live-actor {__version__}"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["demo", "--api-key", "k"], "demo --api-key needs --base-url"),
        (["chat", "--fake", "--api-key", "k"], "--fake cannot be combined"),
        (["chat", "--vertex"], "--vertex needs --project"),
        (["chat", "--project", "p"], "only apply with --vertex"),
        (["chat", "--base-url", "ws://127.0.0.1:9"], "--base-url needs a key"),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("live-actor: error: ") and message in captured.err
    assert "Traceback" not in captured.err


def test_debug_shows_the_traceback() -> None:
    with pytest.raises(ConfigError, match="--fake cannot be combined"):
        cli.main(["chat", "--debug", "--fake", "--api-key", "k"])
    with pytest.raises(ConfigError):
        cli.main(["--debug", "chat", "--fake", "--api-key", "k"])


def test_a_refused_connection_is_one_line_with_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = cli.main(
        ["chat", "--api-key", "AIzaSECRET-1", "--base-url", f"ws://127.0.0.1:{port}",
         "--model", "m", "--backend", "asyncio"]
    )
    err = capsys.readouterr().err
    assert code == 1, err
    assert err.count("\n") == 1 and err.startswith("live-actor: error: ")
    assert "AIzaSECRET-1" not in err


def test_unexpected_errors_are_one_line_and_interrupts_exit_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(args: argparse.Namespace) -> int:
        raise RuntimeError("something\nbroke")

    def interrupted(args: argparse.Namespace) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_demo", boom)
    assert cli.main(["demo"]) == 1
    err = capsys.readouterr().err
    assert err == "live-actor: error: RuntimeError: something broke " \
        "(run with --debug for the traceback)\n"
    monkeypatch.setattr(cli, "_demo", interrupted)
    assert cli.main(["demo"]) == 130
    assert capsys.readouterr().err == "live-actor: interrupted\n"


def test_target_choice_is_honest() -> None:
    def choose(env: dict[str, str] | None = None, **flags: object) -> object:
        options: dict[str, object] = dict(
            fake=False, api_key=None, base_url=None, vertex=False, project=None, location=None
        )
        options.update(flags)
        return choose_target(environ=env or {}, **options)  # type: ignore[arg-type]

    assert choose().fake  # type: ignore[attr-defined]
    hosted = choose({"GEMINI_API_KEY": "AIzaENV"})
    assert not hosted.fake and hosted.base_url is None  # type: ignore[attr-defined]
    assert hosted.credentials == "AIzaENV"  # type: ignore[attr-defined]
    assert "AIzaENV" not in repr(hosted)
    assert choose({"GOOGLE_API_KEY": "g", "GEMINI_API_KEY": "x"}).credentials == "g"  # type: ignore[attr-defined]
    assert choose({"GEMINI_API_KEY": "AIzaENV"}, fake=True).fake  # type: ignore[attr-defined]
    assert choose(api_key="k").label == "Gemini API"  # type: ignore[attr-defined]
    vertex = choose(vertex=True, project="p", location="europe-west4")
    assert vertex.vertex and callable(vertex.credentials)  # type: ignore[attr-defined]


def test_the_console_script_prints_no_traceback() -> None:
    result = subprocess.run(
        [LIVE_ACTOR, "demo", "--api-key", "k"], capture_output=True, text=True, timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("live-actor: error: demo --api-key needs --base-url")
    assert "Traceback" not in result.stderr
