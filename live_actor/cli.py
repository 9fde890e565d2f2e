"""The ``live-actor`` command line.

Subcommands are registered in :func:`build_parser`; each one is a function taking the
parsed arguments and returning an exit code, so new commands (``demo``, ...) plug in
without touching the others.  :func:`main` gives every command the same manners:
``--version``, ``--debug``, and one-line errors instead of tracebacks.

Exit codes: 0 success, 1 failure at run time (connection refused, network, gave up),
2 usage or configuration error, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import functools
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from ._version import __version__

__all__ = ["build_parser", "main"]


def _fake_server(args: argparse.Namespace) -> int:
    """Serve a FakeLiveServer until Ctrl-C / SIGTERM; print its URLs first."""
    from live_actor.testing import FakeLiveServer, FaultPlan

    plan = None
    if args.fault_seed is not None:
        plan = FaultPlan(
            seed=args.fault_seed,
            drop_rate=args.drop_rate,
            error_1011_rate=args.error_rate,
            go_away_rate=args.go_away_rate,
        )
    server = FakeLiveServer(
        host=args.host,
        port=args.port,
        api_keys=args.api_key or None,
        chunk_delay=args.chunk_delay,
        connection_lifetime=args.lifetime or None,
        go_away_notice=args.go_away_notice,
        text_frames=args.text_frames,
        fault_plan=plan,
        handshake_timeout=args.handshake_timeout,
        retain_finished=args.retain_finished,
        retain_seconds=args.retain_seconds,
        profile=args.profile,
        first_response_delay=args.first_response_delay,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    server.start()
    try:
        print(f"FakeLiveServer listening on {server.url}", flush=True)
        print(f"  Live (v1beta): {server.live_url()}", flush=True)
        print(f"  REST:          {server.http_url}/v1beta/models", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
    return 0


def _demo(args: argparse.Namespace) -> int:
    """The walkthrough on the embedded fake server (see ``live_actor._demo``)."""
    from live_actor._demo import main as demo_main
    from live_actor._errors import ConfigError

    if args.api_key is not None and not args.base_url:
        # The demo's default endpoint is the embedded fake, which ignores keys:
        # silently running there would make a user believe the key was used.
        raise ConfigError(
            "demo --api-key needs --base-url: without it the demo runs on the embedded "
            "fake server. For the Gemini API add --base-url "
            "https://generativelanguage.googleapis.com"
        )
    argv = ["--backend", args.backend, "--api-key", args.api_key or "demo-key"]
    if args.base_url:
        argv += ["--base-url", args.base_url]
    return demo_main(argv)


def _add_logs_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``live-actor logs``: summaries, timelines and the timeline page (live_actor._logs)."""
    from live_actor._logs._command import add_arguments, run

    logs = sub.add_parser("logs", help="summarise live_actor's JSON logs, or draw a timeline")
    add_arguments(logs)
    logs.set_defaults(handler=run)


