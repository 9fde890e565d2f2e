"""Which Live models exist: ``list_models``, a resolver by kind, and ``check_model``.

Why: a model name is the commonest reason a first session fails (the service
closes with 1008 "models/X is not found ... or is not supported for
bidiGenerateContent" after the handshake), and Live model names change every
few months.  Listing the models that support ``bidiGenerateContent`` turns the
typo into a :class:`~live_actor.ConfigError` with a suggestion before any dial,
and the resolver lets an application ask for "the newest native-audio model"
instead of hard-coding a preview name that will be retired.
"""

from __future__ import annotations

import collections
import difflib
import hashlib
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, Literal, TypeAlias, get_args

import attrs
import httpx

from . import _log
from ._auth import ApiKey, BearerToken, Credentials, CredentialsSource
from ._errors import ConfigError
from ._protocol._capabilities import capabilities_for
from ._rest_http import (
    DEFAULT_TIMEOUT,
    RestAuthError,
    RestError,
    credentials_for_rest,
    http_base_url,
    request_json,
)

__all__ = [
    "KNOWN_GOOD_MODELS",
    "LIVE_METHOD",
    "ModelInfo",
    "ModelKind",
    "ModelResolver",
    "check_model",
    "list_models",
    "model_kind",
    "resolve_model",
]

LIVE_METHOD: Final = "bidiGenerateContent"
#: Pages fetched at most by one listing (the service returns ~50 models per page).
MAX_PAGES: Final = 50

ModelKind: TypeAlias = Literal["text", "audio", "native_audio"]
_KINDS: Final = get_args(ModelKind)

#: Fallbacks when the model list cannot be fetched, best first.  Data, not code:
#: update it when Google retires a name.  "text" and "audio" are half-cascade
#: models (text reasoning, speech synthesis); "native_audio" models speak natively
#: and only answer with AUDIO.
KNOWN_GOOD_MODELS: Final[Mapping[ModelKind, tuple[str, ...]]] = {
    "text": ("gemini-live-2.5-flash-preview", "gemini-2.0-flash-live-001"),
    "audio": ("gemini-live-2.5-flash-preview", "gemini-2.0-flash-live-001"),
    "native_audio": (
        "gemini-2.5-flash-native-audio-preview-12-2025",
        "gemini-2.5-flash-native-audio-preview-09-2025",
    ),
}


@attrs.frozen
class ModelInfo:
    """One model as ``GET /{version}/models`` describes it.

    ``id`` is the name without the ``models/`` prefix, what ``LiveConfig(model=...)``
    takes.  ``supported_actions`` are the generation methods
    (``"bidiGenerateContent"`` for Live models).
    """

    name: str
    display_name: str | None = None
    description: str | None = attrs.field(default=None, repr=False)
    version: str | None = None
    input_token_limit: int | None = None
    output_token_limit: int | None = None
    supported_actions: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """The model id (``name`` without ``models/``)."""
        return self.name.removeprefix("models/")

    @property
    def live(self) -> bool:
        """Whether the model serves the Live API (``bidiGenerateContent``)."""
        return LIVE_METHOD in self.supported_actions

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> ModelInfo:
        """Build from the REST JSON; absent or mistyped optional fields become ``None``."""
        name = obj.get("name")
        if not isinstance(name, str) or not name:
            raise RestError("list_models: a model without a name in the response")

        def text(key: str) -> str | None:
            value = obj.get(key)
            return value if isinstance(value, str) else None

        def number(key: str) -> int | None:
            value = obj.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        methods = obj.get("supportedGenerationMethods") or obj.get("supportedActions") or ()
        return cls(
            name=name if name.startswith(("models/", "tunedModels/")) else f"models/{name}",
            display_name=text("displayName"),
            description=text("description"),
            version=text("version"),
            input_token_limit=number("inputTokenLimit"),
            output_token_limit=number("outputTokenLimit"),
            supported_actions=tuple(str(m) for m in methods if isinstance(m, str)),
        )


