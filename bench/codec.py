"""Codec micro-benchmark: live_actor vs google-genai vs bare json+base64.

Run:  .venv/bin/python bench/codec.py [--write-results]

Two messages, the hot path of a voice session:

* encode: one 20 ms chunk of 16 kHz mono s16le microphone audio (640 bytes of
  PCM) as a ``realtimeInput`` text frame, starting from the raw bytes (building
  the message object is part of the cost, as it is for a caller);
* decode: one 40 ms chunk of 24 kHz model audio (1920 bytes of PCM) in a
  ``serverContent`` binary frame, ending with the PCM available.

Contenders:

(a) live_actor: ``encode_client_message(RealtimeInput(audio=Blob(...)))`` /
    ``decode_server_message(frame)``.
(b) google-genai 3.4.0, replicating ``AsyncSession.send_realtime_input(audio=
    types.Blob(...))`` (``LiveSendRealtimeInputParameters.model_validate`` ->
    ``_LiveSendRealtimeInputParameters_to_mldev`` -> ``convert_to_dict`` ->
    ``encode_unserializable_types`` -> ``json.dumps``) and ``AsyncSession._receive``
    (``json.loads`` -> ``_LiveServerMessage_from_mldev`` ->
    ``LiveServerMessage._from_response``).  ``_receive`` also builds and dumps
    an empty ``LiveServerMessage`` per frame for ``kwargs``; that variant is
    reported on its own row ("as live.py").
(c) the floor: the dict built by hand, ``base64`` + stdlib ``json``.

With ``--write-results`` the table replaces the ``## Codec (bench/codec.py)``
section of ``bench/RESULTS.md`` (other sections are kept).
"""

from __future__ import annotations

import argparse
import base64
import datetime
import json
import pathlib
import platform
import re
import statistics
import sys
import timeit
import warnings
from collections.abc import Callable
from importlib import metadata
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from live_actor.types import Blob, RealtimeInput  # noqa: E402
from live_actor.wire import decode_server_message, encode_client_message  # noqa: E402

warnings.filterwarnings("ignore", module="google.genai")
from google.genai import _common, types  # noqa: E402
from google.genai import _live_converters as live_converters  # noqa: E402

MIC = (bytes(range(256)) * 3)[:640]  # 20 ms @ 16 kHz s16le mono
MIC_MIME = "audio/pcm;rate=16000"
SPEAKER = (bytes(range(255, -1, -1)) * 8)[:1920]  # 40 ms @ 24 kHz s16le mono
SERVER_FRAME = json.dumps(
    {
        "serverContent": {
            "modelTurn": {
                "parts": [
                    {
                        "inlineData": {
                            "mimeType": "audio/pcm;rate=24000",
                            "data": base64.b64encode(SPEAKER).decode(),
                        }
                    }
                ]
            }
        }
    }
).encode()  # the service sends binary frames


# ------------------------------------------------------------------ contenders


def encode_live_actor() -> str:
    return encode_client_message(RealtimeInput(audio=Blob(mime_type=MIC_MIME, data=MIC)))


def encode_genai() -> str:
    audio = types.Blob(data=MIC, mime_type=MIC_MIME)  # what the caller passes
    kwargs: dict[str, Any] = {"audio": audio}
    realtime_input = types.LiveSendRealtimeInputParameters.model_validate(kwargs)
    realtime_input_dict = live_converters._LiveSendRealtimeInputParameters_to_mldev(
        from_object=realtime_input
    )
    realtime_input_dict = _common.convert_to_dict(realtime_input_dict)
    realtime_input_dict = _common.encode_unserializable_types(realtime_input_dict)
    return json.dumps({"realtime_input": realtime_input_dict})


def encode_floor() -> str:
    return json.dumps(
        {"realtimeInput": {"audio": {"mimeType": MIC_MIME, "data": base64.b64encode(MIC).decode()}}}
    )


def decode_live_actor() -> bytes | None:
    return decode_server_message(SERVER_FRAME).data


def decode_genai() -> bytes | None:
    response = json.loads(SERVER_FRAME)
    response_dict = live_converters._LiveServerMessage_from_mldev(response)
    message = types.LiveServerMessage._from_response(response=response_dict, kwargs={})
    return message.data


def decode_genai_as_live_py() -> bytes | None:
    parameter_model = types.LiveServerMessage()
    response = json.loads(SERVER_FRAME)
    response_dict = live_converters._LiveServerMessage_from_mldev(response)
    message = types.LiveServerMessage._from_response(
        response=response_dict, kwargs=parameter_model.model_dump()
    )
    return message.data


def decode_floor() -> bytes:
    obj = json.loads(SERVER_FRAME)
    return base64.b64decode(obj["serverContent"]["modelTurn"]["parts"][0]["inlineData"]["data"])


