"""The OpenAI Chat Completions backend: ``openai/<model>``.

Talks the HTTP API directly (no SDK on the hot path): one pooled client per model with
HTTP keep-alive, a JSON body built with the standard library, and failures mapped to
:mod:`multitrust.errors` classes that the engine's retry policy understands. A base URL
makes ``openai/`` speak to any OpenAI-compatible server (vLLM, SGLang, Ollama, LM Studio,
llama.cpp); the ``vllm/`` provider (:mod:`multitrust.models.vllm_server`) builds on it.

Three transports implement the HTTP call. For a plain ``http://`` endpoint with no proxy set
for it (a local vLLM, SGLang or Ollama server), ``raw`` (:mod:`multitrust.models._rawhttp`, a
small HTTP/1.1 client) costs 0.08–0.15 ms of CPU per request against aiohttp's 0.17–0.30
(``benchmarks/http_transports.py``), which matters when a fast local server lets the client set
the pace. Otherwise ``aiohttp`` (the default for HTTPS and proxies) is used; ``httpx`` is the
fallback, sharded over several clients because one httpx pool scans all its connections on
every request and stalls past a few dozen concurrent requests (measured in
``docs/performance.md``). Choose with ``ModelOptions(extra={"transport": "aiohttp"})``.

Keys never leave this module except in the ``Authorization`` header: they are not in
``describe()``, reprs, or any exception message (messages are redacted before raising).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from multitrust.errors import (
    BadRequest,
    BadResponse,
    CallTimeout,
    ConfigError,
    ConnectionFailed,
    InputError,
    ModelCallError,
)
from multitrust.models._http import (
    error_detail,
    normalize_base_url,
    prefixed_error,
    redact,
    snippet,
    status_error,
)
from multitrust.models.base import Model, ModelOptions, env_key, provider, public_url
from multitrust.models.images import DataURL, data_url
from multitrust.types import GenerateConfig, Generation, Message, Sample

OPENAI_URL = "https://api.openai.com/v1"
#: Connections per model: enough for the engine's highest concurrency without queueing.
DEFAULT_MAX_CONNECTIONS = 256
#: httpx clients per model (see the module docstring for why one is not enough).
HTTPX_SHARDS = 16
_REASONING = re.compile(r"^(o\d|gpt-5)")


# -- URLs, keys and headers --------------------------------------------------------------------


def is_openai_host(url: str) -> bool:
    return urlsplit(url).hostname == "api.openai.com"


# -- request and response bodies ---------------------------------------------------------------


def message_json(message: Message, max_side: int | None) -> dict[str, Any]:
    """One chat message in the Chat Completions format; images first, as data URLs."""
    if not message.images:
        return {"role": message.role, "content": message.text}
    if message.role != "user":
        raise InputError(f"images are only allowed in user messages, not {message.role!r} ones")
    parts: list[dict[str, Any]] = [
        {"type": "image_url", "image_url": {"url": data_url(img, max_side=max_side)}}
        for img in message.images
    ]
    if message.text:
        parts.append({"type": "text", "text": message.text})
    return {"role": "user", "content": parts}


def build_payload(
    model: str,
    messages: Sequence[Message],
    config: GenerateConfig,
    *,
    max_side: int | None = None,
    official: bool = False,
    extra_body: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The request body. ``official`` selects api.openai.com's current parameter names."""
    body: dict[str, Any] = {
        "model": model,
        "messages": [message_json(m, max_side) for m in messages],
    }
    reasoning = official and _REASONING.match(model) is not None
    body["max_completion_tokens" if official else "max_tokens"] = config.max_tokens
    if not reasoning:  # reasoning models reject sampling parameters
        body["temperature"] = config.temperature
        if config.top_p is not None:
            body["top_p"] = config.top_p
    if config.seed is not None:
        body["seed"] = config.seed
    if config.stop:
        body["stop"] = list(config.stop)
    if extra_body:
        body.update(extra_body)
    return body


#: Stands in for an image's data URL while the rest of a body is encoded (a per-process nonce,
#: so no prompt text can contain it).
_URL_MARK = f"mt-image-{uuid.uuid4().hex}-"
_URL_MARK_RE = re.compile(f'"{_URL_MARK}(\\d+)"')


