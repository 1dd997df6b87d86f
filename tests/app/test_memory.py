"""A closed tab's session is closed and emptied just before Streamlit's timeout (ui/memory.py)."""

from __future__ import annotations

import asyncio

from streamlit.runtime import Runtime
from streamlit.runtime.state import SafeSessionState, SessionState

from ui import memory


class FakeRuntime:
    def __init__(self, active: set[str]) -> None:
        self.active, self.closed = active, []

    def is_active_session(self, session_id: str) -> bool:
        return session_id in self.active

    def close_session(self, session_id: str) -> None:
        self.closed.append(session_id)


def disconnect_and_wait(monkeypatch, fake: FakeRuntime, state) -> list[str]:
    released = []
    monkeypatch.setattr(memory, "_wait_seconds", lambda: 0.05)
    monkeypatch.setattr(memory.runtime, "exists", lambda: True)
    monkeypatch.setattr(memory.runtime, "get_instance", lambda: fake)
    monkeypatch.setattr(memory, "release_memory", lambda: released.append("released"))

    async def run() -> None:
        memory._on_disconnect(("s1", state))  # Streamlit releases the marker on its event loop
        await asyncio.sleep(1.3)

    asyncio.run(run())
    return released


def a_state() -> SafeSessionState:
    state = SafeSessionState(SessionState(), lambda: None)
    state["cvm.dataset"] = "a large dataset"
    state["cvm.upload.kept"] = {"read": {}}
    return state


def test_a_session_that_stays_away_is_closed_emptied_and_its_memory_released(monkeypatch):
    fake, state = FakeRuntime(active=set()), a_state()
    released = disconnect_and_wait(monkeypatch, fake, state)
    assert fake.closed == ["s1"]
    assert "cvm.dataset" not in state and not state.filtered_state
    assert released == ["released"]


def test_a_session_that_reconnected_is_left_alone(monkeypatch):
    fake, state = FakeRuntime(active={"s1"}), a_state()
    released = disconnect_and_wait(monkeypatch, fake, state)
    assert fake.closed == [] and released == []
    assert state["cvm.dataset"] == "a large dataset"


def test_a_release_off_the_event_loop_does_nothing(monkeypatch):
    fake, state = FakeRuntime(active=set()), a_state()
    monkeypatch.setattr(memory.runtime, "get_instance", lambda: fake)
    memory._on_disconnect(("s1", state))  # e.g. the server shutting the session down
    assert fake.closed == [] and state["cvm.dataset"] == "a large dataset"


def test_streamlit_still_offers_what_the_clean_up_calls():
    assert callable(Runtime.close_session) and callable(Runtime.is_active_session)
    memory.release_memory()  # gc + malloc_trim: must not fail on this platform
