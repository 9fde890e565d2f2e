"""The Live API codec: JSON frames <-> the classes of :mod:`live_actor.types`.

A session encodes and decodes for you; these are for tools that see frames
directly: a proxy, a recorder, a test server, a log reader.

* :func:`encode_client_message` / :func:`decode_server_message`: the client's
  side (one text frame out, one text or binary UTF-8 JSON frame in);
* :func:`encode_server_message` / :func:`decode_client_message`: the server's
  side, as a fake or a proxy needs it.

Decoding follows the proto3 JSON mapping leniently (camelCase and snake_case
keys, both base64 alphabets, unknown keys kept in ``extra`` and written back);
anything that does not match the protocol's types raises
:class:`~live_actor.RemoteProtocolError` naming the field.
"""

from __future__ import annotations

from ._protocol._codec import (
    decode_client_message,
    decode_server_message,
    encode_client_message,
    encode_server_message,
)

__all__ = [
    "decode_client_message",
    "decode_server_message",
    "encode_client_message",
    "encode_server_message",
]