def payload_bytes(payload: Mapping[str, Any]) -> bytes:
    """``json.dumps(payload, ensure_ascii=False, separators=(",", ":"))`` as UTF-8, byte for byte,
    without the encoder scanning each image's base64 text: the data URLs are set aside, the rest
    is encoded, and the URLs are copied into their places (~0.3 ms less per 250 KB image)."""
    urls: list[str] = []
    messages: list[Any] = []
    for message in payload.get("messages", ()):
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(content, list):
            parts = []
            for part in content:
                image = part.get("image_url") if isinstance(part, Mapping) else None
                if isinstance(image, Mapping) and type(image.get("url")) is DataURL:
                    urls.append(image["url"])
                    part = {**part, "image_url": {**image, "url": f"{_URL_MARK}{len(urls) - 1}"}}
                parts.append(part)
            message = {**message, "content": parts}
        messages.append(message)
    if urls:
        pieces = _URL_MARK_RE.split(_json({**payload, "messages": messages}))  # text, i, text, …
        if pieces[1::2] == [str(i) for i in range(len(urls))]:  # no mark in the text itself
            out = [pieces[0].encode("utf-8")]
            for i in range(1, len(pieces), 2):
                url = urls[int(pieces[i])].encode("ascii")
                out += (b'"', url, b'"', pieces[i + 1].encode("utf-8"))
            return b"".join(out)
    return _json(payload).encode("utf-8")


def _json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def parse_completion(raw: bytes) -> tuple[str, int | None, int | None]:
    """(text, input tokens, output tokens) from a completion body; BadResponse if malformed."""
    try:
        data = json.loads(raw)
    except ValueError:
        raise BadResponse(f"response is not JSON: {snippet(raw)!r}") from None
    if not isinstance(data, dict):
        raise BadResponse(f"response is not a JSON object: {snippet(raw)!r}")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        detail = error_detail(data) or "no choices"
        raise BadResponse(f"response has no choices ({detail})")
    first = choices[0] if isinstance(choices[0], dict) else {}
    message = first.get("message")
    if not isinstance(message, dict):
        raise BadResponse("response choice has no message")
    text = _content_text(message.get("content"))
    if text is None:
        refusal = message.get("refusal")  # OpenAI puts a model refusal here, content null
        if isinstance(refusal, str) and refusal:
            text = refusal
        else:
            raise BadResponse(
                f"response content is null (finish_reason={first.get('finish_reason')!r})"
            )
    usage = data.get("usage")
    if not isinstance(usage, dict):
        return text, None, None
    return (
        text,
        _int_or_none(usage.get("prompt_tokens")),
        _int_or_none(usage.get("completion_tokens")),
    )


def _content_text(content: Any) -> str | None:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # some servers return content parts
        texts: list[str] = [
            p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
        ]
        return "".join(texts) if texts else None
    return None


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) else None


# -- transports --------------------------------------------------------------------------------


class Transport(Protocol):
    """POST bytes, get (status, headers, body). Network failures raise ModelCallError."""

    name: str

    async def post(self, url: str, body: bytes) -> tuple[int, Mapping[str, str], bytes]: ...

    async def get(self, url: str) -> int: ...

    async def aclose(self) -> None: ...


def guarded_connector(**kwargs: Any) -> Any:
    """An ``aiohttp.TCPConnector`` that never hands out a connection which received bytes
    while it sat idle in the pool.

    aiohttp parses whatever arrives on a kept-alive connection and gives it to the next
    request sent on it: a server that sends an answer nobody asked for would have it taken
    as the next sample's answer. Here a connection is marked idle when it goes back to the
    pool and unmarked when a request takes it; a byte that arrives while it is idle closes it
    (aiohttp's pool skips closed connections). Bytes that come with the end of an answer are
    already aiohttp's own reason not to reuse a connection (``ResponseHandler.should_close``).
    If aiohttp's pool ever stops offering these hooks, every connection is closed after its
    answer instead (``force_close``): slower, never wrong.
    """
    import aiohttp
    from aiohttp.client_proto import ResponseHandler

    hooks = hasattr(aiohttp.TCPConnector, "_release") and hasattr(
        ResponseHandler, "set_response_params"
    )
    if not hooks:
        return aiohttp.TCPConnector(force_close=True, **kwargs)

    class _Handler(ResponseHandler):
        idle = False

        def set_response_params(self, *args: Any, **kw: Any) -> None:
            self.idle = False
            super().set_response_params(*args, **kw)

        def data_received(self, data: bytes) -> None:
            if self.idle and data:  # an answer nobody asked for: drop the connection
                self._drop()
                return
            super().data_received(data)
            if self.idle and self.should_close:  # released mid-feed, more bytes behind it
                self._drop()

        def _drop(self) -> None:
            self.force_close()
            if self.transport is not None:
                self.transport.close()

    class _Connector(aiohttp.TCPConnector):
        def __init__(self, **kw: Any) -> None:
            super().__init__(**kw)
            factory = getattr(self, "_factory", None)
            if isinstance(factory, functools.partial) and factory.func is ResponseHandler:
                guarded: Any = functools.partial(_Handler, *factory.args, **factory.keywords)
                self._factory = guarded
            else:  # the pool changed shape: be safe rather than fast
                self._force_close = True

        def _release(self, key: Any, protocol: Any, **kw: Any) -> None:
            if isinstance(protocol, _Handler):
                protocol.idle = True
            super()._release(key, protocol, **kw)

    return _Connector(**kwargs)


