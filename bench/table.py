"""Issue 11's table, each row beside its anchor in the same run (run by hand).

    python bench/table.py                 # every row, a few minutes
    python bench/table.py --rows startup,trace

Rows: start-up against a bare typer app (bench/anchor_app.py), interleaved; batch
throughput against SymPy on the lines SymPy also answers right (checked numerically here);
`--steps --format json` of a tanh chain at k = 64 and 128; `hess` of the deep tanh net at
k = 32 and 64; a tanh chain 1,000 deep; memory after 10,000 expressions through the API.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import STARTUP_EXPR, ANCHOR_APP, matcalc_command  # noqa: E402


def tanh_chain(k: int, inner: str = "x") -> str:
    for _ in range(k):
        inner = f"tanh(W {inner})"
    return inner


def clock(fn, repeat: int = 3) -> float:
    """The median wall time of fn() in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def row(what: str, now: str, anchor: str, ratio: str, target: str) -> None:
    print(f"{what:<44} {now:>20} {anchor:>22} {ratio:>9}   {target}")


# -- start-up ----------------------------------------------------------------------------------

def startup(runs: int = 21) -> None:
    script = matcalc_command()
    if not script:
        row("start-up `diff \"x' A x\"` into a pipe", "no matcalc command", "", "", "")
        return
    argv = {"app": [sys.executable, str(ANCHOR_APP), *STARTUP_EXPR], "matcalc": script + STARTUP_EXPR}
    env = dict(os.environ, NO_COLOR="1")
    times: dict[str, list[float]] = {k: [] for k in argv}
    for a in argv.values():
        subprocess.run(a, capture_output=True, env=env, stdin=subprocess.DEVNULL, check=True)
    for _ in range(runs):
        for k, a in argv.items():
            start = time.perf_counter()
            subprocess.run(a, capture_output=True, env=env, stdin=subprocess.DEVNULL, check=True)
            times[k].append((time.perf_counter() - start) * 1000)
    m, t = statistics.median(times["matcalc"]), statistics.median(times["app"])
    row("start-up `diff \"x' A x\"` into a pipe", f"{m:.0f} ms", f"typer app {t:.0f} ms", f"{m / t:.2f}x", "<= 1.0x")


# -- batch against SymPy -----------------------------------------------------------------------

def _sympy_corpus():
    """(matcalc line, variable, a function building the SymPy derivative) for lines both read."""
    import sympy as sp

    n = sp.Symbol("n", integer=True, positive=True)
    x, y, a, b = (sp.MatrixSymbol(s, n, 1) for s in "xyab")
    A, B, X = (sp.MatrixSymbol(s, n, n) for s in "ABX")
    return [
        ("x' A x", "x", lambda: (x.T * A * x).diff(x)),
        ("a' x", "x", lambda: (a.T * x).diff(x)),
        ("x' x", "x", lambda: (x.T * x).diff(x)),
        ("x' A y", "x", lambda: (x.T * A * y).diff(x)),
        ("(A x - b)' (A x - b)", "x", lambda: ((A * x - b).T * (A * x - b)).diff(x)),
        ("tr(A X B)", "X", lambda: sp.Trace(A * X * B).diff(X)),
        ("tr(A X)", "X", lambda: sp.Trace(A * X).diff(X)),
        ("tr(X' A X)", "X", lambda: sp.Trace(X.T * A * X).diff(X)),
        ("a' X b", "X", lambda: (a.T * X * b).diff(X)),
        ("tr(X A X')", "X", lambda: sp.Trace(X * A * X.T).diff(X)),
        ("det(X)", "X", lambda: sp.Determinant(X).diff(X)),
        ("tr(A X^-1 B)", "X", lambda: sp.Trace(A * X.inverse() * B).diff(X)),
    ], {"n": n}


def _sympy_right(line, wrt, build, size: int = 3) -> bool:
    """SymPy's derivative at random 3×3 inputs equals matcalc's (as checked by matcalc's oracle)."""
    import numpy as np
    import sympy as sp

    from matcalc import diff
    from matcalc.check import evaluate, random_inputs

    r = diff(line, wrt=wrt)
    values = random_inputs(r.derivation.typed, np.random.default_rng(0), size=size) \
        if "size" in random_inputs.__code__.co_varnames else random_inputs(r.derivation.typed, np.random.default_rng(0))
    want = np.asarray(evaluate(r.numpy, values), dtype=float)
    got = build()
    subs = {}
    for s in got.free_symbols:
        if isinstance(s, sp.MatrixSymbol) and s.name in values:
            v = np.atleast_2d(np.asarray(values[s.name], dtype=float))
            subs[s] = sp.Matrix(v.T if v.shape[0] == 1 and s.shape[1] == 1 else v)
    n = next(iter(values.values()))
    sizes = {sym: sp.Matrix(np.atleast_2d(np.asarray(values[wrt]))).shape[0] for sym in got.free_symbols
             if isinstance(sym, sp.Symbol) and sym.name == "n"}
    try:
        value = np.array(got.subs(sizes).subs(subs).doit().as_explicit() if hasattr(got, "as_explicit")
                         else got.subs(sizes).subs(subs).doit(), dtype=float)
    except Exception:
        return False
    return value.size == want.size and np.allclose(value.reshape(-1), want.reshape(-1), rtol=1e-8, atol=1e-10)


