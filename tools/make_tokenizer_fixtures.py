#!/usr/bin/env python3
"""Train two small BPE tokenizers with the `tokenizers` library and dump its own ids / decodes.

Run from the repository root:

    python3 tools/make_tokenizer_fixtures.py [--out Tests/AMPSModelTests/Fixtures/tokenizers]

Pinned versions: tools/requirements.txt (tokenizers 0.23.3, transformers 5.24.0).
Deterministic: the trainer runs on a fixed built-in corpus, the test strings come from a seeded RNG.

Writes
  qwen2_bytelevel/tokenizer.json   byte-level BPE laid out like Qwen2's: NFC normalizer, Split(Qwen2 regex,
                                   Isolated) + ByteLevel(use_regex false) pre-tokenizer, ByteLevel decoder and
                                   post-processor, merges in the [a, b] pair form, added tokens after the vocab.
  llama_metaspace/tokenizer.json   SentencePiece-style BPE laid out like a current Llama tokenizer.json:
                                   Metaspace(prepend_scheme first, split false), byte_fallback with the 256
                                   <0xXX> tokens in the model vocab (ids 3..258), unk <unk>, fuse_unk, decoder
                                   Sequence[Replace(▁→ ), ByteFallback, Fuse, Strip(' ', 1, 0)],
                                   TemplateProcessing "<s> $A" / pair "<s> $A <s> $B".
  llama_legacy/tokenizer.json      the same vocabulary in the older form: normalizer Sequence[Prepend(▁),
  llama_legacy/tokenizer_config.json  Replace(' ', ▁)], no pre-tokenizer, merges as "a b" strings and no
                                   post-processor; tokenizer_config.json says add_bos_token true, add_eos_token
                                   false (transformers 4's LlamaTokenizerFast then adds <s>; transformers 5.24
                                   ignores add_bos_token when a tokenizer.json exists and rebuilds a Llama
                                   pipeline from vocab + merges, so it is not the reference here).
  cases.json                       for every tokenizer (and a few variants: a tokenizer.json with some
                                   top-level sections or model fields replaced, see "variants") the ids of
                                   every test string without special tokens, the special-token prefix/suffix
                                   (checked here to be what encode(add_special_tokens=True) adds to every
                                   string), decode(ids) and decode(ids with specials, skip_special_tokens=True)
                                   where they differ from the text, pair encodings, and decodes of random id
                                   sequences (which may split multi-byte characters).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import sys
import unicodedata

import tokenizers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

QWEN2_PATTERN = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"""
                 r""" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""")

CORPUS = """\
The quick brown fox jumps over the lazy dog. The dog was not amused, and the fox ran away.
A picture of a red ball on the left of a blue cube. What color is the ball? The ball is red.
USER: <image>
What is shown in this image? ASSISTANT: The image shows a cat sitting on a wooden table.
In 2024, the population of the city was 1,234,567 people; in 1999 it was 987,654.
She said: "I'm going to the store, don't wait for me!" He replied: 'We'll see, you're always late.'
def tokenize(text):
    return [token for token in text.split() if token]
for (int i = 0; i < n; ++i) { sum += values[i] * 2; }
Numbers like 3.14159, 2.71828 and 1.41421 appear in many formulas; 42 is the answer.
Les élèves étudient la géométrie à l'école. Où est la bibliothèque? Ça va très bien, merci.
Die Straße ist sehr schön. Über den Bergen scheint die Sonne. Größe und Gewicht.
El niño comió una manzana. ¿Dónde está el baño? ¡Qué día tan bonito!
Привет, как дела? Это очень хорошая книга. Москва — столица России.
Καλημέρα, τι κάνεις; Η Αθήνα είναι η πρωτεύουσα της Ελλάδας.
我喜欢学习语言。今天天气很好，我们去公园吧。北京是中国的首都。
日本語の文章も少し含めます。東京は日本の首都です。ありがとうございます。
한국어 문장도 있습니다. 서울은 대한민국의 수도입니다. 감사합니다.
مرحبا بالعالم. هذه جملة باللغة العربية.
שלום עולם. זה משפט בעברית.
नमस्ते दुनिया। यह हिंदी में एक वाक्य है।
สวัสดีครับ ประเทศไทยสวยงามมาก
Emoji are fun 😀 👍 🎉 ❤️ and so are flags 🇫🇷 🇯🇵.
The    spaces	and tabs
  matter   in code.
email: someone@example.com, url: https://example.org/path?query=1&x=2#frag
The red ball, the green ball, the blue ball, the yellow ball and the black ball.
The cat is on the mat. The cat is under the table. The cat is next to the dog.
Question: what color is the cube? Answer: the cube is blue.
Question: where is the ball? Answer: the ball is left of the cube.
Text context: the green cylinder is right of the red sphere.
"""


