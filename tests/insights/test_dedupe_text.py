from gridgov.insights import dedupe


def test_strip_drops_exactly_the_listed_punctuation():
    text = "路灯（3号楼前）不亮了！\\ 请尽快修理…a-b_c [d] 50% ^$"
    expected = "".join(ch for ch in text if ch not in dedupe._PUNCT)
    assert dedupe._strip(text) == expected == "路灯3号楼前不亮了\\请尽快修理abcd50%^$"
    assert dedupe._strip(None) == dedupe._strip("") == ""
    assert dedupe._strip("".join(dedupe._PUNCT)) == ""
