"""The shape of the code base that issue 12 set: small modules, no import cycles, a lean CLI."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "cvm_core"
MAX_MODULE_LINES = 600


def _module_name(path: Path) -> str:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


def _core_import_graph() -> dict[str, set[str]]:
    """Module -> the cvm_core modules it imports at module level (imports inside functions are
    deliberate late imports and cannot form a cycle at import time)."""
    modules = {_module_name(p): p for p in CORE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cvm_core"):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    targets.add(full if full in modules else node.module)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target] if target in path else [node, target]
            if target not in state and (cycle := visit(target, [*path, target])):
                return cycle
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start, [start])):
            return cycle
    return None


def test_no_core_module_is_over_the_size_limit():
    sizes = {p.relative_to(ROOT): len(p.read_text().splitlines()) for p in CORE.rglob("*.py")}
    too_big = {str(p): n for p, n in sizes.items() if n > MAX_MODULE_LINES}
    assert too_big == {}


def test_cycle_finder_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert _find_cycle(graph) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_core_has_no_import_cycle():
    assert _find_cycle(_core_import_graph()) is None


def test_help_imports_no_analysis():
    """``python -m cvm_core --help`` reads the command table only: no pandas, no analysis."""
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['cvm_core', '--help']\n"
        "try:\n"
        "    runpy.run_module('cvm_core', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in sys.modules if m.startswith(('pandas', 'sklearn', 'lifelines',"
        " 'pptx', 'cvm_core.analyses.clv', 'cvm_core.intake')))\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "HEAVY []" in done.stdout


def test_a_command_imports_only_what_it_needs():
    """``clv`` loads the CLV analysis but not scikit-learn, python-pptx or lifelines."""
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['cvm_core', 'clv', '--help']\n"
        "try:\n"
        "    runpy.run_module('cvm_core', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('LOADED', sorted({m.split('.')[0] for m in sys.modules}))\n"
        "print('CLV', 'cvm_core.analyses.clv.fit' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = done.stdout.split("LOADED", 1)[1]
    assert "CLV True" in done.stdout
    for heavy in ("'sklearn'", "'pptx'", "'lifelines'", "'altair'"):
        assert heavy not in loaded


def test_a_clv_run_does_not_import_lifetimes(tmp_path):
    """The models carry their own formulas; lifetimes (0.8 s to import, with autograd and
    scipy.stats) is only the tests' and benchmarks' reference."""
    from cvm_core.intake import demo

    path = tmp_path / "small.csv"
    demo.generate_demo_tables(n_customers=300, seed=5)["Transactions"].to_csv(path, index=False)
    probe = (
        "import sys, runpy\n"
        f"sys.argv = ['cvm_core', 'clv', {str(path)!r}, '--json']\n"
        "try:\n"
        "    runpy.run_module('cvm_core', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('LIFETIMES', 'lifetimes' in sys.modules, 'scipy.stats' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert '"total"' in done.stdout  # the run did value the customers
    assert "LIFETIMES False False" in done.stdout


def private_imports(paths) -> list[str]:
    """``from cvm_core.x import _name`` lines: another module's private helper used as its API."""
    found = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cvm_core"):
                found += [
                    f"{path.name}: {node.module}.{alias.name}"
                    for alias in node.names
                    # "_" is gettext's translate function (cvm_core.i18n), public by convention
                    if alias.name.startswith("_")
                    and alias.name not in ("_",)
                    and not alias.name.startswith("__")
                ]
    return found