def train_qwen2(vocab_size: int) -> Tokenizer:
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    tok.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(CORPUS.splitlines(keepends=True) * 3, trainer)
    # Qwen2 puts its special tokens after the vocabulary; a few extra ones exercise the added-token options.
    tok.add_special_tokens([
        AddedToken("<|endoftext|>", special=True, normalized=False),
        AddedToken("<|im_start|>", special=True, normalized=False),
        AddedToken("<|im_end|>", special=True, normalized=False),
        AddedToken("<image>", special=True, normalized=False),
        AddedToken("<mask>", special=True, normalized=False, lstrip=True, rstrip=True),
    ])
    tok.add_tokens([
        AddedToken("FOO", single_word=True, normalized=False),
        AddedToken("Ωmega", normalized=True),           # matched after NFC
        AddedToken("e\u0301clair", normalized=True),     # content itself NFC-normalized -> éclair
    ])
    j = json.loads(tok.to_str())
    # Qwen2 writes the model options this way (empty strings, not null).
    j["model"]["continuing_subword_prefix"] = ""
    j["model"]["end_of_word_suffix"] = ""
    return Tokenizer.from_str(json.dumps(j, ensure_ascii=False))


def train_llama(vocab_size: int) -> tuple[Tokenizer, Tokenizer]:
    """(current Metaspace form, legacy Prepend+Replace form) of one SentencePiece-style BPE vocabulary."""
    t = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    # Train on ▁-prefixed words, as SentencePiece pieces look.
    t.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    n_bytes = 256
    # The 120 most frequent characters (ties by code point) form the alphabet, the rest falls back to bytes.
    # Given explicitly, since the trainer's own limit_alphabet breaks ties between equal counts at random.
    counts: dict[str, int] = {}
    for ch in CORPUS.replace(" ", "▁").replace("\n", ""):
        counts[ch] = counts.get(ch, 0) + 1
    alphabet = sorted(counts, key=lambda c: (-counts[c], c))[:120]
    trainer = trainers.BpeTrainer(vocab_size=vocab_size - n_bytes, special_tokens=["<unk>", "<s>", "</s>"],
                                  initial_alphabet=alphabet, limit_alphabet=len(alphabet), show_progress=False)
    t.train_from_iterator(CORPUS.splitlines() * 3, trainer)
    j = json.loads(t.to_str())
    trained = sorted(j["model"]["vocab"].items(), key=lambda kv: kv[1])
    # Llama layout: <unk> <s> </s>, then <0x00>..<0xFF>, then the pieces.
    vocab: dict[str, int] = {}
    for name in ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]:
        vocab[name] = len(vocab)
    for piece, _ in trained:
        if piece not in vocab:
            vocab[piece] = len(vocab)
    model = j["model"]
    model["vocab"] = vocab
    model["byte_fallback"] = True
    model["fuse_unk"] = True
    model["ignore_merges"] = False
    added = [
        {"id": 0, "content": "<unk>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True},
        {"id": 1, "content": "<s>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True},
        {"id": 2, "content": "</s>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True},
    ]
    extra = [  # after the vocabulary, as llava-1.5 adds <image> and <pad>
        ("<image>", dict(special=True, normalized=False)),
        ("<pad>", dict(special=True, normalized=False)),
        ("<mask>", dict(special=True, normalized=False, lstrip=True, rstrip=False)),
        ("FOO", dict(special=False, normalized=False, single_word=True)),
        ("[NORM]", dict(special=False, normalized=True)),  # matched in normalized text (▁ in the legacy form)
    ]
    for content, opts in extra:
        added.append({"id": len(vocab) + len(added) - 3, "content": content, "single_word": opts.get("single_word", False),
                      "lstrip": opts.get("lstrip", False), "rstrip": opts.get("rstrip", False),
                      "normalized": opts["normalized"], "special": opts["special"]})
    decoder = {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
        {"type": "ByteFallback"}, {"type": "Fuse"},
        {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
    current = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
        "decoder": decoder,
        "model": model,
    }
    legacy = copy.deepcopy(current)
    legacy["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}
    legacy["pre_tokenizer"] = None
    legacy["post_processor"] = None
    legacy["model"]["merges"] = [" ".join(m) for m in model["merges"]]
    return (Tokenizer.from_str(json.dumps(current, ensure_ascii=False)),
            Tokenizer.from_str(json.dumps(legacy, ensure_ascii=False)))


BASE_STRINGS = [
    "", " ", "  ", "   ", "\t", "\n", "\r\n", " \n ", "\n\n\n", "\t\t  \t", "a", "A", "hello", "Hello world",
    "the red ball", "The red ball is left of the cube.", "Question: what color is the ball?\nAnswer:",
    "USER: <image>\nWhat is shown in this image? ASSISTANT:", "<image>", "<image><image><image>", "<image>\n",
    "\n<image>", " <image> ", "a<image>b", "<ima", "<<image>>", "image>",
    "<|im_start|>user\nDescribe the picture.<|im_end|>\n<|im_start|>assistant\n", "<|im_start|><|im_end|>",
    "<|endoftext|>", "text<|endoftext|>more", "<s>", "</s>", "<s>Hello</s>", " <s> x </s> ", "<unk>", "<pad>",
    "a<mask>b", "a <mask> b", "a   <mask>   b", "<mask>", " <mask>", "<mask> ", "FOO", "FOO bar", "bar FOO", "xFOO",
    "FOOx", "FOO_", "_FOO", "FOO.", "(FOO)", "FOOFOO", "FOO FOO", "éFOO", "1FOO", "[NORM]", "x [NORM] y", "[NORM]x",
    "Ωmega", "\u03a9mega", "\u2126mega", "éclair", "e\u0301clair", "un éclair", "an eclair",
    "a  b", "a   b", "a    b", "a\tb", "a\t\tb", "a \n\n b", "a\n \nb", "end   ", "   start", "  both  ", "x \t y",
    "line1\nline2\r\nline3\rline4", "tabs\tand\nnewlines\n", "trailing newline\n", " \t\n\r\x0b\x0c ",
    "a\u00a0b", "a\u3000b", "\u3000", "a\u2028b", "a\u0085b", "a\u200bb", "a\u2009b", "\u00a0\u00a0x",
    "'s", "'S", "it's", "IT'S", "don't", "DON'T", "we're", "We'Re", "I've", "I'm", "I'M", "you'll", "YOU'LL",
    "he'd", "'ſ", "'K", "''", "'", "rock 'n' roll", "'hello'", "\"quoted\"", "it’s curly",
    "0", "7", "42", "1234567890", "12345678901234567890123", "3.14159", "1,000,000", "-273.15", "1e-10",
    "2024-01-31", "12:30:45", "$100", "50%", "v1.2.3", "x2", "2x", "٣٤٥", "०१२", "①②③", "Ⅻ", "½ ¾", "²³",
    "!", "!!!", "???", "...", "…", "!?!?", "#$%&", "(a)[b]{c}", "—–-", "«guillemets»", "“curly”", "a,b;c:d",
    "@user", "#hashtag", "https://example.com/path?q=1&r=2#x", "someone@example.org", "C:\\Windows\\path",
    "~/dir/file.txt", "a->b=>c", "x<=y>=z", "a!=b", "1+1=2", "f(x)=x^2", "<b>bold</b>", "<div class=\"x\">",
    "def f(x):\n    return x**2\n", "if (a && b) { c++; }", "    indented", "\tindented", "x = [1, 2, 3]",
    "café", "naïve", "Ångström", "Straße", "ÆØÅ æøå", "Ça va?", "Größe", "niño", "İstanbul", "ß", "ﬁ ﬂ",
    "e\u0301", "a\u0308", "o\u0302\u0323", "\u1100\u1161\u11a8", "Å", "\u212b", "\u0041\u030a", "x\u0301",
    "\u0301", "\u0301\u0301a", "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e",
    "Привет мир", "ПРИВЕТ", "Москва — столица России.", "Καλημέρα κόσμε", "ΑΘΗΝΑ",
    "我喜欢学习语言。", "你好，世界！", "北京", "中文", "龘", "𠀀𠀁", "日本語の文章", "ひらがな カタカナ", "ｶﾀｶﾅ",
    "한국어 문장", "서울", "مرحبا بالعالم", "السلام عليكم", "שלום עולם", "नमस्ते दुनिया", "हिंदी",
    "สวัสดีครับ", "ประเทศไทย", "ጤና ይስጥልኝ", "Tiếng Việt có dấu", "ʻŌlelo Hawaiʻi", "ꦗꦮ",
    "😀", "👍", "👍🏽", "🎉🎉", "❤️", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇫🇷🇯🇵", "1️⃣", "🧑🏽‍💻", "I ❤ NY", "😀x😀",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𝟙𝟚𝟛", "\u2603", "\u0000", "\u0007", "a\u0000b", "\u007f", "\ufeffBOM", "\ufffd",
    "\ue000", "\U0010fffd",
]

FRAGMENTS = [s for s in BASE_STRINGS if s] + ["the", " the", "ball", " cube", "?", "\n", "  ", "<image>", "<s>",
                                               "<|im_end|>", "123", "é", "中", "😀", " FOO ", "<mask>"]


def test_strings() -> list[str]:
    rng = random.Random(1234)
    out: list[str] = []
    seen: set[str] = set()

    def add(s: str) -> None:
        if s not in seen:
            seen.add(s)
            out.append(s)

    for s in BASE_STRINGS:
        add(s)
    for s in BASE_STRINGS:
        if s.strip():
            add(" " + s)
            add(s + " ")
    while len(out) < 640:
        k = rng.randint(2, 6)
        parts = [rng.choice(FRAGMENTS) for _ in range(k)]
        seps = ["", " ", "  ", "\n", "\t", " \n"]
        s = parts[0]
        for p in parts[1:]:
            s += rng.choice(seps) + p
        add(s)
    # A long prompt: one SentencePiece "word" of ~2,500 characters in the Metaspace/split-false form.
    add(" ".join(CORPUS.split()[:400]))
    return out


def dump_json(obj, path: str) -> None:
    """Compact UTF-8 JSON; U+FEFF is written escaped because Foundation's JSONSerialization drops a raw
    byte-order mark at the start of a string value (the Swift tests read cases.json with it)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).replace("\ufeff", "\\ufeff")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def compact_case(tok: Tokenizer, text: str, prefix: list[int], suffix: list[int]) -> dict:
    ids = tok.encode(text, add_special_tokens=False).ids
    with_special = tok.encode(text, add_special_tokens=True).ids
    if with_special != prefix + ids + suffix:
        sys.exit(f"encode({text!r}) with special tokens is not prefix+ids+suffix: {with_special}")
    case: dict = {"ids": ids}
    decoded = tok.decode(ids, skip_special_tokens=False)
    if decoded != text:
        case["decoded"] = decoded
    skipped = tok.decode(with_special, skip_special_tokens=True)
    if skipped != decoded:
        case["decoded_skip"] = skipped
    return case


def special_affixes(tok: Tokenizer) -> tuple[list[int], list[int]]:
    marker = "the"
    inner = tok.encode(marker, add_special_tokens=False).ids
    full = tok.encode(marker, add_special_tokens=True).ids
    for i in range(len(full) - len(inner) + 1):
        if full[i:i + len(inner)] == inner:
            return full[:i], full[i + len(inner):]
    sys.exit("cannot locate the sequence inside its special-token template")


def apply_overrides(base: dict, overrides: dict) -> dict:
    j = copy.deepcopy(base)
    for k, v in overrides.items():
        if k == "model":
            j["model"].update(v)
        else:
            j[k] = v
    return j


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="Tests/AMPSModelTests/Fixtures/tokenizers")
    args = ap.parse_args()
    if tokenizers.__version__ != "0.23.3":
        print(f"warning: tokenizers {tokenizers.__version__}, the fixtures were made with 0.23.3", file=sys.stderr)

    qwen = train_qwen2(700)
    llama, legacy = train_llama(700)
    bases = {"qwen2_bytelevel": qwen, "llama_metaspace": llama, "llama_legacy": legacy}
    for name, tok in bases.items():
        os.makedirs(os.path.join(args.out, name), exist_ok=True)
        j = json.loads(tok.to_str())
        dump_json(j, os.path.join(args.out, name, "tokenizer.json"))
    with open(os.path.join(args.out, "llama_legacy", "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump({"add_bos_token": True, "add_eos_token": False, "legacy": True,
                   "bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": False, "normalized": False,
                                 "rstrip": False, "single_word": False, "special": True},
                   "eos_token": "</s>", "unk_token": "<unk>", "tokenizer_class": "LlamaTokenizer"},
                  f, ensure_ascii=False, indent=1)

    variants = {
        # GPT-2 style byte level: ByteLevel pre-tokenizer with its own regex and a prefix space, ignore_merges,
        # a TemplateProcessing with a suffix and a pair template.
        "gpt2_bytelevel": ("qwen2_bytelevel", {
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": "<|im_start|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                         {"SpecialToken": {"id": "<|im_end|>", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                         {"SpecialToken": {"id": "<|endoftext|>", "type_id": 1}}],
                "special_tokens": {
                    "<|endoftext|>": {"id": "<|endoftext|>", "ids": [qwen.token_to_id("<|endoftext|>")], "tokens": ["<|endoftext|>"]},
                    "<|im_start|>": {"id": "<|im_start|>", "ids": [qwen.token_to_id("<|im_start|>")], "tokens": ["<|im_start|>"]},
                    "<|im_end|>": {"id": "<|im_end|>", "ids": [qwen.token_to_id("<|im_end|>")], "tokens": ["<|im_end|>"]}}},
            "model": {"ignore_merges": True},
        }),
        # Metaspace always + split in the old add_prefix_space/str_rep form, the Metaspace decoder, unk without
        # byte fallback, no fusing.
        "llama_metaspace_always": ("llama_metaspace", {
            "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "str_rep": "▁", "add_prefix_space": True},
            "decoder": {"type": "Metaspace", "replacement": "▁", "str_rep": "▁", "add_prefix_space": True},
            "post_processor": None,
            "model": {"byte_fallback": False, "fuse_unk": False},
        }),
        # Metaspace never + split, the Metaspace decoder, fused unk without byte fallback.
        "llama_metaspace_never": ("llama_metaspace", {
            "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never", "split": True},
            "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never", "split": True},
            "post_processor": None,
            "model": {"byte_fallback": False, "fuse_unk": True},
        }),
    }

    strings = test_strings()
    rng = random.Random(99)
    result: dict = {
        "note": "ids: tokenizers' encode(text, add_special_tokens=False).ids; encode with special tokens is "
                "special_prefix + ids + special_suffix for every string (checked by the generator); decoded: "
                "decode(ids) when it differs from text; decoded_skip: decode(ids with special tokens, "
                "skip_special_tokens=True) when it differs from decoded. Variants are the named tokenizer.json with "
                "the given top-level sections replaced ('model' entries are merged into the model section). "
                "llama_legacy has no post-processor: its special prefix is the <s> that tokenizer_config.json's "
                "add_bos_token asks for (the transformers 4 LlamaTokenizerFast rule).",
        "tokenizers_version": tokenizers.__version__,
        "strings": strings,
        "tokenizers": {},
    }
    all_names = list(bases) + list(variants)
    for name in all_names:
        if name in bases:
            tok, base, overrides = bases[name], name, None
        else:
            base, overrides = variants[name]
            tok = Tokenizer.from_str(json.dumps(apply_overrides(json.loads(bases[base].to_str()), overrides), ensure_ascii=False))
        if name == "llama_legacy":
            prefix, suffix = [tok.token_to_id("<s>")], []
            cases = []
            for s in strings:
                c = compact_case(tok, s, [], [])
                skipped = tok.decode(prefix + c["ids"], skip_special_tokens=True)
                c.pop("decoded_skip", None)
                if skipped != c.get("decoded", s):
                    c["decoded_skip"] = skipped
                cases.append(c)
        else:
            prefix, suffix = special_affixes(tok)
            cases = [compact_case(tok, s, prefix, suffix) for s in strings]
        entry: dict = {"folder": base, "special_prefix": prefix, "special_suffix": suffix, "cases": cases}
        if overrides is not None:
            entry["overrides"] = overrides
        # Pairs (only where the post-processor has a pair template).
        if name in ("llama_metaspace", "gpt2_bytelevel"):
            pairs = []
            for _ in range(12):
                a, b = rng.choice(strings[:300]), rng.choice(strings[:300])
                pairs.append({"a": a, "b": b, "ids": tok.encode(a, b, add_special_tokens=True).ids})
            entry["pairs"] = pairs
        # Random id sequences: decode must agree even when they split characters or bytes.
        vocab_size = tok.get_vocab_size(with_added_tokens=True)
        decodes = []
        for _ in range(40):
            ids = [rng.randrange(vocab_size) for _ in range(rng.randint(1, 12))]
            decodes.append({"ids": ids, "text": tok.decode(ids, skip_special_tokens=False),
                            "text_skip": tok.decode(ids, skip_special_tokens=True)})
        entry["random_decodes"] = decodes
        result["tokenizers"][name] = entry
        print(f"{name}: vocab {vocab_size}, {len(cases)} strings", file=sys.stderr)

    # Canonically equivalent but different tokens ("é" as one scalar and as e + U+0301) stay apart:
    # the library compares bytes, Swift strings compare by canonical equivalence.
    canon = {"version": "1.0", "added_tokens": [], "normalizer": None, "pre_tokenizer": None, "post_processor": None,
             "decoder": None, "model": {"type": "BPE", "dropout": None, "unk_token": "?", "fuse_unk": False,
                                        "byte_fallback": False, "ignore_merges": False,
                                        "vocab": {"?": 0, "e": 1, "\u0301": 2, "\u00e9": 3, "e\u0301": 4, "x": 5,
                                                  "xe\u0301": 6},
                                        "merges": [["e", "\u0301"], ["x", "e\u0301"]]}}
    ctok = Tokenizer.from_str(json.dumps(canon, ensure_ascii=False))
    os.makedirs(os.path.join(args.out, "canonical_bpe"), exist_ok=True)
    dump_json(json.loads(ctok.to_str()), os.path.join(args.out, "canonical_bpe", "tokenizer.json"))
    result["canonical_bpe"] = [{"text": t, "ids": ctok.encode(t).ids, "decoded": ctok.decode(ctok.encode(t).ids)}
                               for t in ["e\u0301", "\u00e9", "xe\u0301", "x\u00e9", "e\u0301e\u0301x", "\u00e9e"]]

    dump_json(result, os.path.join(args.out, "cases.json"))
    total = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(args.out) for fn in fns)
    print(f"wrote {args.out} ({total / 1024:.0f} KB)", file=sys.stderr)


if __name__ == "__main__":
    main()
