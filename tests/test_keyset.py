"""Admission's compact key set answers as a Python set of the same keys does, across its merges."""

import random

from crawler import keyset
from crawler.keyset import KeySet


def test_it_answers_as_a_set_does(monkeypatch):
    monkeypatch.setattr(keyset, "MIN_RECENT", 64)  # many merges
    monkeypatch.setattr(keyset, "HOT", 16)  # and the hot keys cleared often
    rng = random.Random(18)
    keys = [rng.getrandbits(60) for _ in range(5000)] + [0, 1, (1 << 60) - 1]
    ours, truth = KeySet(), set()
    for i, key in enumerate(keys):
        probe = keys[rng.randrange(len(keys))]
        assert (probe in ours) == (probe in truth)
        ours.add(key)
        truth.add(key)
        if i % 3 == 0:  # already in: added again
            ours.add(keys[i // 2])
            truth.add(keys[i // 2])
    assert len(ours.frozen) > 4000 and list(ours.frozen) == sorted(set(ours.frozen))
    assert len(ours) == len(truth)
    assert all(key in ours for key in truth)
    assert not any(key + 1 in ours for key in truth if key + 1 not in truth)
