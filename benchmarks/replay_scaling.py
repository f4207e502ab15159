"""Replay scaling: one check whose cassette holds 500 interactions, then 1,000, 2,000 and 5,000.

The check (``scaling_check.py``) walks n distinct pages of mite's services list. Its cassettes are
recorded once from the bundled mite sandbox through the real record path (``--mode record``) and
cached; each round then replays every size with the project's pytest plugin (``--mode replay``,
sockets blocked), alternating sizes and interpreters, and the script prints the median time of the
check per size (pytest's setup + call + teardown from junit.xml: cassette loading, matching, the
checks and the unplayed-interaction proof, without process start-up), the time per interaction,
and t(largest)/t(smallest) against the target: 10x the interactions in at most 12x the time.

Usage: python benchmarks/replay_scaling.py [--rounds 5] [--sizes 500,1000,2000,5000]
       [--python PY ...] [--cache DIR] [--profile SIZE]
``--python`` may be given more than once to measure several checkouts side by side in one run
(each interpreter's installed apiconform is the tree it measures, e.g. a clone at another commit).
"""
from __future__ import annotations

import argparse
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

CHECK = Path(__file__).with_name("scaling_check.py")
TARGET = 12.0  # at most 12x the time for 10x the interactions
TEST = "suites/mite/test_scaling.py"


