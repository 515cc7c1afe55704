"""Tiny random-weight Hugging Face models, built in memory and saved to a directory.

No hub access is needed: the tokenizer is trained on a few sentences with the ``tokenizers``
library, configs are shrunk to a few thousand parameters and the weights are random. Outputs
are nonsense, but the whole loading / chat-template / batching / generation path is real.

Builders (each returns the directory it wrote):
``build_llava``         LLaVA (CLIP vision tower + Llama), byte-level BPE vocabulary.
``build_idefics3``      Idefics3 (SmolVLM's architecture), word-level vocabulary.
``build_text_llama``    a text-only Llama causal LM with a chat template.
``build_seq_classifier`` a Longformer sequence classifier (Do-Not-Answer's 6 action labels).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# Must be set before transformers is imported anywhere: a hub lookup with these unset
# retries for minutes before failing on a machine without internet.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SEED = 1234

CORPUS = [
    "the cat sits on the red mat and looks at the blue sky",
    "a dog runs in the green park with a yellow ball",
    "is there a person in the image? yes, there is one person.",
    "no, there is no car in the picture.",
    "describe the image in one sentence please",
    "what is the color of the box? the box is red.",
    "i am sorry, but i cannot help with that request.",
    "sure, here is a detailed answer to your question.",
    "the quick brown fox jumps over the lazy dog",
    "answer with yes or no only.",
    "user assistant system question answer image picture photo",
    "behavior generation rules instance harmful yes no classifier",
]

# Chat template for LLaVA-style prompts. Content is either a string (text-only turns) or a
# list of {"type": "image"} / {"type": "text"} items; images become the <image> placeholder.
LLAVA_TEMPLATE = (
    "{% for message in messages %}"
    "{{ message['role'] | upper }}: "
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for item in message['content'] %}"
    "{% if item['type'] == 'image' %}<image>{{ '\\n' }}"
    "{% elif item['type'] == 'text' %}{{ item['text'] }}{% endif %}"
    "{% endfor %}{% endif %}{{ '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}ASSISTANT:{% endif %}"
)

# SmolVLM-style template: the Idefics3 processor expands each <image> into its tiles.
IDEFICS3_TEMPLATE = (
    "<|im_start|>"
    "{% for message in messages %}"
    "{{ message['role'] | capitalize }}:"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for item in message['content'] %}"
    "{% if item['type'] == 'image' %}<image>"
    "{% elif item['type'] == 'text' %}{{ item['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<end_of_utterance>{{ '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}Assistant:{% endif %}"
)

# Text-only template (string content only), used by the tiny causal LM.
TEXT_TEMPLATE = (
    "{% for message in messages %}"
    "<|{{ message['role'] }}|>{{ message['content'] }}</s>{{ '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def _seed() -> None:
    import torch

    torch.manual_seed(SEED)


def bpe_tokenizer(specials: list[str], *, vocab_size: int = 512) -> Any:
    """A byte-level BPE tokenizer trained in memory, wrapped as PreTrainedTokenizerFast."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(CORPUS, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="<unk>",
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
    )


def word_tokenizer(specials: list[str]) -> Any:
    """A word-level tokenizer (random output decodes to readable words)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()]
    )
    tok.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
    trainer = trainers.WordLevelTrainer(special_tokens=specials, show_progress=False)
    tok.train_from_iterator(CORPUS, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="<unk>",
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
    )


def _llama_config(vocab_size: int, pad_id: int, bos_id: int, eos_id: int) -> Any:
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        pad_token_id=pad_id,
        bos_token_id=bos_id,
        eos_token_id=eos_id,
    )


def build_llava(
    path: str | Path,
    *,
    vision: dict[str, Any] | None = None,
    text: dict[str, Any] | None = None,
    image_size: int = 32,
    patch_size: int = 8,
    feature_layer: int = -1,
    device: str = "cpu",
    dtype: Any = None,
) -> Path:
    """A LLaVA with random weights: by default ~150k parameters (CLIP tower 32x32 / patch 8,
    tiny Llama). ``vision`` / ``text`` override config fields, so the GPU benchmark builds a
    realistically sized one with the same code; ``device`` builds the weights in place there."""
    import torch
    from transformers import (
        CLIPImageProcessor,
        CLIPVisionConfig,
        LlavaConfig,
        LlavaForConditionalGeneration,
        LlavaProcessor,
    )

    out = Path(path)
    _seed()
    tokenizer = bpe_tokenizer(["<unk>", "<s>", "</s>", "<pad>", "<image>"])
    tokenizer.add_special_tokens({"additional_special_tokens": ["<image>"]})
    image_id = tokenizer.convert_tokens_to_ids("<image>")
    vision_config = CLIPVisionConfig(
        **{
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "projection_dim": 32,
            **(vision or {}),
            "image_size": image_size,
            "patch_size": patch_size,
        }
    )
    text_config = _llama_config(
        len(tokenizer), tokenizer.pad_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id
    )
    for k, v in (text or {}).items():
        setattr(text_config, k, v)
    config = LlavaConfig(
        vision_config=vision_config,
        text_config=text_config,
        image_token_index=image_id,
        vision_feature_select_strategy="default",
        vision_feature_layer=feature_layer,
    )
    with torch.device(device):
        model = LlavaForConditionalGeneration(config).eval()
    if dtype is not None:
        model = model.to(dtype)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    image_processor = CLIPImageProcessor(
        size={"shortest_edge": image_size}, crop_size={"height": image_size, "width": image_size}
    )
    processor = LlavaProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=patch_size,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,
        chat_template=LLAVA_TEMPLATE,
    )
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


def build_idefics3(path: str | Path) -> Path:
    """A ~120k-parameter Idefics3 (SmolVLM's architecture), no image splitting."""
    from transformers import (
        Idefics3Config,
        Idefics3ForConditionalGeneration,
        Idefics3ImageProcessorPil,
        Idefics3Processor,
        Idefics3VisionConfig,
    )

    out = Path(path)
    _seed()
    specials = [
        "<unk>",
        "<s>",
        "</s>",
        "<pad>",
        "<image>",
        "<fake_token_around_image>",
        "<global-img>",
        "<end_of_utterance>",
        "<|im_start|>",
    ]
    tokenizer = word_tokenizer(specials)
    tokenizer.add_special_tokens({"additional_special_tokens": specials[4:]})
    image_id = tokenizer.convert_tokens_to_ids("<image>")
    vision = Idefics3VisionConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=32,
        patch_size=8,
    )
    text = _llama_config(
        len(tokenizer), tokenizer.pad_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id
    )
    config = Idefics3Config(
        vision_config=vision, text_config=text, image_token_id=image_id, scale_factor=2
    )
    model = Idefics3ForConditionalGeneration(config).eval()
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    image_processor = Idefics3ImageProcessorPil(
        do_image_splitting=False,
        size={"longest_edge": 32},
        max_image_size={"longest_edge": 32},
    )
    # (32 / 8)^2 patches, merged 2x2 by the connector's pixel shuffle -> 4 tokens per image
    processor = Idefics3Processor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        image_seq_len=4,
        chat_template=IDEFICS3_TEMPLATE,
    )
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


