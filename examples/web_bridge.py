"""An asyncio web app: a Starlette WebSocket bridge from a browser microphone to a session.

The page at ``/`` captures the microphone with the Web Audio API, downsamples it to
16 kHz 16-bit PCM and sends it over a WebSocket to ``/ws``; the server opens one Live
session per browser connection and forwards both ways: microphone chunks become
``send_realtime_input(audio=...)``, the model's 24 kHz audio goes back as binary
messages (which the page plays back to back) and transcriptions, interruptions and
turn ends go back as JSON text messages.  The API key stays on the server.

Starlette runs on uvicorn (asyncio); live_actor needs nothing special for it.  Install
the extras with ``pip install 'live_actor[examples]'`` (starlette, uvicorn).

Run it::

    python examples/web_bridge.py                       # offline: FakeLiveServer
    python examples/web_bridge.py --port 8080
    GEMINI_API_KEY=... python examples/web_bridge.py    # the real service

then open http://127.0.0.1:8000 and press the button (browsers allow the microphone on
``localhost``/``127.0.0.1`` without HTTPS).  Offline the fake model only understands
its own tone code (``live_actor.testing.speech``), so real speech is heard as
"[speech N.NN s]"; with a key (``--api-key``, ``GEMINI_API_KEY`` or
``GOOGLE_API_KEY``) you talk to Gemini.  Ctrl-C stops the server.  The tests drive
``/ws`` with a WebSocket client sending PCM, no browser needed.

Expected output (fake server)::

    serving on http://127.0.0.1:
    browser connected
    you: my name is Bob
    model: Got it, your name is Bob.
    browser disconnected
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator

import anyio
import structlog
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

import live_actor
from live_actor.testing import FakeLiveServer

CONFIG = live_actor.LiveConfig(
    model="gemini-2.5-flash-native-audio-preview-12-2025",
    generation_config={"response_modalities": ["AUDIO"]},
    input_audio_transcription=True,
    output_audio_transcription=True,
)
MAX_CHUNK = 32_000  # bytes: 1 s of 16 kHz 16-bit audio per message at most

PAGE = """<!doctype html>
<meta charset="utf-8"><title>live_actor voice bridge</title>
<button id="talk">Start talking</button>
<pre id="log"></pre>
<script>
const log = (line) => { document.getElementById("log").textContent += line + "\\n"; };
let ctx, playAt = 0, playing = [];

document.getElementById("talk").onclick = async () => {
  ctx = new AudioContext();
  const mic = await navigator.mediaDevices.getUserMedia({audio: {channelCount: 1}});
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  ws.binaryType = "arraybuffer";
  ws.onmessage = (e) => typeof e.data === "string" ? show(JSON.parse(e.data)) : play(e.data);
  ws.onclose = (e) => log(`closed ${e.code} ${e.reason}`);
  // ScriptProcessor is old but everywhere; an AudioWorklet does the same off the main thread.
  const tap = ctx.createScriptProcessor(4096, 1, 1);
  tap.onaudioprocess = (e) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(to16k(e.inputBuffer.getChannelData(0)));
  };
  ctx.createMediaStreamSource(mic).connect(tap);
  tap.connect(ctx.destination);  // outputs silence; Chrome only runs connected nodes
  log("listening...");
};

function to16k(input) {  // Float32 at ctx.sampleRate -> 16 kHz 16-bit PCM (averaging)
  const ratio = ctx.sampleRate / 16000, out = new Int16Array(Math.floor(input.length / ratio));
  for (let i = 0; i < out.length; i++) {
    const start = Math.floor(i * ratio), end = Math.max(start + 1, Math.floor((i + 1) * ratio));
    let sum = 0;
    for (let j = start; j < end; j++) sum += input[j];
    out[i] = Math.max(-1, Math.min(1, sum / (end - start))) * 0x7fff;
  }
  return out.buffer;
}

