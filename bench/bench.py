"""Benchmarks for matcalc, run by hand (pytest does not collect this folder).

Two parts: the start-up time of the command beside reference interpreters, and
how time and output length of `matcalc.diff` grow with the size of the input.
Uses only the public API (`from matcalc import diff`) and the `matcalc` command.

    python bench/bench.py                  # both parts
    python bench/bench.py --skip-startup --sizes 1,2,4,8
    python bench/bench.py --skip-startup --steps     # the cost and size of --steps traces
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

SIZES = (1, 2, 4, 8, 16, 32, 64)
STARTUP_EXPR = ["diff", "x' A x", "--wrt", "x"]
ANCHOR_APP = Path(__file__).resolve().parent / "anchor_app.py"  # a bare typer app, two commands


# ---------------------------------------------------------------- start-up

def matcalc_command() -> list[str] | None:
    """The matcalc command beside this interpreter, else on PATH, else None."""
    here = Path(sys.executable).parent / "matcalc"
    if here.exists():
        return [str(here)]
    found = shutil.which("matcalc")
    return [found] if found else None


def time_command(argv: list[str], runs: int) -> tuple[float, list[float], str]:
    """Median wall time in ms over `runs` fresh processes, all times, first output."""
    env = dict(os.environ, NO_COLOR="1")
    first = subprocess.run(argv, capture_output=True, text=True, env=env,
                           stdin=subprocess.DEVNULL, timeout=120)  # warm caches
    if first.returncode != 0:
        raise RuntimeError(f"exit {first.returncode}: {first.stderr.strip()[-300:]}")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, env=env,
                       stdin=subprocess.DEVNULL, timeout=120, check=True)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), times, first.stdout.strip()


def bench_startup(runs: int) -> None:
    py = sys.executable
    rows = [("python -c pass", [py, "-c", "pass"]),
            ("python -c 'import typer, rich, lark'", [py, "-c", "import typer, rich, lark"]),
            ("python -c 'import sympy'", [py, "-c", "import sympy"])]
    script = matcalc_command()
    if script:
        rows.append(("matcalc " + " ".join(repr(a) if " " in a else a for a in STARTUP_EXPR),
                     script + STARTUP_EXPR))
    rows.append(("python -m matcalc " + " ".join(repr(a) if " " in a else a for a in STARTUP_EXPR),
                 [py, "-m", "matcalc", *STARTUP_EXPR]))

    print(f"Start-up: median wall time of {runs} fresh processes (after one warm-up run)")
    print(f"python: {py}")
    print(f"{'command':<48} {'median ms':>10} {'min ms':>8} {'max ms':>8}  output")
    for label, argv in rows:
        try:
            median, times, out = time_command(argv, runs)
        except (OSError, RuntimeError, subprocess.SubprocessError) as e:
            print(f"{label:<48} {'failed':>10}  {str(e).splitlines()[0] if str(e) else type(e).__name__}")
            continue
        print(f"{label:<48} {median:>10.1f} {min(times):>8.1f} {max(times):>8.1f}  {out[:40]}")
    if not script:
        print("(no `matcalc` command found beside this python or on PATH)")
    print()


def bench_anchor(runs: int) -> None:
    """matcalc's start-up as a ratio to a bare typer app's: interleaved runs, output
    into a pipe, medians (issue 11 asks for at most 1.0)."""
    script = matcalc_command()
    if not script:
        print("Start-up vs anchor: no `matcalc` command found beside this python or on PATH\n")
        return
    rows = {"typer app, two commands (bench/anchor_app.py)": [sys.executable, str(ANCHOR_APP), *STARTUP_EXPR],
            "matcalc " + " ".join(repr(a) if " " in a else a for a in STARTUP_EXPR): script + STARTUP_EXPR}
    env = dict(os.environ, NO_COLOR="1")
    times: dict[str, list[float]] = {label: [] for label in rows}
    try:
        for argv in rows.values():  # warm caches
            subprocess.run(argv, capture_output=True, env=env, stdin=subprocess.DEVNULL, timeout=120, check=True)
        for _ in range(runs):
            for label, argv in rows.items():
                start = time.perf_counter()
                subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                               stdin=subprocess.DEVNULL, timeout=120, check=True)
                times[label].append((time.perf_counter() - start) * 1000)
    except (OSError, subprocess.SubprocessError) as e:
        print(f"Start-up vs anchor: failed: {e}\n")
        return
    medians = [statistics.median(t) for t in times.values()]
    print(f"Start-up vs anchor: median of {runs} interleaved runs each, output into a pipe")
    print(f"{'command':<48} {'median ms':>10} {'min ms':>8} {'max ms':>8}")
    for (label, t), median in zip(times.items(), medians):
        print(f"{label:<48} {median:>10.1f} {min(t):>8.1f} {max(t):>8.1f}")
    print(f"{'start-up ratio matcalc / typer app':<48} {medians[1] / medians[0]:>10.2f}   (target <= 1.0)")
    print()


# ---------------------------------------------------------------- scaling

def chain(d: int) -> tuple[str, str]:
    """tanh(W tanh(W ... tanh(W x))), depth d, by x: one W reused at every level."""
    expr = "x"
    for _ in range(d):
        expr = f"tanh(W {expr})"
    return expr, "x"


def quadratic_sum(k: int) -> tuple[str, str]:
    """x' A1 x + x' A2 x + ... + x' Ak x, by x."""
    return " + ".join(f"x' A{i} x" for i in range(1, k + 1)), "x"


