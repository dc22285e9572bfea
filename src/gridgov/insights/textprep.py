"""Chinese text → features, vectorised over a whole batch with numpy.

Why not jieba or scikit-learn's `TfidfVectorizer`: measured on the labelled
messages (docs/insights.md), word features from jieba added nothing over
character n-grams (0.8772 vs 0.8775 macro-F1 on titles) while segmenting at
about 1/20 of the speed we need, and scikit-learn's char analyzer builds every
n-gram as a Python string (about 300 bodies/s on this machine). Here a batch of
texts becomes one array of code points; the n-grams of every text are integer
keys computed with a few array operations, looked up in an open-addressing
hash table, and counted with one sort. The features are exactly scikit-learn's
`TfidfVectorizer(analyzer="char", ngram_range=…, sublinear_tf=True)` on the
normalised text (tests/insights/test_textprep.py checks that).

Normalisation: full-width ASCII → ASCII, ideographic space and whitespace →
one space, latin lower case, every digit → 0 (phone numbers, dates and house
numbers say little about the matter), NUL removed.
"""

import re

import numpy as np
import scipy.sparse as sp

SHIFT = np.uint64(21)  # code points fit in 21 bits: n ≤ 3 n-grams are exact 63-bit keys
MAX_EXACT_N = 3
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_EMPTY = np.uint64(0)  # no n-gram key is 0: a unigram key is its code point, never NUL
SPACE = 0x20


class TextError(ValueError):
    """A text that cannot be classified (empty, or without any Chinese)."""