def build_text_llama(path: str | Path) -> Path:
    """A text-only Llama causal LM with a chat template on its tokenizer."""
    from transformers import LlamaForCausalLM

    out = Path(path)
    _seed()
    specials = ["<unk>", "<s>", "</s>", "<pad>", "<|user|>", "<|assistant|>", "<|system|>"]
    tokenizer = bpe_tokenizer(specials)
    tokenizer.add_special_tokens({"additional_special_tokens": specials[4:]})
    # whole-word tokens, so a classifier's first token can decode to exactly "Yes" / "No"
    tokenizer.add_tokens(["Yes", "No"])
    tokenizer.chat_template = TEXT_TEMPLATE
    config = _llama_config(
        len(tokenizer), tokenizer.pad_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id
    )
    model = LlamaForCausalLM(config).eval()
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def build_seq_classifier(path: str | Path, *, num_labels: int = 6) -> Path:
    """A tiny Longformer sequence classifier with ``LABEL_0`` .. ``LABEL_{n-1}``."""
    from transformers import LongformerConfig, LongformerForSequenceClassification

    out = Path(path)
    _seed()
    # RoBERTa's special-token order (pad id 1): positions start after the padding index
    tokenizer = bpe_tokenizer(["<s>", "<pad>", "</s>", "<unk>"])
    config = LongformerConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        attention_window=8,
        max_position_embeddings=130,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    config.num_labels = num_labels  # sets id2label to LABEL_0 .. LABEL_{n-1}
    model = LongformerForSequenceClassification(config).eval()
    tokenizer.model_max_length = 128
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def build_toxicity_classifier(
    path: str | Path,
    *,
    labels: tuple[str, ...] = ("neutral", "toxic"),
    multi_label: bool = False,
    arch: str = "roberta",
    hidden: int = 32,
    layers: int = 2,
    heads: int = 2,
    max_positions: int = 66,
    vocab_size: int = 512,
) -> Path:
    """A randomly initialised text classifier shaped like a hub toxicity model: ``roberta``
    (softmax over ``labels``, like s-nlp/roberta_toxicity_classifier) or ``bert`` (with
    ``multi_label``: sigmoid heads, like unitary/toxic-bert). ``hidden``/``layers`` scale it up
    for benchmarks (6 layers x 768 is the size of those models, vocabulary aside)."""
    from transformers import (
        BertConfig,
        BertForSequenceClassification,
        RobertaConfig,
        RobertaForSequenceClassification,
    )

    out = Path(path)
    _seed()
    # RoBERTa's special-token order (pad id 1): positions start after the padding index
    specials = (
        ["<s>", "<pad>", "</s>", "<unk>"]
        if arch == "roberta"
        else ["<pad>", "<s>", "</s>", "<unk>"]
    )
    tokenizer = bpe_tokenizer(specials, vocab_size=vocab_size)
    shape = {
        "vocab_size": len(tokenizer),
        "hidden_size": hidden,
        "intermediate_size": 4 * hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "max_position_embeddings": max_positions,
        "pad_token_id": tokenizer.pad_token_id,
        "id2label": dict(enumerate(labels)),
        "label2id": {name: i for i, name in enumerate(labels)},
    }
    if multi_label:
        shape["problem_type"] = "multi_label_classification"
    if arch == "roberta":
        model: Any = RobertaForSequenceClassification(RobertaConfig(**shape)).eval()
        tokenizer.model_max_length = max_positions - 2
    else:
        model = BertForSequenceClassification(BertConfig(**shape)).eval()
        tokenizer.model_max_length = int(1e30)  # "unset": the config's positions decide
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
