"""The first session waits for scripts/serve.py's warm-up imports (ui/startup.py), and the gate
opens even when the warm-up fails: a visitor must never wait on a broken warm-up."""

import importlib.util
import threading
from pathlib import Path

import pytest

from ui import startup

SERVE = Path(__file__).resolve().parents[2] / "scripts" / "serve.py"


def _load_serve():
    spec = importlib.util.spec_from_file_location("serve_under_test", SERVE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_session_waits_until_the_warm_up_has_finished():
    startup.warm_up_started()
    try:
        waited = threading.Event()
        session = threading.Thread(target=lambda: (startup.wait_for_warm_up(), waited.set()))
        session.start()
        assert not waited.wait(0.3)  # still importing: the session is held
        startup.warm_up_finished()
        assert waited.wait(5)
        session.join(5)
    finally:
        startup.warm_up_finished()


def test_without_a_warm_up_the_gate_stands_open():
    finished = threading.Event()
    threading.Thread(target=lambda: (startup.wait_for_warm_up(), finished.set())).start()
    assert finished.wait(5)


def test_a_failing_warm_up_still_opens_the_gate(monkeypatch):
    serve = _load_serve()

    def broken(demo):
        raise OSError("disk gone")

    monkeypatch.setattr(serve, "_import_everything", broken)
    startup.warm_up_started()
    with pytest.raises(OSError):
        serve.warm_up(demo=False)
    finished = threading.Event()
    threading.Thread(target=lambda: (startup.wait_for_warm_up(), finished.set())).start()
    assert finished.wait(5)