class AiohttpTransport:
    """One ``aiohttp.ClientSession`` per event loop (the engine uses one loop per run)."""

    name = "aiohttp"

    def __init__(self, headers: dict[str, str], timeout_s: float, max_connections: int) -> None:
        self._headers = headers
        self._timeout_s = timeout_s
        self._max_connections = max_connections
        self._session: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._proxy: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"AiohttpTransport(timeout_s={self._timeout_s})"

    @staticmethod
    def _env_proxy(url: str) -> dict[str, Any]:
        """HTTP(S)_PROXY / NO_PROXY for ``url``, looked up once rather than per request.

        (``trust_env=True`` would do it on every request, with two thread-pool hops.)
        """
        from aiohttp.helpers import get_env_proxy_for_url
        from yarl import URL

        try:
            proxy, proxy_auth = get_env_proxy_for_url(URL(url))
        except LookupError:
            return {}
        return {"proxy": proxy, "proxy_auth": proxy_auth}

    def _client(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop:
            import aiohttp

            # one deadline for the whole exchange: a server dripping bytes cannot outlast it
            timeout = aiohttp.ClientTimeout(
                total=self._timeout_s, sock_connect=min(self._timeout_s, 30.0)
            )
            connector = guarded_connector(
                limit=self._max_connections, limit_per_host=0, ttl_dns_cache=300
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers=self._headers,
                timeout=timeout,
                cookie_jar=aiohttp.DummyCookieJar(),  # APIs need no cookies; skip the jar's work
            )
            self._loop = loop
        return self._session

    async def post(self, url: str, body: bytes) -> tuple[int, Mapping[str, str], bytes]:
        import aiohttp

        session = self._client()
        if url not in self._proxy:
            self._proxy[url] = self._env_proxy(url)
        try:
            async with session.post(
                url, data=body, allow_redirects=False, **self._proxy[url]
            ) as resp:
                return resp.status, resp.headers, await resp.read()
        except aiohttp.ConnectionTimeoutError as exc:
            raise ConnectionFailed(f"connect timeout after {self._timeout_s:g}s: {exc}") from None
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError):
            raise CallTimeout(f"no complete response within {self._timeout_s:g}s") from None
        except aiohttp.InvalidURL as exc:
            raise BadRequest(f"invalid URL: {exc}") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise ConnectionFailed(f"{type(exc).__name__}: {exc or 'connection lost'}") from None

    async def get(self, url: str) -> int:
        import aiohttp

        session = self._client()
        try:
            async with session.get(url, allow_redirects=False, **self._env_proxy(url)) as resp:
                return int(resp.status)
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError):
            raise CallTimeout(f"no complete response within {self._timeout_s:g}s") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise ConnectionFailed(f"{type(exc).__name__}: {exc or 'connection lost'}") from None

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed and self._loop is asyncio.get_running_loop():
            await session.close()


