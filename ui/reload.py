"""The active dataset survives a reload (F5) and never gives way to the demo data.

A browser reload starts a new Streamlit session with empty state: before this, a workshop that
pressed F5 on the CLV page after uploading a client file saw an empty app, or (started with
``--demo``) the demo's figures, easily taken for the client's. Now the active dataset is kept on
the server under a random, unguessable token written into the address bar (``?data=...``); a new
session that arrives with the token gets the same dataset back. The store is bounded (at most
:data:`MAX_KEPT` datasets, each for :data:`KEEP_SECONDS` after its last use); when a token has
expired the page says so and the demo is not loaded in its place.

The store holds no dataset alive by itself: while a session uses a dataset the store only points to
it (a weak reference), and for a reload after that session ended it keeps a compressed pickle, made
in the background (about 1.5 MB per 100k transactions, a twentieth of the live dataset). Before,
it held up to eight whole datasets for two hours after their tabs closed.
"""

from __future__ import annotations

import logging
import pickle
import secrets
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import streamlit as st

from cvm_core import formatting
from cvm_core.i18n import _
from cvm_core.intake.dataset import Dataset
from ui import data, memory

PARAM = "data"
"""Query parameter holding the token."""
TOKEN = "cvm.reload.token"
"""(dataset fingerprint, token) of this session's active dataset."""
LOST = "cvm.reload.lost"
"""Set when the address bar named a dataset the server no longer keeps."""
MAX_KEPT = 8
KEEP_SECONDS = 2 * 60 * 60

_lock = threading.Lock()
_packer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cvm-reload-pack")
log = logging.getLogger(__name__)


class _Kept:
    """One dataset in the store: the dataset itself while any session holds it, else rebuilt from
    its compressed pickle. Holds the dataset strongly only until the pickle is made."""

    CODEC = "zstd"  # pyarrow's: about 5x smaller than the pickle and ~0.2 s per 1M rows both ways

    def __init__(self, dataset: Dataset) -> None:
        self._held: Dataset | None = dataset
        self._ref = weakref.ref(dataset)
        self._packed: tuple[int, bytes] | None = None

    def pack(self) -> None:
        try:
            raw = pickle.dumps(self._held, protocol=pickle.HIGHEST_PROTOCOL)
            self._packed = (len(raw), pa.compress(raw, codec=self.CODEC, asbytes=True))
        except Exception:  # noqa: BLE001 - then keep holding it, as before this store packed
            log.exception("Could not pack a dataset for a reload; it stays in memory")
            return
        self._held = None

    def dataset(self) -> Dataset | None:
        live = self._ref()
        if live is None and self._packed is not None:
            size, packed = self._packed
            raw = pa.decompress(packed, decompressed_size=size, codec=self.CODEC, asbytes=True)
            live = pickle.loads(raw)  # our own pickle, made from our own object in this process
            self._ref = weakref.ref(live)
        return live


@st.cache_resource(max_entries=1)
def _store() -> dict[str, tuple[_Kept, float]]:
    """token -> (kept dataset, last used): one per server process, shared by its sessions."""
    return {}


def _prune(store: dict[str, tuple[_Kept, float]], now: float) -> None:
    for token in [t for t, (_kept, used) in store.items() if now - used > KEEP_SECONDS]:
        del store[token]
    while len(store) > MAX_KEPT:  # the least recently used go first
        del store[min(store, key=lambda t: store[t][1])]


def remember(dataset: Dataset) -> str:
    """Keep ``dataset`` under a new token and return the token."""
    token = secrets.token_urlsafe(16)
    kept = _Kept(dataset)
    with _lock:
        store = _store()
        store[token] = (kept, time.time())
        _prune(store, time.time())
    _packer.submit(_pack_later, kept)
    return token


PACK_AFTER_SECONDS = 3.0
"""Packing pickles the whole dataset while holding the interpreter (0.3-0.4 s at 1M rows); done at
once, it fell between "Use this data" and the overview. The pickle is only read after the
session that loaded the dataset has gone, so it can wait until the user reads the overview."""


def _pack_later(kept: _Kept) -> None:
    time.sleep(PACK_AFTER_SECONDS)
    kept.pack()


def recall(token: str) -> Dataset | None:
    """The dataset kept under ``token`` (its clock restarts), or None when expired or unknown."""
    with _lock:
        store = _store()
        _prune(store, time.time())
        kept = store.get(token)
        if kept is None:
            return None
        store[token] = (kept[0], time.time())
    return kept[0].dataset()  # outside the lock: rebuilding a large dataset takes a moment


def sync() -> None:
    """Run first on every rerun: restore the dataset a reload dropped, and keep the address
    bar's token in step with the active dataset (navigation may clear query parameters).
    Also watches for the session's end, when what it kept must go (ui/memory.py)."""
    memory.watch_session()
    dataset = data.active_dataset()
    asked = st.query_params.get(PARAM)
    if dataset is None and asked:
        restored = recall(asked)
        if restored is None:
            st.session_state[LOST] = True
            del st.query_params[PARAM]
            return
        st.session_state[TOKEN] = (restored.fingerprint, asked)  # keep the address bar's token
        data.set_dataset(restored)
        dataset = restored
    if dataset is not None:
        pin(dataset)


def pin(dataset: Dataset) -> None:
    """Keep the active ``dataset`` under this session's token and show the token in the
    address bar (called when a dataset becomes active, and on every rerun)."""
    st.session_state.pop(LOST, None)
    kept = st.session_state.get(TOKEN)
    if kept is None or kept[0] != dataset.fingerprint:
        kept = (dataset.fingerprint, remember(dataset))
        st.session_state[TOKEN] = kept
    if st.query_params.get(PARAM) != kept[1]:
        st.query_params[PARAM] = kept[1]


def arrived_with_a_token() -> bool:
    """Whether this session came from a reload or a link naming a dataset (kept or expired):
    then the demo must not be loaded in its place."""
    return PARAM in st.query_params or bool(st.session_state.get(LOST))


def show_lost() -> None:
    """The message for an expired token, on whatever page the link opened."""
    if st.session_state.get(LOST):
        st.warning(
            _(
                "Your data is no longer loaded: the server keeps an uploaded dataset for {hours} "
                "hours after its last use, and at most {datasets} at a time. Upload it again or "
                "open a saved workspace."
            ).format(
                hours=formatting.count(KEEP_SECONDS // 3600), datasets=formatting.count(MAX_KEPT)
            ),
            icon=":material/cloud_off:",
        )