async def list_models(
    *,
    api_key: str | None = None,
    credentials: CredentialsSource | None = None,
    base_url: str | None = None,
    api_version: str = "v1beta",
    live_only: bool = True,
    page_size: int = 50,
    request_timeout: float = DEFAULT_TIMEOUT,
    client: httpx.AsyncClient | None = None,
) -> list[ModelInfo]:
    """The Gemini API's models, by default only those that serve the Live API.

    Follows ``nextPageToken`` (at most ``MAX_PAGES`` pages).  The credential is
    ``api_key``, else ``credentials`` (an :class:`~live_actor.ApiKey`, a
    :class:`~live_actor.BearerToken` or a provider of one), else
    ``GEMINI_API_KEY``/``GOOGLE_API_KEY``.  ``base_url`` points at another
    server (the fake's ``ws://`` URL works).  Each request times out after
    ``request_timeout`` seconds.  Raises :class:`RestAuthError` for a refused key,
    :class:`RestError` for other failures.
    """
    if not 1 <= page_size <= 1000:
        raise ConfigError(f"page_size must be between 1 and 1000, got {page_size}")
    if not re.fullmatch(r"v[0-9][A-Za-z0-9]*", api_version):
        raise ConfigError(f"api_version {api_version!r} is not a version such as 'v1beta'")
    creds = await credentials_for_rest(api_key, credentials)
    url = f"{http_base_url(base_url)}/{api_version}/models"
    models: list[ModelInfo] = []
    async with _ClientScope(client) as http:
        token = ""
        for _ in range(MAX_PAGES):
            params = {"pageSize": str(page_size)}
            if token:
                params["pageToken"] = token
            page = await request_json(
                http,
                "GET",
                url,
                credentials=creds,
                what="list_models",
                params=params,
                request_timeout=request_timeout,
            )
            raw = page.get("models") or []
            if not isinstance(raw, list):
                raise RestError("list_models: 'models' in the response is not a list")
            models += (ModelInfo.from_json(m) for m in raw if isinstance(m, dict))
            next_token = page.get("nextPageToken")
            if not next_token or not isinstance(next_token, str):
                break
            token = next_token
        else:
            _log.get_logger().warning(
                "live_actor.rest.list_models_truncated", pages=MAX_PAGES, models=len(models)
            )
    return [m for m in models if m.live] if live_only else models


class _ClientScope:
    """``async with``: the caller's client as is, or a fresh one closed afterwards."""

    def __init__(self, client: httpx.AsyncClient | None) -> None:
        self._given = client
        self._owned: httpx.AsyncClient | None = None

    async def __aenter__(self) -> httpx.AsyncClient:
        if self._given is not None:
            return self._given
        self._owned = httpx.AsyncClient(follow_redirects=False)
        return self._owned

    async def __aexit__(self, *exc_info: object) -> None:
        if self._owned is not None:
            await self._owned.aclose()


# ---------------------------------------------------------------- classifying


def model_kind(model_id: str) -> frozenset[ModelKind]:
    """The kinds a Live model serves, from the capability table (``_capabilities``).

    A native-audio model is only ``native_audio``; a model that answers in TEXT
    serves ``text``, and one that answers in AUDIO without speaking natively
    (a half-cascade model) ``audio``.  Variants that need extra setup (extended
    thinking) are never a default.
    """
    caps = capabilities_for(model_id)
    if "extended-thinking" in model_id or caps.thinking == "level_or_budget":
        return frozenset()
    if caps.native_audio:
        return frozenset({"native_audio"})
    kinds: set[ModelKind] = set()
    if "TEXT" in caps.output_modalities:
        kinds.add("text")
    if "AUDIO" in caps.output_modalities:
        kinds.add("audio")
    return frozenset(kinds)


_DATE: Final = re.compile(r"(\d{2})-(\d{4})")
_GENERATION: Final = re.compile(r"(?<![\d])(\d+(?:\.\d+)?)(?=-)")
_REVISION: Final = re.compile(r"-(\d{3})$")


def _recency(model_id: str) -> tuple[float, int, int, int, int]:
    """A sort key: generation (2.5 > 2.0), release date (MM-YYYY), stable over preview."""
    generation = _GENERATION.search(model_id)
    date = _DATE.search(model_id)
    revision = _REVISION.search(model_id)
    return (
        float(generation.group(1)) if generation else 0.0,
        int(date.group(2)) * 100 + int(date.group(1)) if date else 0,
        int(revision.group(1)) if revision else 0,
        0 if "preview" in model_id or "exp" in model_id else 1,
        # "-latest" aliases move: prefer a pinned name of the same generation.
        0 if model_id.endswith("-latest") else 1,
    )


def newest(models: Iterable[ModelInfo | str], kind: ModelKind) -> str | None:
    """The newest Live model id of ``kind`` among ``models``, or ``None``."""
    if kind not in _KINDS:
        raise ConfigError(f"unknown model kind {kind!r}; use one of {', '.join(_KINDS)}")
    ids = [
        m.id if isinstance(m, ModelInfo) else m.removeprefix("models/")
        for m in models
        if not isinstance(m, ModelInfo) or m.live
    ]
    fitting = [i for i in ids if kind in model_kind(i)]
    if not fitting:
        return None
    return max(fitting, key=lambda i: (_recency(i), i))