class HttpxTransport:
    """Several ``httpx.AsyncClient`` shards per event loop, used round-robin."""

    name = "httpx"

    def __init__(self, headers: dict[str, str], timeout_s: float, max_connections: int) -> None:
        self._headers = headers
        self._timeout_s = timeout_s
        self._max_connections = max_connections
        self._clients: list[Any] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._next = 0

    def __repr__(self) -> str:
        return f"HttpxTransport(timeout_s={self._timeout_s})"

    def _client(self) -> Any:
        loop = asyncio.get_running_loop()
        if not self._clients or self._loop is not loop:
            import httpx

            timeout = httpx.Timeout(self._timeout_s, connect=min(self._timeout_s, 30.0), pool=None)
            limits = httpx.Limits(
                max_connections=self._max_connections,
                max_keepalive_connections=self._max_connections,
            )
            ssl_context = (
                httpx.create_ssl_context()
            )  # one for all shards: each costs ~20 ms to build
            self._clients = [
                httpx.AsyncClient(
                    headers=self._headers, timeout=timeout, limits=limits, verify=ssl_context
                )
                for _ in range(HTTPX_SHARDS)
            ]
            self._loop = loop
        self._next = (self._next + 1) % len(self._clients)
        return self._clients[self._next]

    async def post(self, url: str, body: bytes) -> tuple[int, Mapping[str, str], bytes]:
        import httpx

        client = self._client()
        try:  # httpx's timeouts are per read: one deadline covers the whole exchange
            resp = await asyncio.wait_for(client.post(url, content=body), self._timeout_s)
        except httpx.ConnectTimeout as exc:
            raise ConnectionFailed(f"connect timeout after {self._timeout_s:g}s: {exc}") from None
        except (httpx.TimeoutException, asyncio.TimeoutError):
            raise CallTimeout(f"no complete response within {self._timeout_s:g}s") from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise BadRequest(f"invalid URL: {exc}") from None
        except (httpx.HTTPError, OSError) as exc:
            raise ConnectionFailed(f"{type(exc).__name__}: {exc or 'connection lost'}") from None
        return resp.status_code, resp.headers, resp.content

    async def get(self, url: str) -> int:
        import httpx

        try:
            resp = await asyncio.wait_for(self._client().get(url), self._timeout_s)
        except (httpx.TimeoutException, asyncio.TimeoutError):
            raise CallTimeout(f"no complete response within {self._timeout_s:g}s") from None
        except (httpx.HTTPError, OSError) as exc:
            raise ConnectionFailed(f"{type(exc).__name__}: {exc or 'connection lost'}") from None
        return int(resp.status_code)

    async def aclose(self) -> None:
        clients, self._clients = self._clients, []
        if self._loop is asyncio.get_running_loop():
            for c in clients:
                await c.aclose()


def _plain_http_without_proxy(url: str | None) -> bool:
    """A plain-HTTP URL, without credentials in it, that no proxy setting applies to."""
    parts = urlsplit(url) if url is not None else None
    if parts is None or parts.scheme != "http" or parts.username is not None:
        return False
    import urllib.request

    if not urllib.request.getproxies_environment().get("http"):
        return True
    return bool(urllib.request.proxy_bypass(parts.hostname or ""))  # NO_PROXY


def make_transport(
    kind: str,
    headers: dict[str, str],
    timeout_s: float,
    max_connections: int,
    url: str | None = None,
) -> Transport:
    """``auto``: ``raw`` for a plain-HTTP ``url`` reached without a proxy, else ``aiohttp``
    (``httpx`` when aiohttp is not installed)."""
    if kind == "auto":
        if _plain_http_without_proxy(url):
            kind = "raw"
        else:
            try:
                import aiohttp  # noqa: F401
            except ImportError:
                kind = "httpx"
            else:
                kind = "aiohttp"
    if kind == "raw":
        from multitrust.models._rawhttp import RawHttpTransport

        return RawHttpTransport(headers, timeout_s, max_connections)
    if kind == "aiohttp":
        return AiohttpTransport(headers, timeout_s, max_connections)
    if kind == "httpx":
        return HttpxTransport(headers, timeout_s, max_connections)
    raise ConfigError(f"unknown transport {kind!r} (choose auto, raw, aiohttp or httpx)")


#: 307/308 hops followed within one origin before giving up.
MAX_REDIRECTS = 5


async def post_following(
    transport: Transport, url: str, body: bytes
) -> tuple[int, Mapping[str, str], bytes]:
    """POST, following 307/308 (which keep the method and body) within the same origin, the
    same on every transport (none of them follows redirects itself). A redirect to another
    origin (which would carry the key there) or a 301/302/303 is a BadRequest naming the
    target; a redirect without a Location comes back as it is."""
    for _ in range(MAX_REDIRECTS + 1):
        status, headers, raw = await transport.post(url, body)
        if status not in (301, 302, 303, 307, 308) or not headers.get("location"):
            return status, headers, raw
        target = urljoin(url, headers.get("location") or "")
        a, b = urlsplit(url), urlsplit(target)
        if status < 307:  # these turn a POST into a GET: never what an API means
            raise BadRequest(
                f"HTTP {status}: redirected to {public_url(target)}, which is not followed "
                "for a POST: use that URL as the base URL"
            )
        if (a.scheme, a.hostname, a.port) != (b.scheme, b.hostname, b.port):
            raise BadRequest(
                f"HTTP {status}: redirected to another origin ({public_url(target)}), "
                "which is not followed: use that URL as the base URL"
            )
        url = target
    raise BadRequest(f"HTTP {status}: more than {MAX_REDIRECTS} redirects")


