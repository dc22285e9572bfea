import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from gridgov.insights import textprep

TEXTS = [
    "A3区魏家坡小区脏乱差，路灯倒在绿化带无人管！",
    "ＡＢＣ　１２３ 小区  停车难\t\t问题",
    "",
    "   ",
    "no chinese at all",
    "孩子上学难，学位不够，幼儿园收费太高。孩子上学难。",
]


def _key(ngram):
    key = 0
    for ch in ngram:
        key = (key << 21) | ord(ch)
    return key


@pytest.mark.parametrize("ngram", [(1, 1), (1, 2), (1, 3), (2, 3)])
def test_features_equal_scikit_learn_char_tfidf(ngram):
    ours = textprep.CharTfidf(ngram, min_df=1).fit(TEXTS)
    theirs = TfidfVectorizer(
        analyzer="char",
        ngram_range=ngram,
        sublinear_tf=True,
        lowercase=False,
        preprocessor=textprep.normalise,
    ).fit(TEXTS)
    names = theirs.get_feature_names_out()
    keys = np.array([_key(n) for n in names], dtype=np.uint64)
    assert np.array_equal(np.sort(keys), ours.vocab)
    order = np.argsort(keys)
    a = ours.transform(TEXTS).toarray()
    b = theirs.transform(TEXTS).toarray()[:, order]
    assert np.allclose(a, b, atol=1e-6)


def test_normalisation_folds_width_case_digits_and_spaces():
    assert textprep.normalise("ＡＢＣ　１２３  x\t\ty") == "abc 000 x y"
    assert textprep.normalise("小区\x00停车") == "小区 停车"


def test_unknown_ngrams_are_ignored_and_empty_texts_give_empty_rows():
    vec = textprep.CharTfidf((1, 2), min_df=1).fit(["小区停车"])
    features = vec.transform(["完全不同的文字", "", "小区"])
    assert features.shape == (3, len(vec.vocab))
    assert features[0].nnz == 0 and features[1].nnz == 0
    assert abs(features[2].multiply(features[2]).sum() - 1) < 1e-6


def test_key_index_finds_every_key_and_nothing_else():
    rng = np.random.default_rng(0)
    keys = np.unique(rng.integers(1, 2**62, size=20000, dtype=np.int64).astype(np.uint64))
    index = textprep.KeyIndex(keys)
    assert np.array_equal(index.lookup(keys), np.arange(len(keys), dtype=np.int32))
    others = rng.integers(1, 2**62, size=5000, dtype=np.int64).astype(np.uint64)
    others = others[~np.isin(others, keys)]
    assert (index.lookup(others) == -1).all()


def test_has_chinese():
    assert textprep.has_chinese("abc 小区")
    assert not textprep.has_chinese("hello 123")
    assert not textprep.has_chinese("")


def _tricky_texts():
    pool = "魏家坡小区路灯ＡＢＣａｚ０９AZaz09　\t\n\r\x0b\x0c \x00！？,.。😀\u00a0\u0085ｦＺ～"
    rng = np.random.default_rng(11)
    made = ["".join(rng.choice(list(pool), size=n)) for n in range(0, 60) for _ in range(5)]
    return [*TEXTS, "\x00", "  \x00  ", "Ｚ", "a", "\u3000\u3000x", *made]


def test_one_texts_code_points_are_those_of_the_batch():
    for text in _tricky_texts():
        assert np.array_equal(textprep.text_code_points(text), textprep.code_points([text]))
        assert textprep.text_code_points(text).dtype == np.uint32


def test_shingles_are_the_bigram_keys_of_ngram_keys():
    from gridgov.insights import dedupe

    for text in _tricky_texts():
        _docs, keys = textprep.ngram_keys([dedupe._strip(text)], 2, 2)
        expected = np.unique((textprep._mix(keys) & np.uint64(0xFFFFFFFF)).astype(np.uint64))
        assert np.array_equal(dedupe.shingles(text), expected)


def test_a_signature_is_the_minhash_of_the_shingles():
    from gridgov.insights import dedupe

    for text in _tricky_texts():
        hashes = dedupe.shingles(text)
        expected = dedupe._minhash(hashes.astype(np.uint32)) if len(hashes) else None
        got = dedupe.signature.__wrapped__(text)
        assert (got is None and expected is None) or np.array_equal(got, expected)