def has_chinese(text):
    return any("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in text or "")


def code_points(texts):
    """(normalised code points of all texts joined by NUL, start offset of each text)."""
    texts = [(t or "").replace("\x00", " ") for t in texts]
    joined = "\x00".join(texts)
    cps = np.frombuffer(joined.encode("utf-32-le"), dtype="<u4").astype(np.uint32)
    # Full-width ASCII (！ → !, Ａ → A, ０ → 0) and the ideographic space.
    full = (cps >= 0xFF01) & (cps <= 0xFF5E)
    cps[full] -= 0xFEE0
    cps[cps == 0x3000] = SPACE
    cps[(cps >= 9) & (cps <= 13)] = SPACE
    upper = (cps >= 0x41) & (cps <= 0x5A)
    cps[upper] += 32
    cps[(cps >= 0x30) & (cps <= 0x39)] = 0x30
    # Runs of spaces → one space (as scikit-learn's char analyzer does).
    space = cps == SPACE
    drop = np.zeros(len(cps), dtype=bool)
    drop[1:] = space[1:] & space[:-1]
    cps = cps[~drop]
    return cps


def _fold(cp):
    if 0xFF01 <= cp <= 0xFF5E:
        cp -= 0xFEE0
    if cp == 0x3000 or 9 <= cp <= 13 or cp == 0:
        cp = SPACE
    if 0x41 <= cp <= 0x5A:
        cp += 32
    return 0x30 if 0x30 <= cp <= 0x39 else cp


# code_points' steps, character by character: what each character it changes becomes.
_NORMALISE = {
    chr(cp): chr(_fold(cp))
    for cp in [0, *range(9, 14), *range(0x31, 0x3A), *range(0x41, 0x5B), 0x3000]
    + list(range(0xFF01, 0xFF5F))
}
_CHANGED = re.compile("[" + "".join(re.escape(ch) for ch in _NORMALISE) + "]")
_SPACES = re.compile("  +")


def _normalised(match):
    return _NORMALISE[match.group()]


def text_code_points(text):
    """code_points([text]) of one text, by two regex substitutions (a text has few characters
    to change), where numpy's dozen steps cost about 40 µs for any text, most of the
    signature of a short title (intake computes two). tests/insights/test_textprep.py
    checks both agree."""
    normalised = _SPACES.sub(" ", _CHANGED.sub(_normalised, text or ""))
    return np.frombuffer(normalised.encode("utf-32-le"), dtype="<u4").astype(np.uint32)


def normalise(text):
    """The normalised text, as a string (for people and tests)."""
    return text_code_points(text).astype("<u4").tobytes().decode("utf-32-le")


def ngram_keys(texts, nmin=1, nmax=2):
    """(document index, n-gram key) for every character n-gram of every text.

    Keys for n ≤ 3 are exact: the code points packed 21 bits each, so a key
    identifies its n-gram; longer n-grams are hashed into the top half of the
    key space.
    """
    cps = code_points(texts).astype(np.uint64)
    sep = cps == 0
    doc_of = np.cumsum(sep)
    size = len(cps)
    docs, keys = [], []
    for n in range(nmin, nmax + 1):
        if size < n:
            break
        m = size - n + 1
        key = cps[:m].copy()
        bad = sep[:m].copy()
        for j in range(1, n):
            if j < MAX_EXACT_N:
                key = (key << SHIFT) | cps[j : j + m]
            else:
                key = (key * _GOLDEN) ^ cps[j : j + m]
            bad |= sep[j : j + m]
        if n > MAX_EXACT_N:
            key |= np.uint64(1 << 63)
        ok = ~bad
        keys.append(key[ok])
        docs.append(doc_of[:m][ok])
    if not keys:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    return np.concatenate(docs).astype(np.int64), np.concatenate(keys)


def _mix(keys):
    """splitmix64's finaliser: spreads structured keys over the table."""
    with np.errstate(over="ignore"):
        x = keys ^ (keys >> np.uint64(30))
        x = x * _MIX1
        x = x ^ (x >> np.uint64(27))
        x = x * _MIX2
        return x ^ (x >> np.uint64(31))


class KeyIndex:
    """n-gram key → column number, an open-addressing hash table in numpy arrays."""

    def __init__(self, keys):
        keys = np.asarray(keys, dtype=np.uint64)
        self.size = 1 << max(4, int(np.ceil(np.log2(max(len(keys), 1) * 4))))
        self.bits = np.uint64(64 - int(np.log2(self.size)))
        self.table_keys = np.zeros(self.size, dtype=np.uint64)
        self.table_cols = np.full(self.size, -1, dtype=np.int32)
        home = self._home(keys)
        pending = np.arange(len(keys))
        probe = 0
        while len(pending):
            slots = (home[pending] + probe) & (self.size - 1)
            free = self.table_cols[slots] == -1
            candidates, slots = pending[free], slots[free]
            taken, first = np.unique(slots, return_index=True)
            winners = candidates[first]
            self.table_keys[taken] = keys[winners]
            self.table_cols[taken] = winners
            placed = np.zeros(len(keys), dtype=bool)
            placed[winners] = True
            pending = pending[~placed[pending]]
            probe += 1

    def _home(self, keys):
        return (_mix(keys) >> self.bits).astype(np.int64)

    def lookup(self, keys):
        """Column of each key, -1 where it is not in the vocabulary."""
        mask = self.size - 1
        slots = self._home(keys)
        stored = self.table_keys[slots]
        found = stored == keys
        result = np.where(found, self.table_cols[slots], -1).astype(np.int32)
        # Most keys are settled by their first slot; probe on for the few others.
        todo = np.flatnonzero(~found & (stored != _EMPTY))
        probe = 1
        while len(todo):
            at = (slots[todo] + probe) & mask
            stored = self.table_keys[at]
            found = stored == keys[todo]
            result[todo[found]] = self.table_cols[at[found]]
            todo = todo[~found & (stored != _EMPTY)]
            probe += 1
        return result


def _count_pairs(docs, cols, n_cols):
    """Sorted unique (doc, col) pairs and their counts."""
    pairs = np.sort(docs * np.int64(n_cols) + cols)
    if len(pairs) == 0:
        return pairs, pairs
    boundary = np.empty(len(pairs), dtype=bool)
    boundary[0] = True
    boundary[1:] = pairs[1:] != pairs[:-1]
    starts = np.flatnonzero(boundary)
    counts = np.diff(np.append(starts, len(pairs)))
    return pairs[starts], counts


class CharTfidf:
    """TF-IDF of character n-grams: sublinear tf, smooth idf, rows of unit length."""

    def __init__(self, ngram=(1, 2), min_df=2):
        self.ngram = tuple(ngram)
        self.min_df = int(min_df)
        self.vocab = None
        self.idf = None
        self._index = None

    def fit(self, texts):
        docs, keys = ngram_keys(texts, *self.ngram)
        # Document frequency: unique (key, doc) pairs, then unique keys.
        order = np.lexsort((docs, keys))
        keys, docs = keys[order], docs[order]
        first = np.ones(len(keys), dtype=bool)
        first[1:] = (keys[1:] != keys[:-1]) | (docs[1:] != docs[:-1])
        unique, df = np.unique(keys[first], return_counts=True)
        keep = df >= self.min_df
        self.vocab = unique[keep]
        n_docs = len(texts)
        self.idf = (np.log((1 + n_docs) / (1 + df[keep])) + 1).astype(np.float32)
        self._index = None
        return self

    @property
    def index(self):
        if self._index is None:
            self._index = KeyIndex(self.vocab)
        return self._index

    def transform(self, texts):
        n_docs, n_cols = len(texts), len(self.vocab)
        docs, keys = ngram_keys(texts, *self.ngram)
        cols = self.index.lookup(keys)
        known = cols >= 0
        pairs, counts = _count_pairs(docs[known], cols[known].astype(np.int64), n_cols)
        row = pairs // n_cols
        col = (pairs % n_cols).astype(np.int32)
        data = ((1 + np.log(counts)) * self.idf[col]).astype(np.float32)
        norms = np.sqrt(np.bincount(row, weights=data.astype(np.float64) ** 2, minlength=n_docs))
        norms[norms == 0] = 1
        data /= norms[row].astype(np.float32)
        indptr = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(np.bincount(row, minlength=n_docs), out=indptr[1:])
        return sp.csr_matrix((data, col, indptr), shape=(n_docs, n_cols))

    def fit_transform(self, texts):
        return self.fit(texts).transform(texts)
