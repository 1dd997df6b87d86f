"""The deck on the demo data: what a consultant waits for after clicking "Build the deck".

    python3 bench/bench_deck.py            # the demo workbook (4,000 customers, 95k rows)
    python3 bench/bench_deck.py --runs 3

Stages, each timed in this process after one warm-up (vl-convert starts its engine once):
every analysis with the default settings (the report), the storyline, drawing the slides (chart
pictures and native tables) and the whole. Side by side, the naive way to draw the same charts:
validated Vega-Lite at the page's default size (1000 x 460), as the deck did before, which also
gave 7-9 pt text on the slide. Budget (issue 14): the demo deck in under 10 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cvm_core.intake import demo_workbook  # noqa: E402
from cvm_core.intake.dataset import load_file  # noqa: E402
from cvm_core.outputs import deck, export, report, storyline  # noqa: E402


def naive_png(chart) -> bytes:
    import vl_convert as vlc

    spec = chart.properties(width=1000, height=460).configure(background="white").to_json()
    return vlc.vegalite_to_png(spec, scale=2.0)


def timed(function, *args):
    start = time.perf_counter()
    value = function(*args)
    return value, time.perf_counter() - start


def one_run(dataset) -> dict:
    result, t_report = timed(report.build_report, dataset)
    story, t_story = timed(storyline.build_story, result)
    data, t_deck = timed(lambda: deck.build_deck("Bench", dataset.name, story))
    charts = [s.chart for s in story if s.chart is not None]
    _, t_naive = timed(lambda: [naive_png(c) for c in charts])
    _, t_ours = timed(lambda: [export.slide_png(c) for c in charts])
    return {
        "analyses (report)": t_report,
        "storyline": t_story,
        "slides drawn": t_deck,
        "total": t_report + t_story + t_deck,
        f"{len(charts)} chart pictures, ours": t_ours,
        f"{len(charts)} chart pictures, naive": t_naive,
        "slides": 1 + len(story),
        "MB": len(data) / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    path = demo_workbook.DEMO_WORKBOOK_PATH
    dataset = load_file(path.read_bytes(), path.name)
    one_run(dataset)  # warm-up: imports, vl-convert's engine, fonts
    runs = [one_run(dataset) for _ in range(args.runs)]
    print(f"Deck on {dataset.name}: median of {args.runs} runs (seconds)")
    for key in runs[0]:
        value = statistics.median(r[key] for r in runs)
        print(f"  {key:32s} {value:8.2f}")


if __name__ == "__main__":
    main()
