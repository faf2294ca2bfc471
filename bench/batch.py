"""Batch throughput: lines per processor second through `matcalc grad --wrt x` on
standard input (start-up included), beside SymPy differentiating the same lines
(MatrixSymbol.diff, its import not counted), in the same run. Processor time, not wall
time, so that other work on the machine moves the numbers little.

Only lines SymPy also answers right count: each corpus line is checked once, SymPy's
gradient and matcalc's evaluated with NumPy on the same random inputs, and a line
either gets wrong or cannot do is left out (and said). Run by hand:

    python bench/batch.py                 # 3,000 lines, text and json, 3 runs each
    python bench/batch.py --lines 10000 --runs 1
    git archive 04e64ec | tar -x -C /tmp/before && python bench/batch.py --also /tmp/before
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

# matcalc's input, and the same expression for SymPy (x, a, b vectors; A, B matrices).
CORPUS = [
    ("x' A x", "x.T*A*x"),
    ("a' x", "a.T*x"),
    ("x' x", "x.T*x"),
    ("x' A' b", "x.T*A.T*b"),
    ("b' A x", "b.T*A*x"),
    ("x' A x + b' x", "x.T*A*x + b.T*x"),
    ("(A x)' (A x)", "(A*x).T*(A*x)"),
    ("x' A' A x", "x.T*A.T*A*x"),
    ("a' x x' b", "a.T*x*x.T*b"),
    ("||A x - b||^2", "(A*x - b).T*(A*x - b)"),
    ("x' (A + B) x", "x.T*(A + B)*x"),
    ("(x - a)' A (x - a)", "(x - a).T*A*(x - a)"),
    ("2 a' x + x' x", "2*a.T*x + x.T*x"),
    ("x' A B x", "x.T*A*B*x"),
    ("(A x + b)' (B x - a)", "(A*x + b).T*(B*x - a)"),
    ("x' A' B' B A x", "x.T*A.T*B.T*B*A*x"),
]
N = 4


def sympy_symbols():
    import sympy

    n = sympy.Symbol("n", integer=True, positive=True)
    return {v: sympy.MatrixSymbol(v, n, 1) for v in "xab"} | {M: sympy.MatrixSymbol(M, n, n) for M in "AB"}, n


def sympy_line(code: str, symbols: dict) -> str:
    """What SymPy does for one line: parse, differentiate, print."""
    from sympy.parsing.sympy_parser import parse_expr

    e = parse_expr(code, local_dict=dict(symbols))
    return str(e.diff(symbols["x"]))


def answered_right(corpus) -> tuple[list, list]:
    """The corpus lines where SymPy's gradient equals matcalc's on random inputs."""
    import numpy as np
    import sympy

    from matcalc import grad

    symbols, n = sympy_symbols()
    rng = np.random.default_rng(0)
    values = {v: rng.standard_normal((N, 1)) for v in "xab"} | {M: rng.standard_normal((N, N)) for M in "AB"}
    kept, dropped = [], []
    for text, code in corpus:
        try:
            from sympy.parsing.sympy_parser import parse_expr

            g = parse_expr(code, local_dict=dict(symbols)).diff(symbols["x"]).subs(n, N)
            f = sympy.lambdify([symbols[k].subs(n, N) for k in values], g.doit(), "numpy")
            theirs = np.asarray(f(*values.values()), dtype=float).reshape(-1)
            ours = eval(grad(text, wrt="x").numpy, {"np": np, **{k: v.reshape(-1) if k in "xab" else v
                                                                    for k, v in values.items()}})
            ok = np.allclose(theirs, np.asarray(ours).reshape(-1))
        except Exception as e:  # SymPy cannot: the line does not count
            ok, why = False, f"{type(e).__name__}: {e}"
        else:
            why = "a different value"
        (kept if ok else dropped).append((text, code) if ok else (text, why))
    return kept, dropped


def matcalc_command() -> list[str]:
    here = os.path.join(os.path.dirname(sys.executable), "matcalc")
    return [here] if os.path.exists(here) else [sys.executable, "-m", "matcalc"]


def time_matcalc(lines: list[str], fmt: str, source: str | None = None) -> float:
    """Lines per second through one process; `source` runs the matcalc package found
    there instead (an unpacked older commit, say) as `python -m matcalc`."""
    data = ("\n".join(lines) + "\n").encode()
    command, env = matcalc_command(), None
    if source:
        command, env = [sys.executable, "-m", "matcalc"], dict(os.environ, PYTHONPATH=source)
    before = _children_cpu()
    # cwd: `python -m` puts the working directory first on the path, so run from `source`
    # (else a checkout's own matcalc would be timed in place of the older one)
    done = subprocess.run(command + ["grad", "--wrt", "x", "-f", fmt], input=data, env=env, cwd=source,
                          capture_output=True)
    if done.returncode != 0 or done.stdout.count(b"\n") != len(lines):
        raise SystemExit(f"matcalc{' in ' + source if source else ''} failed: {done.stderr.decode()[:300]}")
    return len(lines) / (_children_cpu() - before)


def _children_cpu() -> float:
    """Processor seconds of finished child processes: what the machine's load moves least."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_sympy(codes: list[str], seconds: float) -> float:
    symbols, _ = sympy_symbols()
    sympy_line(codes[0], symbols)  # SymPy's caches warm, its import not counted
    done, t = 0, time.process_time()
    while time.process_time() - t < seconds:
        sympy_line(codes[done % len(codes)], symbols)
        done += 1
    return done / (time.process_time() - t)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lines", type=int, default=3000, help="lines per matcalc run (default 3000)")
    p.add_argument("--runs", type=int, default=3, help="interleaved runs of each (default 3)")
    p.add_argument("--sympy-seconds", type=float, default=5.0, help="how long SymPy runs each time (default 5)")
    p.add_argument("--also", metavar="DIR", help="also time the matcalc package in DIR, interleaved "
                   "(for example `git archive REV | tar -x -C DIR`)")
    a = p.parse_args(argv)

    kept, dropped = answered_right(CORPUS)
    for text, why in dropped:
        print(f"left out: {text!r} (SymPy: {why})")
    lines = [kept[i % len(kept)][0] for i in range(a.lines)]
    codes = [code for _, code in kept]
    rates = {"matcalc text": [], "matcalc json": [], "sympy": []}
    if a.also:
        rates |= {"also text": [], "also json": []}
    for _ in range(a.runs):  # interleaved, so that the machine's load falls on all alike
        rates["matcalc text"].append(time_matcalc(lines, "text"))
        if a.also:
            rates["also text"].append(time_matcalc(lines, "text", a.also))
        rates["sympy"].append(time_sympy(codes, a.sympy_seconds))
        rates["matcalc json"].append(time_matcalc(lines, "json"))
        if a.also:
            rates["also json"].append(time_matcalc(lines, "json", a.also))
    sympy = statistics.median(rates["sympy"])
    print(f"{len(kept)} distinct lines SymPy answers right; {a.lines} lines per matcalc run, median of {a.runs}")
    for name, r in rates.items():
        m = statistics.median(r)
        print(f"{name:<14} {m:8.1f} lines per CPU s   {m / sympy:6.1f}x SymPy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