def project_root(python: str) -> Path:
    """The checkout an interpreter's apiconform was installed from (its contract and schemas)."""
    env = {k: v for k, v in os.environ.items() if k != "APICONFORM_ROOT"}
    out = subprocess.run([python, "-c", "from apiconform.paths import project_root; print(project_root())"],
                         cwd="/", env=env, capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def suite_dir(work: Path, root: Path, tree: int) -> Path:
    """A suite folder holding the check beside the tree's own mite contract (linked, not copied)."""
    run = work / f"run-{tree}"
    mite = run / "suites" / "mite"
    mite.mkdir(parents=True, exist_ok=True)
    (mite / "contract.toml").unlink(missing_ok=True)
    (mite / "contract.toml").symlink_to(root / "suites" / "mite" / "contract.toml")
    shutil.copyfile(CHECK, mite / "test_scaling.py")
    return run


def pytest_args(mode: str, sizes: list[int], cache: Path, reports: Path) -> list[str]:
    return ["-m", "pytest", *[f"{TEST}::test_pages[{n}]" for n in sizes], "-q", "-p", "no:xdist",
            "-p", "no:cacheprovider", "--mode", mode, "--cassette-dir", str(cache), "--report-dir", str(reports)]


def run(python: str, root: Path, run_dir: Path, args: list[str], prefix: list[str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    # A parse cache of the benchmark's own (apiconform/parsecache.py): the first round of a size parses its
    # cassette and fills it, the next rounds read it, as on a machine that replays again; the user's is untouched.
    env = {**os.environ, "APICONFORM_ROOT": str(root), "XDG_CACHE_HOME": str(run_dir / "xdg-cache")}
    return subprocess.run([python, *(prefix or []), *args], cwd=run_dir, env=env, capture_output=True, text=True)


def cassette_path(cache: Path, n: int) -> Path:
    return cache / "mite" / f"test_scaling__test_pages[{n}].yaml"


def record(python: str, root: Path, run_dir: Path, sizes: list[int], cache: Path, work: Path) -> None:
    """Record the sizes whose cassette is not cached yet, from the bundled sandbox."""
    missing = [n for n in sizes if not cassette_path(cache, n).is_file()]
    if not missing:
        return
    print(f"recording {missing} from the mite sandbox into {cache} ...", flush=True)
    proc = run(python, root, run_dir, pytest_args("record", missing, cache, work / "record-reports"))
    if proc.returncode != 0:
        sys.exit(f"recording failed:\n{proc.stdout[-3000:]}{proc.stderr[-2000:]}")
    for n in missing:
        held = len(yaml.load(cassette_path(cache, n).read_text(), Loader=yaml.CSafeLoader)["interactions"])
        if held != n:
            sys.exit(f"{cassette_path(cache, n)} holds {held} interactions, not {n}")


def replay_once(python: str, root: Path, run_dir: Path, n: int, cache: Path, work: Path) -> tuple[float, float]:
    """(the check's setup + call + teardown, the whole process) for one replay of size ``n``."""
    junit = work / "junit.xml"
    start = time.perf_counter()
    proc = run(python, root, run_dir, [*pytest_args("replay", [n], cache, work / "reports"), "--junitxml",
                                       str(junit), "-o", "junit_duration_report=total"])
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"replay of {n} failed:\n{proc.stdout[-3000:]}{proc.stderr[-2000:]}")
    case = ET.parse(junit).getroot().find(".//testcase")
    assert case is not None, "junit.xml has no test case"
    return float(case.get("time", "nan")), wall


def profile(python: str, root: Path, run_dir: Path, n: int, cache: Path, work: Path) -> None:
    """cProfile one replay of size ``n`` and print its top entries by own time and by cumulative time."""
    out = work / "replay.prof"
    proc = run(python, root, run_dir, pytest_args("replay", [n], cache, work / "reports"),
               prefix=["-m", "cProfile", "-o", str(out)])
    if proc.returncode != 0:
        sys.exit(f"profiled replay of {n} failed:\n{proc.stdout[-3000:]}")
    for key in ("tottime", "cumulative"):
        print(f"\nprofile of one replay of {n} interactions ({root}), top 15 by {key}:")
        pstats.Stats(str(out), stream=sys.stdout).strip_dirs().sort_stats(key).print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", default="500,1000,2000,5000")
    parser.add_argument("--python", action="append", help="interpreter of a tree to measure (default: this one)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "apiconform-replay-scaling",
                        help="where the recorded cassettes are kept between runs")
    parser.add_argument("--profile", type=int, metavar="SIZE", help="also profile one replay of SIZE per tree")
    opts = parser.parse_args()
    sizes = sorted(int(s) for s in opts.sizes.split(","))
    pythons = opts.python or [sys.executable]
    with tempfile.TemporaryDirectory(prefix="replay-scaling-") as tmp:
        work = Path(tmp)
        roots = [project_root(py) for py in pythons]
        trees = [(py, root, suite_dir(work, root, i)) for i, (py, root) in enumerate(zip(pythons, roots, strict=True))]
        record(*trees[0], sizes, opts.cache, work)
        times = {(py, n): ([], []) for py in pythons for n in sizes}  # (check, process) per tree and size
        for r in range(opts.rounds):
            for n in sizes if r % 2 == 0 else reversed(sizes):
                for py, root, run_dir in trees if r % 2 == 0 else reversed(trees):
                    check, wall = replay_once(py, root, run_dir, n, opts.cache, work)
                    times[(py, n)][0].append(check)
                    times[(py, n)][1].append(wall)
        print(f"replay of one check, cassettes of {sizes} interactions ({opts.cache}), {opts.rounds} rounds; "
              "check = pytest setup + call + teardown, process = the whole pytest run")
        for py, root, _ in trees:
            print(f"\n{root} ({py})")
            print(f"  {'interactions':>12} {'check median s':>15} {'ms/interaction':>15} {'process median s':>17}")
            med = {n: (statistics.median(times[(py, n)][0]), statistics.median(times[(py, n)][1])) for n in sizes}
            for n in sizes:
                print(f"  {n:>12} {med[n][0]:>15.3f} {1000 * med[n][0] / n:>15.3f} {med[n][1]:>17.3f}")
            lo, hi = sizes[0], sizes[-1]
            ratio = med[hi][0] / med[lo][0]
            verdict = "meets" if ratio <= TARGET * (hi / lo) / 10 else "misses"
            print(f"  t({hi})/t({lo}) = {ratio:.2f} for {hi / lo:g}x the interactions ({verdict} the target "
                  f"of {TARGET * (hi / lo) / 10:g}x); process: {med[hi][1] / med[lo][1]:.2f}")
        if opts.profile:
            for py, root, run_dir in trees:
                profile(py, root, run_dir, opts.profile, opts.cache, work)


if __name__ == "__main__":
    main()
