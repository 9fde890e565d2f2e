"""google-genai 3.4.0 as the oracle: the exact JSON its live session would send.

Each helper repeats the SDK's own steps (``live.py``: ``AsyncLive.connect``,
``AsyncSession.send_*``) with its private converters, so the comparison is with
what the SDK really puts on the wire, not with our reading of its docs.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from google import genai
from google.genai import _common, _live_converters, live, types
from google.genai import _transformers as t

from live_actor.types import ClientMessage, Setup
from live_actor.wire import decode_client_message

PROJECT = "proj"
LOCATION = "europe-west4"


def _client(vertex: bool) -> Any:
    if vertex:
        return genai.Client(vertexai=True, project=PROJECT, location=LOCATION)
    return genai.Client(api_key="oracle-key")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _camel_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {_camel(k): _camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel_keys(v) for v in value]
    return value


def normalise_raw_objects(setup: dict[str, Any]) -> dict[str, Any]:
    """Camel-case the keys of the objects both sides keep as raw JSON.

    The SDK sends ``avatarConfig`` and tool configuration objects with their
    snake_case Python names (the service's proto JSON parser accepts both);
    live_actor sends the canonical lowerCamelCase.  Only these raw objects are
    normalised; every typed field is compared as decoded.
    """
    if "avatarConfig" in setup:
        setup["avatarConfig"] = _camel_keys(setup["avatarConfig"])
    for tool in setup.get("tools") or []:
        for key, value in tool.items():
            if key not in ("functionDeclarations", "function_declarations"):
                tool[key] = _camel_keys(value)
    return setup


async def _sdk_setup_json(model: str, config: Any, vertex: bool) -> dict[str, Any]:
    client = _client(vertex)
    api = client._api_client
    if isinstance(config, dict):
        config = types.LiveConnectConfig(**config)
    model_name = t.t_model(api, model)
    if vertex and model_name.startswith("publishers/"):
        model_name = f"projects/{PROJECT}/locations/{LOCATION}/{model_name}"
    parameters = await live._t_live_connect_config(api, config)
    convert = (
        _live_converters._LiveConnectParameters_to_vertex
        if vertex
        else _live_converters._LiveConnectParameters_to_mldev
    )
    request = _common.convert_to_dict(
        convert(
            api_client=api,
            from_object=types.LiveConnectParameters(
                model=model_name, config=parameters
            ).model_dump(exclude_none=True),
        )
    )
    del request["config"]
    request = _common.encode_unserializable_types(request)
    request["setup"]["model"] = model_name
    if vertex:
        generation = request["setup"].setdefault("generationConfig", {})
        if generation.get("responseModalities") is None:
            generation["responseModalities"] = ["AUDIO"]
    return request


def sdk_setup(model: str, config: Any, *, vertex: bool = False) -> Setup:
    """The setup google-genai sends for ``connect(model=model, config=config)``, decoded."""
    request = asyncio.run(_sdk_setup_json(model, config, vertex))
    request["setup"] = normalise_raw_objects(request["setup"])
    message = decode_client_message(json.dumps(request))
    assert isinstance(message, Setup)
    return message


def our_setup_normalised(setup: Setup) -> Setup:
    from live_actor.wire import encode_client_message

    obj = json.loads(encode_client_message(setup))
    obj["setup"] = normalise_raw_objects(obj["setup"])
    message = decode_client_message(json.dumps(obj))
    assert isinstance(message, Setup)
    return message


def sdk_client_content(turns: Any, turn_complete: bool = True) -> ClientMessage:
    """``AsyncSession.send_client_content(turns=..., turn_complete=...)`` (Gemini API)."""
    content = t.t_client_content(turns, turn_complete).model_dump(mode="json", exclude_none=True)
    converted = _live_converters._LiveClientContent_to_mldev(from_object=content)
    return decode_client_message(json.dumps({"client_content": converted}))


def sdk_tool_response(function_responses: Any) -> ClientMessage:
    """``AsyncSession.send_tool_response(function_responses=...)`` (Gemini API)."""
    response = _common.convert_to_dict(t.t_tool_response(function_responses), convert_keys=True)
    response = _common.encode_unserializable_types(response)
    return decode_client_message(json.dumps({"tool_response": response}))


def sdk_realtime_input(**kwargs: Any) -> ClientMessage:
    """``AsyncSession.send_realtime_input(**kwargs)`` (Gemini API)."""
    parameters = types.LiveSendRealtimeInputParameters.model_validate(kwargs)
    converted = _common.convert_to_dict(
        _live_converters._LiveSendRealtimeInputParameters_to_mldev(from_object=parameters)
    )
    converted = _common.encode_unserializable_types(converted)
    return decode_client_message(json.dumps({"realtime_input": converted}))
