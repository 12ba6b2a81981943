"""Token efficiency: how many characters of a candidate a BPE vocabulary puts in one token.

A random credential gives a BPE tokenizer nothing to merge (about 1.2-1.5 characters per token);
words, identifiers and typed filler (`development`, `HUGGING_FACE_HUB_TOKEN`, `abcdef123456abcdef`)
compress well (2.5 and more). Betterleaks measured this as a better signal than Shannon entropy for
generic rules; the generic validators (validators.py) use it beside entropy.

The vocabulary is ours, built at development time from the Python standard library's own source
(PSF licence), lower-cased so that CONSTANT_NAMES and CamelCase compress like the words they are,
and shipped gzipped next to this module: nothing is downloaded at run time. It is loaded (with the
`tokenizers` library) on first use, never at import: when a generic rule has a candidate, or
before a scan forks its workers (engine.preload), so that they inherit it.
Rebuild it with `python -m hfguard.secrets.tokenefficiency` (needs nothing beyond the install).
"""
from __future__ import annotations

import functools
import gzip
import sys
from pathlib import Path
from typing import Any

VOCABULARY = Path(__file__).with_name("bpe_vocab.json.gz")
VOCABULARY_SIZE = 8192

# Random values of 20-40 characters (alphanumeric, base64, hex, UUIDs) measure 1.3-1.6 characters
# per token, 2.0 at most in 2,000 draws of each; words, CONSTANT_NAMES and typed filler 2.5-6.
# Below RANDOM_BELOW: random; from WORDS_FROM: words. Measured on Nosey Parker's and kingfisher's
# examples and on the generic candidates of 1.2 GB of site-packages (none of which it trained on).
RANDOM_BELOW = 2.0
WORDS_FROM = 3.0


@functools.lru_cache(maxsize=1)
def _tokenizer() -> Any:
    from tokenizers import Tokenizer

    return Tokenizer.from_str(gzip.decompress(VOCABULARY.read_bytes()).decode("utf-8"))


@functools.lru_cache(maxsize=4096)
def chars_per_token(value: str) -> float:
    """Characters per BPE token of `value`, case folded (0.0 for an empty value)."""
    text = value.lower()
    if not text:
        return 0.0
    tokens = len(_tokenizer().encode(text, add_special_tokens=False).ids)
    return len(text) / max(1, tokens)


def looks_random(value: str) -> bool:
    return chars_per_token(value) < RANDOM_BELOW


def looks_like_words(value: str) -> bool:
    return chars_per_token(value) >= WORDS_FROM


def _training_files() -> list[Path]:
    import sysconfig

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    return sorted(
        p for p in stdlib.rglob("*.py")
        if not {"site-packages", "test", "tests"} & set(p.relative_to(stdlib).parts)
    )


def build_vocabulary(out: Path = VOCABULARY, size: int = VOCABULARY_SIZE) -> int:
    """Train the byte-level BPE on the lower-cased standard library source; returns the bytes
    written. Development time only (the trainer is part of `tokenizers`)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    files = _training_files()
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=size,
        min_frequency=2,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    texts = (p.read_text(encoding="utf-8", errors="replace").lower() for p in files)
    tokenizer.train_from_iterator(texts, trainer)
    data = gzip.compress(tokenizer.to_str().encode("utf-8"), compresslevel=9, mtime=0)
    out.write_bytes(data)
    return len(data)


if __name__ == "__main__":  # pragma: no cover - development tool
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else VOCABULARY
    print(f"{target}: {build_vocabulary(target)} bytes")
