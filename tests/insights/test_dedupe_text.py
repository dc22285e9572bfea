import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gridgov.insights import dedupe


def test_strip_drops_exactly_the_listed_punctuation():
    text = "路灯（3号楼前）不亮了！\\ 请尽快修理…a-b_c [d] 50% ^$"
    expected = "".join(ch for ch in text if ch not in dedupe._PUNCT)
    assert dedupe._strip(text) == expected == "路灯3号楼前不亮了\\请尽快修理abcd50%^$"
    assert dedupe._strip(None) == dedupe._strip("") == ""
    assert dedupe._strip("".join(dedupe._PUNCT)) == ""


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=2, max_size=300))
def test_the_signature_is_datasketchs_minhash_bit_for_bit(text):
    # Stored signatures and band keys were made with datasketch's MinHash: the numpy
    # computation (dedupe._minhash) must give the same values, or old and new tickets no
    # longer meet in a band.
    from datasketch import MinHash

    values = dedupe.signature(text)
    hashes = dedupe.shingles(text)
    if len(hashes) == 0:
        assert values is None
        return
    reference = MinHash(
        num_perm=dedupe.NUM_PERM,
        permutations=dedupe._permutations(),
        scheme=dedupe.SCHEME,
        hashfunc=int,
    )
    reference.update_batch(hashes.tolist())
    assert values.dtype == np.uint32
    assert values.tolist() == reference.hashvalues.astype(np.uint32).tolist()