function play(data) {  // 24 kHz 16-bit PCM, scheduled back to back
  const pcm = new Int16Array(data), buffer = ctx.createBuffer(1, pcm.length, 24000);
  buffer.getChannelData(0).set(Float32Array.from(pcm, (s) => s / 0x8000));
  const node = ctx.createBufferSource();
  node.buffer = buffer;
  node.connect(ctx.destination);
  playAt = Math.max(playAt, ctx.currentTime);
  node.start(playAt);
  playAt += buffer.duration;
  playing.push(node);
  node.onended = () => { playing = playing.filter((n) => n !== node); };
}

function show(message) {
  if (message.you) log("you: " + message.you);
  if (message.model) log("model: " + message.model);
  if (message.interrupted) {  // barge-in: stop talking at once
    playing.forEach((node) => node.stop());
    playing = [];
    playAt = 0;
  }
}
</script>
"""


async def page(request: Request) -> HTMLResponse:
    return HTMLResponse(PAGE)


async def model_to_browser(session: live_actor.SessionHandle, ws: WebSocket) -> None:
    heard = said = ""
    async for message in session.events():
        if message.data:
            await ws.send_bytes(message.data)  # 24 kHz 16-bit mono PCM
        content = message.server_content
        if content is None:
            continue
        if content.input_transcription and content.input_transcription.text:
            heard += content.input_transcription.text
        if content.output_transcription and content.output_transcription.text:
            said += content.output_transcription.text
        if content.interrupted:
            await ws.send_json({"interrupted": True})
        if content.turn_complete:  # one line per turn, on both sides
            if heard.strip():
                print(f"you: {heard.strip()}", flush=True)
                await ws.send_json({"you": heard.strip()})
            if said.strip():
                print(f"model: {said.strip()}", flush=True)
                await ws.send_json({"model": said.strip()})
            await ws.send_json({"turn_complete": True})
            heard = said = ""


async def browser_to_model(
    session: live_actor.SessionHandle, ws: WebSocket
) -> tuple[int, str] | None:
    """Forward microphone chunks until the browser leaves; a close code if it misbehaved."""
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return None
        chunk = message.get("bytes")
        if not chunk or len(chunk) % 2 or len(chunk) > MAX_CHUNK:
            return 1003, "send binary 16-bit PCM, 16 kHz mono, at most 1 s a message"
        await session.send_realtime_input(audio=chunk)


async def bridge(ws: WebSocket) -> None:
    """One browser connection = one Live session, forwarded both ways."""
    await ws.accept()
    print("browser connected", flush=True)
    api_key, base_url = ws.app.state.endpoint
    try:
        async with (
            live_actor.open_session(CONFIG, api_key=api_key, base_url=base_url) as session,
            anyio.create_task_group() as tg,
        ):
            tg.start_soon(model_to_browser, session, ws)
            problem = await browser_to_model(session, ws)
            tg.cancel_scope.cancel()  # stop forwarding before the socket closes
    except WebSocketDisconnect:  # the browser left while audio was going out
        problem = None
    except live_actor.LiveError as exc:  # no session (bad key, unknown model...)
        problem = 1011, f"the Live session failed: {type(exc).__name__}"
    if problem is not None:
        await ws.close(*problem)
    print("browser disconnected", flush=True)


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """The Live endpoint for the app's lifetime: the real service, or a local fake."""
    if app.state.api_key:
        app.state.endpoint = (app.state.api_key, None)
        yield
        return
    async with FakeLiveServer() as server:
        app.state.endpoint = ("offline-key", server.url)
        yield


def create_app(api_key: str | None) -> Starlette:
    app = Starlette(
        routes=[Route("/", page), WebSocketRoute("/ws", bridge)], lifespan=lifespan
    )
    app.state.api_key = api_key
    return app


async def serve(api_key: str | None, host: str, port: int) -> None:
    sock = socket.create_server((host, port))  # bound and listening: the port is known
    print(f"serving on http://{host}:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(create_app(api_key), ws="wsproto", log_level="warning")
    await uvicorn.Server(config).serve(sockets=[sock])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-key", help="use the real service (default: GEMINI_API_KEY)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    args = parser.parse_args()
    # live_actor never configures structlog, whose default prints debug events to stdout.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    key = args.api_key or os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(key, args.host, args.port))