def check_model(name: str, models: Iterable[ModelInfo | str]) -> None:
    """Raise :class:`ConfigError` unless ``name`` is a Live model in ``models``.

    ``models`` is what :func:`list_models` returned (``live_only=False`` lets the
    message tell "exists but not Live" from "does not exist"); plain ids work too.
    The message suggests the closest Live names.
    """
    wanted = name.removeprefix("models/")
    infos = [
        m
        if isinstance(m, ModelInfo)
        else ModelInfo(f"models/{m.removeprefix('models/')}", supported_actions=(LIVE_METHOD,))
        for m in models
    ]
    by_id = {m.id: m for m in infos}
    found = by_id.get(wanted)
    live_ids = sorted(m.id for m in infos if m.live)
    if found is not None and found.live:
        return
    close = difflib.get_close_matches(wanted, live_ids, n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    if found is not None:
        raise ConfigError(
            f"model {wanted!r} exists but does not support {LIVE_METHOD} (the Live API){hint}"
        )
    raise ConfigError(
        f"model {wanted!r} is not among the {len(live_ids)} Live models this endpoint lists{hint}"
    )


# ------------------------------------------------------------------- resolver


def _fingerprint(credentials: Credentials) -> str:
    # A digest, never the secret, so a cache dump or repr cannot leak it.
    if isinstance(credentials, ApiKey):
        secret = "k:" + credentials.key
    elif isinstance(credentials, BearerToken):
        # Bearer tokens rotate hourly; the quota project identifies the caller better.
        secret = "b:" + (credentials.quota_project or "")
    else:
        secret = "t:" + credentials.name
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


@attrs.define
class _Entry:
    models: tuple[ModelInfo, ...]
    expires: float


class ModelResolver:
    """Resolve a model *kind* to the newest Live model name, with a bounded TTL cache.

    The cache is keyed by (REST base URL, API version, a digest of the
    credential): different keys may see different models.  At most
    ``max_entries`` listings are kept, each for ``ttl`` seconds.  When the list
    cannot be fetched (network error, timeout, HTTP 5xx) the first
    :data:`KNOWN_GOOD_MODELS` name of the kind is returned (and not cached);
    a refused credential is raised, as dialling would fail the same way.
    """

    def __init__(
        self,
        *,
        ttl: float = 3600.0,
        max_entries: int = 32,
        fallbacks: Mapping[ModelKind, Sequence[str]] = KNOWN_GOOD_MODELS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl < 0 or max_entries < 1:
            raise ConfigError("ttl must be >= 0 and max_entries >= 1")
        self.ttl = ttl
        self.max_entries = max_entries
        self.fallbacks = fallbacks
        self._clock = clock
        self._cache: collections.OrderedDict[tuple[str, str, str], _Entry] = (
            collections.OrderedDict()
        )
        #: Listings fetched over HTTP (cache misses), for tests and metrics.
        self.fetches = 0

    def __repr__(self) -> str:
        return f"<ModelResolver entries={len(self._cache)} ttl={self.ttl:g}s>"

    def clear(self) -> None:
        """Forget every cached listing."""
        self._cache.clear()

    async def models(
        self,
        *,
        api_key: str | None = None,
        credentials: CredentialsSource | None = None,
        base_url: str | None = None,
        api_version: str = "v1beta",
        request_timeout: float = DEFAULT_TIMEOUT,
    ) -> tuple[ModelInfo, ...]:
        """The Live models at this endpoint, from the cache when fresh."""
        creds = await credentials_for_rest(api_key, credentials)
        key = (http_base_url(base_url), api_version, _fingerprint(creds))
        now = self._clock()
        entry = self._cache.get(key)
        if entry is not None and entry.expires > now:
            self._cache.move_to_end(key)
            return entry.models
        listed = tuple(
            await list_models(
                credentials=creds,
                base_url=base_url,
                api_version=api_version,
                request_timeout=request_timeout,
            )
        )
        self.fetches += 1
        self._cache[key] = _Entry(listed, now + self.ttl)
        self._cache.move_to_end(key)
        while len(self._cache) > self.max_entries:
            self._cache.popitem(last=False)
        return listed

    async def resolve(
        self,
        kind: ModelKind,
        *,
        api_key: str | None = None,
        credentials: CredentialsSource | None = None,
        base_url: str | None = None,
        api_version: str = "v1beta",
        request_timeout: float = DEFAULT_TIMEOUT,
    ) -> str:
        """The newest Live model id of ``kind`` (``"text"``, ``"audio"``, ``"native_audio"``)."""
        if kind not in _KINDS:
            raise ConfigError(f"unknown model kind {kind!r}; use one of {', '.join(_KINDS)}")
        try:
            models = await self.models(
                api_key=api_key,
                credentials=credentials,
                base_url=base_url,
                api_version=api_version,
                request_timeout=request_timeout,
            )
        except RestAuthError:
            raise
        except RestError as exc:
            if exc.status is not None and exc.status < 500:
                raise
            fallback = self.fallbacks[kind][0]
            _log.get_logger().warning(
                "live_actor.rest.model_list_unavailable",
                kind=kind,
                fallback=fallback,
                error=str(exc),
            )
            return fallback
        chosen = newest(models, kind)
        if chosen is None:
            raise ConfigError(
                f"no Live model of kind {kind!r} at this endpoint; it lists: "
                f"{', '.join(m.id for m in models) or 'none'}"
            )
        return chosen


_DEFAULT_RESOLVER: Final = ModelResolver()


async def resolve_model(
    kind: ModelKind,
    *,
    api_key: str | None = None,
    credentials: CredentialsSource | None = None,
    base_url: str | None = None,
    api_version: str = "v1beta",
    request_timeout: float = DEFAULT_TIMEOUT,
) -> str:
    """:meth:`ModelResolver.resolve` on the process-wide resolver (one hour TTL)."""
    return await _DEFAULT_RESOLVER.resolve(
        kind,
        api_key=api_key,
        credentials=credentials,
        base_url=base_url,
        api_version=api_version,
        request_timeout=request_timeout,
    )
