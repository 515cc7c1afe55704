"""The request body is exactly what json.dumps writes, though image URLs are copied in as is."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage

from multitrust.models import openai_compat
from multitrust.models.openai_compat import build_payload, payload_bytes
from multitrust.types import GenerateConfig, Image, Message


def _reference(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _png(seed: int) -> Image:
    return Image.from_pil(PILImage.new("RGB", (8 + seed, 5), (seed * 40 % 256, 10, 200)))


texts = st.text(max_size=60)  # any unicode: quotes, backslashes, controls, surrogate-free


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["system", "user", "assistant"]), texts, st.integers(0, 3)),
        min_size=1,
        max_size=4,
    ),
    st.integers(0, 5),
)
def test_same_bytes_as_json_dumps(spec: list[tuple[str, str, int]], seed: int) -> None:
    messages = [
        Message(role, text, tuple(_png(seed + i + k) for k in range(n)) if role == "user" else ())  # type: ignore[arg-type]
        for i, (role, text, n) in enumerate(spec)
    ]
    payload = build_payload("m", messages, GenerateConfig(stop=("\n",)), extra_body={"x": 'é"'})
    assert payload_bytes(payload) == _reference(payload)


def test_the_image_urls_are_spliced_not_encoded(monkeypatch: Any) -> None:
    noise = PILImage.frombytes("L", (256, 200), bytes(range(256)) * 200)
    img = Image.from_pil(noise)
    payload = build_payload("m", [Message("user", 'say "hi"', (img, img))], GenerateConfig())
    seen: list[Any] = []
    real_dumps = json.dumps

    def spy(obj: Any, **kw: Any) -> str:
        seen.append(obj)
        return real_dumps(obj, **kw)

    monkeypatch.setattr(json, "dumps", spy)  # the json module the encoder uses
    body = payload_bytes(payload)
    (encoded_obj,) = seen  # one encoder call, on the body with marks in the images' places
    monkeypatch.undo()
    assert body == _reference(payload)
    # the encoder never saw the base64 text: only the short marks stood in its place
    encoded = real_dumps(encoded_obj)
    assert base64.b64encode(img.read_bytes()).decode()[:100] not in encoded
    assert len(encoded) < 1000
    assert json.loads(body)["messages"][0]["content"][0]["image_url"]["url"].startswith(
        "data:image/png;base64,"
    )


def test_a_prompt_that_looks_like_a_mark_stays_text() -> None:
    img = _png(1)
    mark = openai_compat._URL_MARK + "0"
    payload = build_payload("m", [Message("user", mark, (img,))], GenerateConfig())
    assert payload_bytes(payload) == _reference(payload)


def test_only_urls_built_here_are_copied_in() -> None:
    from multitrust.models.images import DataURL, EncodedImage

    odd = EncodedImage('image/x"y', b"\x00\x01").data_url  # a MIME type JSON must escape
    assert type(odd) is str
    ours = EncodedImage("image/png", b"\x89PNG").data_url
    assert type(ours) is DataURL
    for url in (odd, ours, 'data:text/plain,"quoted"\\'):
        part = {"type": "image_url", "image_url": {"url": url}}
        payload = {"model": "m", "messages": [{"role": "user", "content": [part]}]}
        assert payload_bytes(payload) == _reference(payload)
