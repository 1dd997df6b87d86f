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


def test_the_store_holds_no_dataset_alive_and_rebuilds_it_after_its_sessions_ended(demo_dataset):
    import dataclasses
    import gc
    import weakref

    import pandas as pd

    dataset = dataclasses.replace(demo_dataset, name="client.csv")  # a dataset only we hold
    token = reload.remember(dataset)
    reload._packer.submit(lambda: None).result()  # the one packing thread has packed it
    gone = weakref.ref(dataset)
    del dataset  # the session holding it ended
    gc.collect()
    assert gone() is None  # the store did not keep it alive
    restored = reload.recall(token)
    assert restored is not None and restored.name == "client.csv"
    assert restored.fingerprint == demo_dataset.fingerprint
    pd.testing.assert_frame_equal(restored.transactions, demo_dataset.transactions)
    assert reload.recall(token) is restored  # while a session holds it: the same object
