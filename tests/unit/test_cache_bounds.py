"""Every Streamlit cache is bounded (DESIGN.md: "Bound every cache"; issue 16: memory returns):
a count (max_entries) and an age (ttl), so a server nobody uses stops holding old results."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WHY_NO_TTL = {
    ("ui/reload.py", "_store"): "one dict for the process, bounded by MAX_KEPT and KEEP_SECONDS",
    ("ui/memory.py", "_marker"): "session-scoped: goes when its session disconnects",
}


def _cache_decorators():
    for path in [ROOT / "app.py", *(ROOT / "ui").rglob("*.py"), *(ROOT / "pages").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if ast.unparse(target) in ("st.cache_data", "st.cache_resource"):
                    yield str(path.relative_to(ROOT)), node.name, decorator


def test_every_cache_has_max_entries_and_a_ttl():
    found, unbounded = 0, []
    for path, name, decorator in _cache_decorators():
        found += 1
        given = {kw.arg for kw in getattr(decorator, "keywords", [])}
        needs = {"max_entries"} if (path, name) in WHY_NO_TTL else {"max_entries", "ttl"}
        if not needs <= given:
            unbounded.append(f"{path}:{name} lacks {', '.join(sorted(needs - given))}")
    assert found >= 15  # the scan sees the caches
    assert not unbounded, unbounded