def check_equivalence() -> None:
    """All contenders produce the same wire content / the same PCM."""
    floor = json.loads(encode_floor())["realtimeInput"]["audio"]
    for frame in (encode_live_actor(), encode_genai()):
        (payload,) = json.loads(frame).values()
        audio = payload["audio"]
        data = audio["data"]
        assert base64.b64decode(data.replace("-", "+").replace("_", "/")) == MIC
        assert audio.get("mimeType", audio.get("mime_type")) == floor["mimeType"]
    for decode in (decode_live_actor, decode_genai, decode_genai_as_live_py, decode_floor):
        assert decode() == SPEAKER, decode.__name__


# --------------------------------------------------------------------- timing


def measure(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(best, median) µs per call over ``repeat`` runs of an auto-ranged loop."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()  # >= 0.2 s per run
    runs = timer.repeat(repeat=repeat, number=number)
    per_call = [run / number * 1e6 for run in runs]
    return min(per_call), statistics.median(per_call)


def cpu_model() -> str:
    try:
        text = pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    cores = len(re.findall(r"^processor\s*:", text, re.MULTILINE))
    return f"{match.group(1).strip() if match else 'unknown'} ({cores} logical CPUs)"


def machine() -> list[str]:
    return [
        f"Platform: {platform.platform()}",
        f"CPU: {cpu_model()}",
        f"Python: {platform.python_implementation()} {platform.python_version()}",
        "Libraries: "
        + ", ".join(
            f"{name} {metadata.version(name)}"
            for name in ("orjson", "cattrs", "attrs", "google-genai", "pydantic")
        ),
    ]


def run(repeat: int) -> tuple[list[str], dict[str, tuple[float, float]]]:
    check_equivalence()
    contenders = {
        ("encode", "live_actor"): encode_live_actor,
        ("encode", "google-genai"): encode_genai,
        ("encode", "floor (json+base64)"): encode_floor,
        ("decode", "live_actor"): decode_live_actor,
        ("decode", "google-genai"): decode_genai,
        ("decode", "google-genai, as live.py"): decode_genai_as_live_py,
        ("decode", "floor (json+base64)"): decode_floor,
    }
    results = {f"{d}|{name}": measure(fn, repeat) for (d, name), fn in contenders.items()}

    lines = [
        "| direction | implementation | best µs/msg | median µs/msg "
        "| vs floor (best) | google-genai / this (best) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for key, (best, median) in results.items():
        direction, name = key.split("|")
        floor = results[f"{direction}|floor (json+base64)"][0]
        genai = results[f"{direction}|google-genai"][0]
        lines.append(
            f"| {direction} | {name} | {best:.2f} | {median:.2f} "
            f"| {best / floor:.2f}x | {genai / best:.1f}x |"
        )
    return lines, results


def verdict(results: dict[str, tuple[float, float]]) -> list[str]:
    out = []
    for direction in ("encode", "decode"):
        ours = results[f"{direction}|live_actor"][0]
        floor = results[f"{direction}|floor (json+base64)"][0]
        genai = results[f"{direction}|google-genai"][0]
        ok_floor = ours <= 1.5 * floor
        ok_genai = genai >= 4 * ours
        out.append(
            f"- {direction}: {ours / floor:.2f}x the floor (target <= 1.5x: "
            f"{'met' if ok_floor else 'MISSED'}), {genai / ours:.1f}x faster than "
            f"google-genai (target >= 4x: {'met' if ok_genai else 'MISSED'})"
        )
    return out


def write_results(section: str) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    header = "## Codec (bench/codec.py)"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(header)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per contender")
    parser.add_argument("--write-results", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()

    table, results = run(args.repeat)
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    report = [
        f"Date: {when}",
        *machine(),
        "Command: .venv/bin/python bench/codec.py"
        + (f" --repeat {args.repeat}" if args.repeat != 7 else "")
        + (" --write-results" if args.write_results else ""),
        "",
        "Encode: 20 ms of 16 kHz s16le mono (640 B PCM) -> realtimeInput text frame, "
        "message construction included. Decode: serverContent binary frame with 40 ms "
        "of 24 kHz audio (1920 B PCM) -> PCM bytes. Each figure: best / median of "
        f"{args.repeat} auto-ranged timeit runs (>= 0.2 s each).",
        "",
        *table,
        "",
        *verdict(results),
        "",
        "Notes: the floor uses the stdlib `json`; live_actor uses orjson, which is why "
        "its encode can beat the floor. Base64 dominates both directions (decoding "
        "2560 base64 chars is ~6 µs here, the same for every contender); on decode, "
        "live_actor adds orjson.loads (~1.6 µs) and building the five nested frozen "
        "objects (~4-5 µs), while google-genai spends its time in pydantic validation. "
        "The machine is a shared 2-vCPU VM: medians are noisy, best-of is the "
        "robust figure.",
    ]
    print("\n".join(report))
    if args.write_results:
        write_results("## Codec (bench/codec.py)\n\n" + "\n".join(report) + "\n\n")


if __name__ == "__main__":
    main()
