"""A google-genai Live program, ported to live_actor with the documented changes only.

The program is the Live API getting-started example written with google-genai's
``types``.  Porting it changes three lines (marked ``# changed``); every ``types``
object stays as it was (see the migration table in the README):

* ``client.aio.live.connect(model=M, config=cfg)`` becomes
  ``live_actor.open_session(live_actor.LiveConfig.from_genai(M, cfg), api_key=KEY)``;
* ``send_client_content(turns=..., turn_complete=True)`` takes the turns as its first
  argument (``turn_complete`` defaults to ``True``);
* ``send_tool_response(function_responses=...)`` takes them as its first argument.

``session.receive()`` keeps google-genai's meaning: the messages of one turn.  What
changes for free: drops and goAways are survived, nothing sent is lost.

Run it (needs ``google-genai``, which the test extra installs)::

    python examples/from_google_genai.py                     # offline: FakeLiveServer
    GEMINI_API_KEY=... python examples/from_google_genai.py  # the real Gemini Live API
    python examples/from_google_genai.py --api-key KEY

Expected output (fake server)::

    model: Got it, your name is Ada.
    tool: get_time({'city': 'Lisbon'})
    model: Calling get_time. get_time returned {"time":"12:00"}.
    model: Your name is Ada.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from google.genai import types

import live_actor
from live_actor.testing import FakeLiveServer

MODEL = "gemini-live-2.5-flash-preview"
CONFIG = types.LiveConnectConfig(
    response_modalities=[types.Modality.TEXT],
    system_instruction="You are a helpful assistant and answer in a friendly tone.",
    tools=[
        types.Tool(
            function_declarations=[
                types.FunctionDeclaration(
                    name="get_time",
                    description="The time in a city.",
                    parameters=types.Schema(
                        type=types.Type.OBJECT,
                        properties={"city": types.Schema(type=types.Type.STRING)},
                    ),
                )
            ]
        )
    ],
)


@asynccontextmanager
async def endpoint(api_key: str | None) -> AsyncIterator[tuple[str, str | None]]:
    """``(api_key, base_url)``: the real service when a key is known, else a fake."""
    key = api_key or os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY")
    if key:
        yield key, None
        return
    async with FakeLiveServer() as server:
        yield "offline-key", server.url


async def main(api_key: str | None) -> None:
    async with (
        endpoint(api_key) as (key, base_url),
        live_actor.open_session(  # changed: was client.aio.live.connect(model=..., config=...)
            live_actor.LiveConfig.from_genai(MODEL, CONFIG), api_key=key, base_url=base_url
        ) as session,
    ):
        for message in ("my name is Ada", "call get_time city=Lisbon", "what is my name"):
            await session.send_client_content(  # changed: turns as the first argument
                types.Content(role="user", parts=[types.Part(text=message)])
            )
            text = ""
            async for response in session.receive():
                if response.tool_call is not None:
                    responses = []
                    for call in response.tool_call.function_calls or ():
                        print(f"tool: {call.name}({dict(call.args or {})})")
                        responses.append(
                            types.FunctionResponse(
                                id=call.id, name=call.name, response={"time": "12:00"}
                            )
                        )
                    await session.send_tool_response(responses)  # changed: positional
                    continue
                if response.text is not None:
                    text += response.text
            if text:
                print(f"model: {text}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--api-key", help="use the real service (default: GEMINI_API_KEY)")
    args = parser.parse_args()
    try:
        anyio.run(main, args.api_key, backend=args.backend)
    except live_actor.LiveError as exc:
        raise SystemExit(f"live_actor: {exc}") from None
