"""``live-actor logs``: tables, timelines, filters, --json, exit codes, stdin and --follow."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from live_actor.cli import main

from .synthetic import MALFORMED, OTHER_LOGGERS, T0, Session, iso, merged, to_lines, write_log

CLI = [sys.executable, "-m", "live_actor.cli"]


def _story() -> list[Session]:
    a = Session("alpha").dial().turn(5, 7).tool().drop(down=1.5, replayed=3, dropped=1)
    a.turn(11, 13).go_away(down=0.25).turn(1, 2).close()
    b = Session("beta", start=T0 + 0.05, model="gemini-2.5-flash-native-audio-preview-12-2025")
    b.dial().turn(100, 50).drop(down=2.0, replayed=4, dropped=0)
    b.emit("live_actor.session.brand_new_thing", "warning", detail="from a newer emitter")
    return [a, b]


@pytest.fixture
def log(tmp_path: Path) -> str:
    sessions = _story()
    lines = to_lines(merged(*sessions), timestamps="mixed")
    return write_log(tmp_path / "app.jsonl", [*MALFORMED, *lines, *OTHER_LOGGERS])


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["logs", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _row(out: str, sid: str) -> list[str]:
    line = next(line for line in out.splitlines() if line.startswith(sid + " "))
    return line.split()


def test_summary_table(capsys: pytest.CaptureFixture[str], log: str) -> None:
    code, out, err = run(capsys, log)
    assert code == 0, err
    header = out.splitlines()[0].split()
    assert header == ["session", "model", "conns", "restarts", "downtime", "replayed",
                      "dropped", "turns", "tokens", "status"]
    alpha = _row(out, "alpha")
    assert alpha[2] == "3"  # connections
    assert " ".join(alpha[3:8]) == "2 (planned 1, transient 1)"
    assert alpha[8:] == ["1.75s", "3", "1", "3", "39", "closed"]
    beta = _row(out, "beta")
    assert beta[2:5] == ["2", "1", "(transient"]
    assert beta[-6:] == ["2.00s", "4", "0", "1", "150", "open"]
    footer = out.strip().splitlines()[-1]
    assert f"{len(MALFORMED)} malformed" in footer
    assert f"{len(OTHER_LOGGERS)} from other loggers" in footer
    assert "1 events of unknown names" in footer


def test_session_timeline(capsys: pytest.CaptureFixture[str], log: str) -> None:
    code, out, _ = run(capsys, log, "--session", "alpha")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("session alpha  model gemini-live-2.5-flash-preview")
    body = [line for line in lines if line[:2].isdigit()]
    assert len(body) == len(_story()[0].events)
    assert all("beta" not in line for line in body)
    resumed = [line for line in body if "supervisor.resumed" in line]
    assert "replayed 3 (client_content 3), dropped 1 (media_overflow 1)" in resumed[0]
    assert "down 1.500s" in resumed[0]
    assert any("goAway: 10.000s left" in line for line in body)
    assert any("#3" in line and "session.closed" in line for line in body)
    assert body[0].split()[1] == "+0.000s"


def test_unknown_events_show_generically(capsys: pytest.CaptureFixture[str], log: str) -> None:
    code, out, _ = run(capsys, log, "--session", "beta", "--event", "brand_new_thing")
    assert code == 0
    assert "session.brand_new_thing" in out and "detail='from a newer emitter'" in out


@pytest.mark.parametrize(
    ("args", "sessions"),
    [
        (["--event", "go_away"], ["alpha"]),
        (["--event", "supervisor.*"], ["alpha", "beta"]),
        (["--event", "live_actor.session.closed"], ["alpha"]),
        (["--level", "warning"], ["beta"]),
        (["--model", "*native-audio*"], ["beta"]),
        (["--until", iso(T0 + 0.01)], ["alpha"]),
        (["--since", str(T0 + 100)], []),
    ],
)
def test_filters_choose_the_sessions_listed(
    capsys: pytest.CaptureFixture[str], log: str, args: list[str], sessions: list[str]
) -> None:
    code, out, err = run(capsys, log, "--json", *args)
    if not sessions:
        assert code == 1 and "no matching live_actor events" in err
        return
    assert code == 0, err
    listed = [s["session_id"] for s in json.loads(out)["sessions"]]
    assert listed == sessions


def test_filters_keep_the_summary_whole(capsys: pytest.CaptureFixture[str], log: str) -> None:
    """--event narrows what is listed, not the figures of a listed session."""
    _, out, _ = run(capsys, log, "--json", "--event", "go_away")
    (alpha,) = json.loads(out)["sessions"]
    assert (alpha["connections"], alpha["turns"], alpha["matched"]) == (3, 3, 1)


def test_relative_since(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    now = time.time()
    old = Session("old", start=now - 7200).dial()
    new = Session("new", start=now - 60).dial()
    path = write_log(tmp_path / "r.jsonl", to_lines(merged(old, new)))
    code, out, _ = run(capsys, path, "--json", "--since", "10m")
    assert code == 0
    assert [s["session_id"] for s in json.loads(out)["sessions"]] == ["new"]
    code, out, _ = run(capsys, path, "--json", "--until", "1h")
    assert [s["session_id"] for s in json.loads(out)["sessions"]] == ["old"]


def test_json_schema(capsys: pytest.CaptureFixture[str], log: str) -> None:
    code, out, _ = run(capsys, log, "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["schema"] == "live_actor.logs/1"
    assert doc["files"] == [log]
    assert doc["stats"]["malformed"] == len(MALFORMED)
    assert doc["stats"]["unknown_events"] == {"live_actor.session.brand_new_thing": 1}
    alpha = doc["sessions"][0]
    for key in ("session_id", "model", "final_status", "first_seen", "last_seen",
                "connections", "restarts", "restarts_by_cause", "downtime", "replayed",
                "dropped", "tokens", "turns"):
        assert key in alpha
    assert alpha["first_seen"] == iso(T0)
    assert alpha["restarts_by_cause"] == {"planned": 1, "transient": 1}
    code, out, _ = run(capsys, log, "--json", "--session", "beta")
    doc = json.loads(out)
    assert [s["session_id"] for s in doc["sessions"]] == ["beta"]
    assert len(doc["events"]) == len(_story()[1].events)
    assert doc["events"][0]["timestamp"].endswith("Z")


def test_exit_codes_and_one_line_errors(
    capsys: pytest.CaptureFixture[str], log: str, tmp_path: Path
) -> None:
    code, _, err = run(capsys, str(tmp_path / "missing.jsonl"))
    assert code == 1 and err.count("\n") == 1 and "cannot read" in err
    code, _, err = run(capsys, log, "--session", "nobody")
    assert code == 1 and "no events of session 'nobody'" in err
    code, _, err = run(capsys, log, "--since", "last tuesday")
    assert code == 2 and err.count("\n") == 1 and "10m" in err
    code, _, err = run(capsys, log, "--follow", "--html", str(tmp_path / "x.html"))
    assert code == 2 and "drop --follow" in err
    with pytest.raises(SystemExit) as exited:
        main(["logs", log, "--no-such-option"])
    assert exited.value.code == 2
    code, _, err = run(capsys, str(tmp_path), "--debug")
    assert code == 1 and "Traceback" in err


def test_lines_without_timestamps(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    lines = [json.dumps({k: v for k, v in e.items() if k != "timestamp"}).encode() + b"\n"
             for e in Session("x").dial().events]
    path = write_log(tmp_path / "nots.jsonl", lines)
    code, _, err = run(capsys, path)
    assert code == 1
    assert err.count("\n") == 1 and "no usable 'timestamp'" in err and "TimeStamper" in err


def test_stdin_and_broken_pipe(log: str) -> None:
    with open(log, "rb") as stdin:
        done = subprocess.run([*CLI, "logs", "-", "--json"], stdin=stdin, capture_output=True,
                              timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["sessions"]) == 2
    big = Session("big").dial()
    for _ in range(3000):
        big.turn(dt=0.01)
    path = write_log(Path(log).with_name("big.jsonl"), to_lines(big.events))
    shell = f"{' '.join(CLI)} logs {path} --session big | head -1"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True,
                          timeout=60, check=False)
    assert done.stdout.startswith(b"session big")
    assert b"Traceback" not in done.stderr and b"Error" not in done.stderr


def test_follow_prints_events_as_written_and_the_table_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    s = Session("live").dial().turn().drop().turn()
    lines = to_lines(s.events)
    path.write_bytes(b"".join(lines[:3]))
    proc = subprocess.Popen(
        [*CLI, "logs", str(path), "--follow", "--poll-interval", "0.02"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    try:
        names = [e["event"].removeprefix("live_actor.") for e in s.events]
        seen = [proc.stdout.readline() for _ in range(3)]
        assert all(" live " in line for line in seen)
        assert [name in line for name, line in zip(names[:3], seen, strict=True)] == [True] * 3
        with path.open("ab") as out:
            out.writelines(lines[3:6])
        seen = [proc.stdout.readline() for _ in range(3)]
        assert [name in line for name, line in zip(names[3:6], seen, strict=True)] == [True] * 3
        path.rename(tmp_path / "live.jsonl.1")  # rotation: a new file, read from its start
        path.write_bytes(b"".join(lines[6:]))
        rest = [proc.stdout.readline() for _ in range(len(lines) - 6)]
        assert [name in line for name, line in zip(names[6:], rest, strict=True)] == [True] * len(
            rest
        )
    finally:
        proc.send_signal(signal.SIGINT)
        out_rest, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    table = out_rest.strip().splitlines()
    assert table[0].split()[0] == "session"
    assert _row(out_rest, "live")[2] == "2"  # two connections seen by the follower
    assert os.path.exists(path)