def _chat(args: argparse.Namespace) -> int:
    """The interactive REPL (see ``live_actor._chat``)."""
    import anyio

    from live_actor._chat import _configure_logging, choose_target, run_chat

    target = choose_target(
        fake=args.fake,
        api_key=args.api_key,
        base_url=args.base_url,
        vertex=args.vertex,
        project=args.project,
        location=args.location,
    )
    _configure_logging(bool(getattr(args, "debug", False)))
    result: int = anyio.run(
        functools.partial(
            run_chat,
            target=target,
            model=args.model,
            text=args.text,
            reply_timeout=args.reply_timeout,
        ),
        backend=args.backend,
    )
    return result


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one subparser per command."""
    parser = argparse.ArgumentParser(prog="live-actor", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the demo on the embedded fake server")
    demo.add_argument("--backend", choices=("asyncio", "trio"), default="trio")
    demo.add_argument("--base-url", default=None, help="endpoint (default: embedded fake)")
    demo.add_argument(
        "--api-key", default=None, help="key for --base-url (the embedded fake needs none)"
    )
    demo.set_defaults(handler=_demo)
    chat = sub.add_parser(
        "chat",
        help="talk to a Live model (embedded fake by default; Gemini API with a key)",
        description="An interactive chat. Without a key it runs on the embedded fake "
        "server; with --api-key or GEMINI_API_KEY/GOOGLE_API_KEY on the Gemini API; "
        "with --vertex on Vertex AI. Commands: /audio FILE.wav, /save FILE.wav, /tool, "
        "/help, /quit.",
    )
    chat.add_argument("--fake", action="store_true", help="use the embedded fake server")
    chat.add_argument("--api-key", default=None, help="Gemini API key (default: env)")
    chat.add_argument("--base-url", default=None, help="another endpoint (needs a key)")
    chat.add_argument("--vertex", action="store_true", help="use Vertex AI (google-auth ADC)")
    chat.add_argument("--project", default=None, help="Vertex AI project id")
    chat.add_argument("--location", default=None, help="Vertex AI location, e.g. us-central1")
    chat.add_argument("--model", default=None, help="model id (default: newest Live model)")
    chat.add_argument("--text", action="store_true", help="TEXT replies instead of AUDIO")
    chat.add_argument("--backend", choices=("asyncio", "trio"), default="trio")
    chat.add_argument(
        "--reply-timeout", type=float, default=60.0, help="seconds to wait for a reply"
    )
    chat.set_defaults(handler=_chat)
    fake = sub.add_parser("fake-server", help="run a local fake Gemini Live API server")
    fake.add_argument("--port", type=int, default=8765, help="TCP port (0 = any free port)")
    fake.add_argument("--host", default="127.0.0.1", help="bind address")
    fake.add_argument(
        "--api-key", action="append", default=[], help="accepted API key (repeatable)"
    )
    fake.add_argument("--chunk-delay", type=float, default=0.01, help="seconds between chunks")
    fake.add_argument(
        "--lifetime", type=float, default=600.0, help="connection lifetime (0 = unlimited)"
    )
    fake.add_argument("--go-away-notice", type=float, default=60.0)
    fake.add_argument("--text-frames", action="store_true", help="send JSON in text frames")
    fake.add_argument("--fault-seed", type=int, default=None, help="enable a random FaultPlan")
    fake.add_argument("--drop-rate", type=float, default=0.0)
    fake.add_argument("--error-rate", type=float, default=0.0)
    fake.add_argument("--go-away-rate", type=float, default=0.0)
    fake.add_argument(
        "--handshake-timeout", type=float, default=10.0, help="seconds to send a request"
    )
    fake.add_argument(
        "--retain-finished", type=int, default=1000, help="finished sessions remembered"
    )
    fake.add_argument(
        "--retain-seconds", type=float, default=3600.0, help="how long a finished one is kept"
    )
    fake.add_argument(
        "--profile", choices=("dev", "vertex", "3.x"), default="dev", help="service timing"
    )
    fake.add_argument(
        "--first-response-delay", type=float, default=0.0, help="seconds before a reply starts"
    )
    fake.set_defaults(handler=_fake_server)
    _add_logs_command(sub)
    return parser


def _version() -> str:
    return f"live-actor {__version__}"


def _add_common_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """``--version`` and ``--debug`` on the top parser and every subcommand."""
    known = {option for action in parser._actions for option in action.option_strings}
    if "--version" not in known:
        parser.add_argument("--version", action="version", version=_version())
    if "--debug" not in known:
        parser.add_argument(
            "--debug",
            action="store_true",
            # On subcommands, only an explicit flag may set it (a subparser default
            # would overwrite `live-actor --debug CMD`).
            default=False if top else argparse.SUPPRESS,
            help="show full tracebacks and debug logs",
        )


def _with_common_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    _add_common_options(parser, top=True)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for subparser in set(action.choices.values()):
                _add_common_options(subparser, top=False)
    return parser


def _error_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"live-actor: error: {text}"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``live-actor`` console script."""
    from live_actor._errors import ConfigError, LiveError

    args = _with_common_options(build_parser()).parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    try:
        result: int = args.handler(args)
    except KeyboardInterrupt:
        if debug:
            raise
        print("live-actor: interrupted", file=sys.stderr)
        return 130
    except (ConfigError, ValueError) as exc:
        if debug:
            raise
        print(_error_line(exc), file=sys.stderr)
        return 2
    except (LiveError, OSError) as exc:
        if debug:
            raise
        print(_error_line(exc), file=sys.stderr)
        return 1
    except BaseExceptionGroup as group:
        # anyio task groups wrap what a task raised; report the first leaf.
        if debug:
            raise
        leaf: BaseException = group
        while isinstance(leaf, BaseExceptionGroup):
            leaf = leaf.exceptions[0]
        print(_error_line(leaf), file=sys.stderr)
        return 2 if isinstance(leaf, ConfigError | ValueError) else 1
    except Exception as exc:
        if debug:
            raise
        # A bug, not a user error: still one line, with the way to the traceback.
        print(
            f"live-actor: error: {type(exc).__name__}: {' '.join(str(exc).split())} "
            "(run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1
    return result


if __name__ == "__main__":
    sys.exit(main())