def test_no_module_imports_another_modules_private_names(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("from cvm_core.analyses.clv.fit import FitSettings, _compare\n")
    assert private_imports([planted]) == ["planted.py: cvm_core.analyses.clv.fit._compare"]
    sources = [*CORE.rglob("*.py"), *(ROOT / "ui").rglob("*.py"), *(ROOT / "pages").rglob("*.py")]
    assert private_imports(sources) == []


def test_scripts_hold_no_bare_strings_streamlit_would_print():
    """Streamlit's magic writes any bare expression of app.py or a page into the page: a string
    meant as a comment below a constant ("docstring") showed above every page's title."""
    for script in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        body = ast.parse(script.read_text()).body
        stray = [
            node.lineno
            for node in body[1:]  # the module docstring is not printed
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        ]
        assert stray == [], f"{script.name}: bare string at line(s) {stray}"


def _packages(requirements: str) -> set[str]:
    """Import names of the pinned packages of a requirements file ('scikit-learn' -> 'scikit_learn')."""
    lines = (line.split("#")[0].strip() for line in (ROOT / requirements).read_text().splitlines())
    return {line.split("==")[0].lower().replace("-", "_") for line in lines if "==" in line}


def test_the_app_imports_no_package_only_the_tests_install():
    """A fresh install from requirements.txt failed on the demo workbook once: the intake
    imported defusedxml (then test-only) for sheets with empty cells. Imports inside functions
    count too; cvm_core/analyses/clv/backend.py is the tests' lifetimes reference."""
    # pyspark: the optional Spark engine of `summarize`, which says so when it is not installed
    dev_only = _packages("requirements-dev.txt") - _packages("requirements.txt") - {"pyspark"}
    assert "lifetimes" in dev_only  # the files were read
    sources = [ROOT / "app.py", ROOT / "scripts" / "serve.py", *CORE.rglob("*.py"),
               *(ROOT / "ui").rglob("*.py"), *(ROOT / "pages").rglob("*.py")]  # fmt: skip
    found = []
    for path in sources:
        if path.name == "backend.py" and path.parent.name == "clv":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] in dev_only]
    assert found == []


VALUE_WIDGETS = {
    "slider", "radio", "selectbox", "multiselect", "toggle", "checkbox", "number_input",
    "text_input", "date_input", "segmented_control", "pills", "select_slider", "text_area",
}  # fmt: skip


def widgets_forgetting_their_value(source: str) -> list[int]:
    """Lines of keyed value widgets without persist_state="session": Streamlit drops such a
    widget's value whenever a run does not draw it (another page, a closed tab)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) in VALUE_WIDGETS:
            keywords = {k.arg: k.value for k in node.keywords}
            persist = keywords.get("persist_state")
            if "key" in keywords and getattr(persist, "value", None) != "session":
                lines.append(node.lineno)
    return lines


def test_the_finder_finds_a_widget_that_forgets():
    assert widgets_forgetting_their_value('st.slider("Horizon", 1, 60, key="h")') == [1]
    kept = 'st.slider("Horizon", 1, 60, key="h", persist_state="session")\nst.slider("x", 1, 2)'
    assert widgets_forgetting_their_value(kept) == []


def test_every_keyed_setting_survives_a_page_switch():
    """A consultant sets the CLV horizon to 24 months, looks at the Whale page, comes back: 24."""
    paths = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]
    forgetting = {
        str(p.relative_to(ROOT)): lines
        for p in paths
        if (lines := widgets_forgetting_their_value(p.read_text(encoding="utf-8")))
    }
    assert forgetting == {}, 'add persist_state="session" to the widgets on these lines'


def names_hiding_gettext(source: str) -> list[int]:
    """Lines that assign to ``_`` in a module that imports ``_`` (gettext) from cvm_core.i18n:
    ``head, _, tail = text.partition(":")`` makes ``_`` local to the whole function, and a
    ``_("...")`` anywhere in it then fails (UnboundLocalError, or calls a string)."""
    tree = ast.parse(source)
    imports_gettext = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "cvm_core.i18n"
        and any(alias.name == "_" for alias in node.names)
        for node in ast.walk(tree)
    )
    if not imports_gettext:
        return []
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store)
    ]


def test_the_finder_finds_gettext_hidden_by_a_throwaway_name():
    hidden = "from cvm_core.i18n import _\ndef f(t):\n    a, _, b = t.partition(':')\n"
    assert names_hiding_gettext(hidden) == [3]
    assert names_hiding_gettext("def f(t):\n    a, _, b = t.partition(':')\n") == []


def test_no_module_hides_gettext():
    paths = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py"),
             *CORE.rglob("*.py")]  # fmt: skip
    hiding = {
        str(p.relative_to(ROOT)): lines
        for p in paths
        if (lines := names_hiding_gettext(p.read_text(encoding="utf-8")))
    }
    assert hiding == {}, "name the throwaway something else than _ (it is gettext here)"
