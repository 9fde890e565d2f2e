"""``live-actor chat`` driven through a real terminal: tmux ``send-keys`` / ``capture-pane``.

This is how a newcomer uses it: a TTY, typed lines, replies streaming in.  The
pane is polled (condition waits, no fixed sleeps) with a generous deadline.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
import wave
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from live_actor.testing import silence, speech, transcribe

TMUX = shutil.which("tmux")
LIVE_ACTOR = str(Path(sys.executable).with_name("live-actor"))
DEADLINE = 60.0

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")


class Pane:
    def __init__(self, name: str, exit_file: Path) -> None:
        self.name = name
        self.exit_file = exit_file

    def send(self, text: str) -> None:
        subprocess.run([TMUX or "tmux", "send-keys", "-t", self.name, "-l", text], check=True)
        subprocess.run([TMUX or "tmux", "send-keys", "-t", self.name, "Enter"], check=True)

    def text(self) -> str:
        result = subprocess.run(
            [TMUX or "tmux", "capture-pane", "-p", "-J", "-S", "-", "-t", self.name],
            check=False, capture_output=True, text=True,
        )
        return result.stdout

    def wait_for(self, predicate: Callable[[str], bool], what: str) -> str:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            screen = self.text()
            if predicate(screen):
                return screen
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; the pane shows:\n{self.text()}")

    def exit_code(self) -> int:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            if self.exit_file.exists() and self.exit_file.read_text().strip():
                return int(self.exit_file.read_text().strip())
            time.sleep(0.05)
        raise AssertionError(f"the chat did not exit; the pane shows:\n{self.text()}")


@pytest.fixture
def pane(tmp_path: Path) -> Iterator[Pane]:
    name = f"live-actor-chat-{uuid.uuid4().hex[:8]}"
    exit_file = tmp_path / "exit-code"
    env = {k: v for k, v in os.environ.items() if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY")}
    command = (
        f"cd {shlex.quote(str(tmp_path))} && {shlex.quote(LIVE_ACTOR)} chat; "
        f"echo $? > {shlex.quote(str(exit_file))}; sleep 600"
    )
    subprocess.run(
        [TMUX or "tmux", "new-session", "-d", "-s", name, "-x", "200", "-y", "50", command],
        check=True, env=env,
    )
    try:
        yield Pane(name, exit_file)
    finally:
        subprocess.run([TMUX or "tmux", "kill-session", "-t", name], check=False)


def _replies(screen: str) -> list[str]:
    return [line.split("model> ", 1)[1] for line in screen.splitlines() if "model> " in line]


def test_chat_remembers_a_name_and_quits_with_0(pane: Pane) -> None:
    pane.wait_for(lambda s: "[connected: session" in s, "the connection")
    pane.send("My name is Ada")
    pane.wait_for(lambda s: len(_replies(s)) >= 1 and "[audio reply" in s, "the first reply")
    pane.send("What is my name?")
    screen = pane.wait_for(lambda s: len(_replies(s)) >= 2, "the second reply")
    assert "you> What is my name?" in screen
    assert "Ada" in _replies(screen)[1]
    pane.send("/tool")
    pane.wait_for(lambda s: "get_weather(city)" in s, "the tool list")
    pane.send("/quit")
    assert pane.exit_code() == 0


def _write_48k_stereo(path: Path, pcm16k: bytes) -> None:
    # Each 16 kHz sample three times, in both channels: an exact 48 kHz stereo
    # rendering, so the chat's conversion must give the original samples back.
    samples = array("h", pcm16k)
    if sys.byteorder == "big":
        samples.byteswap()
    wide = array("h", (s for s in samples for _ in range(6)))
    if sys.byteorder == "big":
        wide.byteswap()
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(48_000)
        wav.writeframes(wide.tobytes())


def test_audio_and_save_round_trip_a_wav_file(pane: Pane, tmp_path: Path) -> None:
    _write_48k_stereo(tmp_path / "question.wav", speech("my name is Grace") + silence(300))
    pane.wait_for(lambda s: "[connected: session" in s, "the connection")
    pane.send("/audio question.wav")
    screen = pane.wait_for(lambda s: "[audio reply" in s, "the reply to the audio")
    assert "[heard: my name is Grace]" in screen
    (reply,) = _replies(screen)
    pane.send("/save answer.wav")
    pane.wait_for(lambda s: "saved" in s and "answer.wav" in s, "the save")
    with wave.open(str(tmp_path / "answer.wav"), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 24_000)
        audio = wav.readframes(wav.getnframes())
    # the fake speaks its reply text in its PCM "language": the saved file says it
    assert transcribe(audio) == reply.strip()
    assert "Grace" in reply
    pane.send("/quit")
    assert pane.exit_code() == 0
