"""Start the Streamlit server with the analytics core imported in the background.

    python scripts/serve.py [streamlit options] -- [app options]     (scripts/run.sh calls it)

Streamlit runs app.py only when a browser connects, so the first visitor after a start waited
for pandas, altair, scikit-learn, scipy, python-pptx and the core to import (~3.5 s of the first
page on this machine). Here a background thread imports every cvm_core module while the server
starts, and reads the demo workbook on a ``--demo`` start; the first session then finds them
loaded (app.py waits for the thread first, through ui/startup.py: two threads importing
scikit-learn at once can deadlock). cvm_core never imports streamlit, so nothing here touches Streamlit's runtime; the app
behaves exactly as under `streamlit run`.
"""

from __future__ import annotations

import gc
import importlib
import pkgutil
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ui import startup  # noqa: E402 - needs ROOT on the path; imports nothing heavy


def warm_up(demo: bool) -> None:
    """For a ``--demo`` start, read the demo workbook the first page shows (first: a visitor
    arriving at once needs it before anything else); then import every module of cvm_core (and
    with them the libraries they use). Whatever happens, the gate app.py waits at opens."""
    try:
        _import_everything(demo)
        _freeze_what_was_imported()
    finally:
        startup.warm_up_finished()


def _freeze_what_was_imported() -> None:
    """Move every object alive now (the modules, their functions and classes: ~200,000 objects)
    out of the garbage collector's sight. Streamlit collects all generations after every script
    run (runner.postScriptGC), and walking those objects cost ~0.1 s of every rerun, a third of
    a CLV slider move at 1M rows; they live as long as the process, so there is nothing to find
    among them. Objects made later (datasets, results) are still collected after each run."""
    gc.collect()
    gc.freeze()


def _import_everything(demo: bool) -> None:
    if demo:
        from cvm_core.intake import demo_workbook

        demo_workbook.demo_dataset()
    import cvm_core

    for module in pkgutil.walk_packages(cvm_core.__path__, "cvm_core."):
        if module.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(module.name)
        except Exception:  # noqa: BLE001 - an optional engine (Spark) may be missing: the page says so later
            pass


def route_every_link_through_app_py() -> None:
    """Streamlit 1.67 runs a session through the old ``pages/`` folder mode until some session
    has called st.navigation (runtime/pages_manager.py sets ``uses_pages_directory`` from the
    folder's existence, and st.navigation clears it). So the first visitor after a start who
    opens a link to a page (/clv?data=...) got that page run alone: no sidebar, no app.py, the
    file names as the menu. app.py always calls st.navigation: clear the flag before the first
    session instead of after it."""
    from streamlit.runtime.pages_manager import PagesManager

    if getattr(PagesManager, "uses_pages_directory", None) is None:
        PagesManager.uses_pages_directory = False


def main() -> int:
    demo = "--demo" in sys.argv[1:]
    # Before any thread exists, so that every thread's malloc arena counts (ui/memory.py).
    from ui.memory import limit_malloc_arenas

    limit_malloc_arenas()
    startup.warm_up_started()
    threading.Thread(target=warm_up, args=(demo,), name="warm-up", daemon=True).start()
    route_every_link_through_app_py()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(ROOT / "app.py"), *sys.argv[1:]]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