def mlp_where(d: int) -> tuple[str, str]:
    """||W{d} h{d-1} - y||^2 where h1 = tanh(W1 x); h2 = tanh(W2 h1); ..., by W1."""
    if d == 1:
        return "||W1 x - y||^2", "W1"
    defs = ["h1 = tanh(W1 x)"] + [f"h{i} = tanh(W{i} h{i - 1})" for i in range(2, d)]
    return f"||W{d} h{d - 1} - y||^2 where " + "; ".join(defs), "W1"


def mlp_inline(d: int) -> tuple[str, str]:
    """The same network written out without definitions, by W1."""
    h = "x"
    for i in range(1, d):
        h = f"tanh(W{i} {h})"
    return f"||W{d} {h} - y||^2", "W1"


def hess_chain(d: int) -> tuple[str, str]:
    """hess of sum(tanh(W tanh(W ... tanh(W x)))), depth d, by x."""
    return f"sum({chain(d)[0]})", "x"


def hess_where(d: int) -> tuple[str, str]:
    """hess of sum(h{d-1}) where h0 = tanh(W x); h1 = tanh(W h0); ..., by x."""
    defs = ["h0 = tanh(W x)"] + [f"h{i} = tanh(W h{i - 1})" for i in range(1, d)]
    return f"sum(h{d - 1}) where " + "; ".join(defs), "x"


FAMILIES = {
    "chain": chain,
    "quadsum": quadratic_sum,
    "mlp-where": mlp_where,
    "mlp-inline": mlp_inline,
    "hess-chain": hess_chain,
    "hess-where": hess_where,
}
KINDS = {"hess-chain": "hess", "hess-where": "hess"}  # the kind of derivative, where not diff


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout


def time_diff(diff, expr: str, wrt: str, timeout: float, steps: bool = False, kind: str = "diff") -> tuple[float, str]:
    """Median ms of up to 3 calls (one if slow), and the derivative's text (with
    `steps`, the JSON of the trace)."""
    times, text = [], ""
    has_alarm = hasattr(signal, "setitimer")
    for _ in range(3):
        if has_alarm:
            signal.signal(signal.SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            start = time.perf_counter()
            result = diff(expr, wrt=wrt, steps=steps, kind=kind)
            times.append((time.perf_counter() - start) * 1000)
        finally:
            if has_alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
        text = json.dumps(result.steps, ensure_ascii=False) if steps else str(result.derivative)
        if sum(times) > 1000:
            break
    return statistics.median(times), text


def bench_scaling(families: list[str], sizes: list[int], timeout: float, show: bool, steps: bool = False) -> None:
    try:
        from matcalc import diff
    except Exception as e:  # the package may not exist yet, or be broken
        print(f"Scaling: skipped, matcalc is not importable ({type(e).__name__}: {e})")
        return
    try:
        diff("x' A x", wrt="x")  # warm-up: grammar load, caches
    except Exception as e:
        print(f"Scaling: warm-up diff(\"x' A x\", wrt=\"x\") failed: {type(e).__name__}: {e}")

    print(f"Scaling: in-process matcalc.diff(expr, wrt=...{', steps=True' if steps else ''}), default kind and layout")
    if steps:
        print("output = characters of the JSON trace")
    print("Doubling the size should about double time and length (linear growth);")
    print("a length ratio that keeps growing means the output grows faster than the input.")
    for name in families:
        make = FAMILIES[name]
        print()
        print(f"{name}: {make.__doc__}")
        print(f"{'size':>5} {'input':>7} {'ms':>10} {'x prev':>7} {'output':>9} {'x prev':>7} {'out/in':>7}")
        prev_ms = prev_len = None
        for n in sizes:
            expr, wrt = make(n)
            try:
                ms, text = time_diff(diff, expr, wrt, timeout, steps, KINDS.get(name, "diff"))
            except Timeout:
                print(f"{n:>5} {len(expr):>7}  over {timeout:g} s: larger sizes skipped")
                break
            except Exception as e:
                msg = str(e).splitlines()[0] if str(e) else ""
                print(f"{n:>5} {len(expr):>7}  error {type(e).__name__}: {msg[:70]}")
                continue
            r_ms = f"{ms / prev_ms:.1f}" if prev_ms else ""
            r_len = f"{len(text) / prev_len:.1f}" if prev_len else ""
            print(f"{n:>5} {len(expr):>7} {ms:>10.2f} {r_ms:>7} {len(text):>9} {r_len:>7}"
                  f" {len(text) / len(expr):>7.1f}")
            if show:
                print(f"      {expr}\n   -> {text[:300]}{' ...' if len(text) > 300 else ''}")
            prev_ms, prev_len = ms, max(len(text), 1)


# ---------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=10, help="start-up runs per command (10)")
    p.add_argument("--anchor-runs", type=int, default=20,
                   help="interleaved runs of matcalc and the anchor typer app (20)")
    p.add_argument("--sizes", default=",".join(map(str, SIZES)),
                   help="comma-separated sizes for the scaling part (1,2,...,64)")
    p.add_argument("--family", action="append", choices=sorted(FAMILIES),
                   help="only this family (repeatable); default all")
    p.add_argument("--timeout", type=float, default=30.0,
                   help="seconds one diff call may take before larger sizes are skipped (30)")
    p.add_argument("--show", action="store_true", help="print each input and derivative")
    p.add_argument("--steps", action="store_true", help="time diff with steps=True; output = the JSON trace")
    p.add_argument("--skip-startup", action="store_true")
    p.add_argument("--skip-scaling", action="store_true")
    args = p.parse_args(argv)

    if not args.skip_startup:
        bench_anchor(args.anchor_runs)
        bench_startup(args.runs)
    if not args.skip_scaling:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
        bench_scaling(args.family or list(FAMILIES), sizes, args.timeout, args.show, args.steps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
