"""The server-side store behind a reload (ui/reload.py): bounded in count and in time."""

from __future__ import annotations

from ui import reload


def test_store_drops_the_expired_and_the_least_recently_used():
    now = 10_000.0
    store = {f"t{i}": (f"dataset {i}", now - i) for i in range(reload.MAX_KEPT + 3)}
    store["old"] = ("stale", now - reload.KEEP_SECONDS - 1)
    reload._prune(store, now)
    assert "old" not in store  # unused for longer than the keeping time
    assert len(store) == reload.MAX_KEPT
    # the most recently used survive: t0 (used now) ... t7
    assert sorted(store) == sorted(f"t{i}" for i in range(reload.MAX_KEPT))


def test_tokens_are_unguessable_and_recall_restarts_the_clock(demo_dataset):
    first, second = reload.remember(demo_dataset), reload.remember(demo_dataset)
    assert first != second and len(first) >= 16
    assert reload.recall(first) is demo_dataset
    assert reload.recall("no-such-token") is None
