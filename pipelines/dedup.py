"""Stage: the near-duplicate keys of an article (MinHash LSH over shingles of its text).

Exact copies are caught by the canonical URL and the content hash (in storage). A syndicated
copy on another site differs in a byline, a trailer, a sentence; its set of shingles is nearly
the same. MinHash estimates that overlap (Jaccard similarity), and LSH makes it searchable: the
64 minima are cut into 16 bands of 4, each band hashed to one key. Two texts with Jaccard
similarity 0.8 share at least one band key with probability 1 - (1 - 0.8^4)^16 > 0.999, two
unrelated texts practically never. The archive indexes the keys (``storage.duplicates``), so
finding an article's earlier copies is one indexed query, whatever the size of the archive, and
the number of shared keys estimates the similarity without reading either text again.

One-permutation hashing keeps it cheap: each shingle is hashed once, its top bits choose one of
64 bins, and each bin keeps its minimum (empty bins borrow from the next non-empty one).
Tokens are single CJK characters and runs of other letters or digits; shingles are runs of
five tokens.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from pipelines.page import Page
from pipelines.stage import Stage

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
SHINGLE = 5
BINS = 64
ROWS = 4  # minima per band
BANDS = BINS // ROWS
# Below this many tokens a fingerprint says little (a brief, a caption): no keys.
MIN_TOKENS = 60
_BIN_SHIFT = 64 - 6  # the top 6 bits of a hash choose its bin
_VALUE_MASK = (1 << _BIN_SHIFT) - 1


def _hash(value: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(value, digest_size=8).digest(), "little")


def minhash(text: str) -> list[int] | None:
    """64 one-permutation MinHash values of ``text``'s shingles; None if it is too short."""
    tokens = _TOKEN_RE.findall(unicodedata.normalize("NFKC", text).lower())
    if len(tokens) < MIN_TOKENS:
        return None
    bins: list[int | None] = [None] * BINS
    for i in range(len(tokens) - SHINGLE + 1):
        value = _hash(" ".join(tokens[i : i + SHINGLE]).encode("utf-8"))
        slot, rest = value >> _BIN_SHIFT, value & _VALUE_MASK
        current = bins[slot]
        if current is None or rest < current:
            bins[slot] = rest
    filled: list[int] = []
    for i in range(BINS):  # densify: an empty bin takes the next non-empty bin's value
        for step in range(BINS):
            found = bins[(i + step) % BINS]
            if found is not None:
                filled.append(found + step * (1 << _BIN_SHIFT))
                break
    return filled


def band_keys(text: str) -> tuple[int, ...]:
    """The LSH keys of ``text`` (signed 64-bit, for any database), or () if too short."""
    values = minhash(text)
    if values is None:
        return ()
    keys = []
    for band in range(BANDS):
        chunk = values[band * ROWS : (band + 1) * ROWS]
        raw = b"".join(v.to_bytes(8, "little") for v in chunk) + bytes([band])
        key = _hash(raw)
        keys.append(key - (1 << 64) if key >= 1 << 63 else key)
    return tuple(keys)


class DedupPipeline(Stage):
    """Sets ``page.band_keys`` for articles long enough to have them.

    The extraction stage computes them in its worker process; this stage then only counts
    (and works out the keys of a text too short to have any again, which costs nothing).
    """

    def process_item(self, item: object) -> object:
        if not isinstance(item, Page) or not item.pending or item.extraction is None:
            return item
        if not item.band_keys:
            item.band_keys = band_keys(item.extraction.text)
        self.stats.inc_value("dedup/fingerprinted" if item.band_keys else "dedup/too_short")
        return item