def batch(repeat: int = 40) -> None:
    try:
        corpus, _ = _sympy_corpus()
    except ImportError:
        row("batch vs SymPy", "sympy not installed", "", "", "")
        return
    right = [(line, wrt, build) for line, wrt, build in corpus if _sympy_right(line, wrt, build)]
    script = matcalc_command()
    lines = [f"{line}" for line, wrt, _ in right]
    stdin = "\n".join(lines * repeat) + "\n"
    # matcalc: one process reads every line (the variable guessed, as each has one candidate or --wrt)
    groups: dict[str, list[str]] = {}
    for line, wrt, _ in right:
        groups.setdefault(wrt, []).append(line)
    start = time.perf_counter()
    for wrt, ls in groups.items():
        subprocess.run(script + ["diff", "--wrt", wrt, "-"], input="\n".join(ls * repeat) + "\n",
                       capture_output=True, text=True, check=True)
    ours = len(lines) * repeat / (time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(max(1, repeat // 10)):
        for _, _, build in right:
            build()
    theirs = len(right) * max(1, repeat // 10) / (time.perf_counter() - start)
    row(f"batch, {len(right)} of {len(corpus)} lines SymPy answers right", f"{ours:.0f} lines/s",
        f"SymPy {theirs:.1f} lines/s", f"{ours / theirs:.0f}x", ">= 60x")
    del stdin


# -- traces, Hessians, depth, memory ----------------------------------------------------------

def trace() -> None:
    from matcalc import diff

    for k in (64, 128):
        expr = f"sum({tanh_chain(k)})"
        out = {}

        def run():
            r = diff(expr, wrt="x", kind="grad", declare=["W: n x n"], steps=True)
            out["bytes"] = len(json.dumps(r.to_json(), ensure_ascii=False))
        try:
            t = clock(run, 1)
            row(f"--steps --format json, tanh chain k = {k}", f"{t:.2f} s, {out['bytes'] / 1e3:.0f} kB", "", "",
                "linear; k = 128 under 0.5 s")
        except Exception as e:  # noqa: BLE001 - a row that fails is reported, the others still run
            row(f"--steps --format json, tanh chain k = {k}", f"error: {e}"[:60], "", "", "")


def hessian() -> None:
    from matcalc import diff

    for k in (32, 64):
        expr = f"sum({tanh_chain(k)})"
        try:
            t = clock(lambda: diff(expr, wrt="x", kind="hess", declare=["W: n x n"]), 1)
            row(f"hess by x, tanh net k = {k}", f"{t:.2f} s", "", "", "linear; k = 64 under 0.3 s")
        except Exception as e:  # noqa: BLE001
            row(f"hess by x, tanh net k = {k}", f"error: {e}"[:60], "", "", "")


def depth() -> None:
    from matcalc import diff

    expr = f"sum({tanh_chain(1000)})"
    try:
        t = clock(lambda: diff(expr, wrt="x", kind="grad", declare=["W: n x n"]), 1)  # tracemalloc slows it
        gc.collect()  # the timed run's nodes gone: the peak is a cold run's
        tracemalloc.start()
        diff(expr, wrt="x", kind="grad", declare=["W: n x n"])
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        row("tanh chain 1,000 deep, grad", f"{t:.2f} s, {peak:.0f} MiB", "", "", "accepted, bounded")
    except Exception as e:  # noqa: BLE001
        row("tanh chain 1,000 deep, grad", f"error: {e}"[:60], "", "", "")
    finally:
        tracemalloc.stop()


def memory(n: int = 10_000) -> None:
    """RSS after n distinct expressions through the API, against RSS after the first 100."""
    code = f"""
import gc, resource
from matcalc import diff
def rss():
    return int(open('/proc/self/statm').read().split()[1]) * resource.getpagesize() / 2**20
for i in range(100):
    diff(f"x' A{{i}} x + tanh(W{{i}} x)' b", wrt="x")
gc.collect(); before = rss()
for i in range(100, {n}):
    diff(f"x' A{{i}} x + tanh(W{{i}} x)' b", wrt="x")
gc.collect(); print(before, rss())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode:
        row(f"{n:,} expressions through the API", "error", "", "", "")
        return
    before, after = map(float, out.stdout.split())
    row(f"{n:,} expressions through the API", f"+{after - before:.1f} MiB", f"after 100: {before:.0f} MiB", "",
        "flat")


ROWS = {"startup": startup, "batch": batch, "trace": trace, "hessian": hessian, "depth": depth, "memory": memory}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", default=",".join(ROWS), help="comma-separated: " + ", ".join(ROWS))
    args = p.parse_args()
    row("what", "now", "anchor", "ratio", "target")
    for name in args.rows.split(","):
        ROWS[name.strip()]()


if __name__ == "__main__":
    main()