def endpoint(base_url: str, path: str) -> str:
    """``base_url`` + ``path``, any query string of the base URL kept at the end
    (``https://x.azure.com/openai?api-version=1`` -> ``…/openai/chat/completions?api-version=1``)."""
    parts = urlsplit(base_url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path + path, parts.query, ""))


def url_credentials(base_url: str) -> tuple[str, str | None, str | None]:
    """(the URL without ``user:password@``, user, password)."""
    parts = urlsplit(base_url)
    if parts.username is None and parts.password is None:
        return base_url, None, None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    bare = urlunsplit((parts.scheme, host, parts.path, parts.query, ""))
    return bare, unquote(parts.username or ""), unquote(parts.password or "")


# -- the model ---------------------------------------------------------------------------------


class OpenAICompatModel(Model):
    """A Chat Completions endpoint. Construct through ``get_model("openai/<name>")``."""

    provider = "openai"
    default_base_url = OPENAI_URL
    key_env: tuple[str, ...] = ("OPENAI_API_KEY",)

    def __init__(self, name: str, options: ModelOptions | None = None) -> None:
        super().__init__(name, options)
        o = self.options
        base, user, password = url_credentials(
            normalize_base_url(o.base_url or self.default_base_url)
        )
        self.base_url = base
        self._official = is_openai_host(self.base_url)
        self._key = o.api_key or env_key(*self.key_env)
        self._public_url = public_url(self.base_url)  # computed once: the engine asks per call
        self._secrets: tuple[str, ...] = ()
        if user is not None:
            if self._key:
                raise ConfigError(
                    f"{self.model_id}: the base URL {self._public_url} carries user:password "
                    "and an API key is set too; give only one of them"
                )
            token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
            authorization = f"Basic {token}"  # HTTP basic auth, as a browser would send
            self._secrets = tuple(x for x in (password, token) if x)
        else:
            if not self._key:
                if self._official:
                    raise ConfigError(
                        f"{self.model_id} needs an API key: set {self.key_env[0]} or pass --api-key"
                    )
                self._key = "EMPTY"  # local servers ignore it, but the header must be present
            authorization = f"Bearer {self._key}"
            self._secrets = (self._key,)
        extra = o.extra or {}
        self._extra_body: dict[str, Any] | None = extra.get("extra_body")
        headers = {"Authorization": authorization, "Content-Type": "application/json"}
        headers.update(extra.get("headers", {}))
        max_conn = max(DEFAULT_MAX_CONNECTIONS, int(extra.get("max_connections", 0)))
        self._transport = make_transport(
            str(extra.get("transport", "auto")), headers, o.timeout_s, max_conn, self.base_url
        )
        self._url = endpoint(self.base_url, "/chat/completions")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model_id!r}, base_url={self._public_url!r})"

    async def generate(
        self, messages: Sequence[Message], config: GenerateConfig, *, sample: Sample | None = None
    ) -> Generation:
        try:
            return await self._generate(messages, config)
        except ModelCallError as exc:
            raise self._prefixed(exc) from None

    async def _generate(self, messages: Sequence[Message], config: GenerateConfig) -> Generation:
        payload = build_payload(
            self.name,
            messages,
            config,
            max_side=self.options.max_image_side,
            official=self._official,
            extra_body=self._extra_body,
        )
        body = payload_bytes(payload)
        start = time.perf_counter()
        status, headers, raw = await post_following(self._transport, self._url, body)
        latency = time.perf_counter() - start
        if not 200 <= status < 300:
            raise status_error(status, headers, raw, self._secrets)
        text, tokens_in, tokens_out = parse_completion(raw)
        return Generation(
            text=text, input_tokens=tokens_in, output_tokens=tokens_out, latency_s=latency
        )

    async def preflight(self) -> None:
        """Fail fast (ConfigError) when nothing answers at the base URL.

        Any HTTP answer, even 401 or 404, proves the server is there; only an unreachable
        endpoint fails, so a run does not retry a dead URL once per sample. Meant to be
        called once by the engine before a run.
        """
        try:  # bounded: the transports' one deadline covers the whole exchange
            await self._transport.get(endpoint(self.base_url, "/models"))
        except (ConnectionFailed, CallTimeout) as exc:
            msg = redact(f"{self.model_id}: cannot reach {self._public_url}: {exc}", *self._secrets)
            raise ConfigError(msg) from None

    def _prefixed(self, exc: ModelCallError) -> ModelCallError:
        return prefixed_error(exc, self.model_id, *self._secrets)

    async def aclose(self) -> None:
        await self._transport.aclose()


@provider("openai")
def _make_openai(name: str, options: ModelOptions) -> Model:
    return OpenAICompatModel(name, options)
