"""LSH band keys: the bytes of the values taken once and sliced per band give the keys of
the original recipe (a band's values converted and hashed alone), and an intake computes a
text's keys once for its duplicate search and its index."""

import hashlib
import struct

import numpy as np
import pytest

from gridgov.insights import dedupe
from gridgov.insights.models import SignatureBand
from gridgov.tickets import intake
from tests.tickets.factories import make_world, ticket_data


def _one_band_at_a_time(values, first=0, bands=dedupe.BANDS):
    """The recipe the stored keys were made with: each band's rows converted and hashed."""
    keys = []
    for band in range(bands):
        rows = values[band * dedupe.ROWS : (band + 1) * dedupe.ROWS]
        chunk = rows.astype("<u4").tobytes()
        digest = hashlib.blake2b(bytes([first + band]) + chunk, digest_size=8).digest()
        keys.append(struct.unpack("<q", digest)[0])
    return keys


def test_band_keys_are_the_recipes_for_texts_and_titles():
    rng = np.random.default_rng(20261201)
    for _ in range(300):
        values = rng.integers(0, 2**32, dedupe.NUM_PERM, dtype=np.uint32)
        assert dedupe.band_keys(values) == _one_band_at_a_time(values)
        assert dedupe.band_keys(
            values, first=dedupe.BANDS, bands=dedupe.TITLE_BANDS
        ) == _one_band_at_a_time(values, dedupe.BANDS, dedupe.TITLE_BANDS)
    text = "3号楼2单元楼道里堆满了纸箱和旧家具。"
    assert dedupe.band_keys(dedupe.signature(text)) == _one_band_at_a_time(dedupe.signature(text))


def test_text_band_keys():
    text = "小区门口的路灯坏了一个星期"
    assert dedupe.text_band_keys(text) == tuple(dedupe.band_keys(dedupe.signature(text)))
    assert dedupe.text_band_keys("。。。") == ()  # no bigram, no signature


@pytest.mark.django_db
def test_an_intake_computes_its_texts_band_keys_once_and_stores_them():
    world = make_world()
    data = ticket_data(title="楼道堆物", description="5号楼1单元楼道里堆着旧沙发和几袋垃圾。")
    dedupe.text_band_keys.cache_clear()
    result = intake.create_ticket({**data, "category": world.corridor.code}, actor=world.hotline)
    info = dedupe.text_band_keys.cache_info()
    assert (info.misses, info.hits) == (1, 1)  # the search's, then the index's from the cache
    ticket = result.ticket
    stored = SignatureBand.objects.filter(signature__ticket=ticket).values_list("key", flat=True)
    values = dedupe.signature(dedupe.ticket_text(ticket))
    expected = _one_band_at_a_time(values) + dedupe.title_band_keys(ticket.title)
    assert sorted(stored) == sorted(expected)
