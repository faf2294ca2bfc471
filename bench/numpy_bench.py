#!/usr/bin/env python3
"""How fast is the NumPy that matcalc generates, beside hand-written NumPy and autodiff?

For each case: matcalc's `numpy` expression (from the Python API, compiled once, only its
evaluation timed), the NumPy a careful programmer writes, and whichever of jax (jit),
autograd and torch.func import. Rounds interleave the contenders in a fresh random
order; each sample is ~40 ms of back-to-back calls; the ratio to hand-written is taken
within each round and its median reported, so slow drifts in machine load cancel. Peak
memory of one call is tracemalloc's (NumPy-based contenders only: jax and torch allocate
outside Python's allocator). Agreement is max|a - hand| / max|hand|, every contender
mapped to matcalc's layout (a Hessian by a matrix in column-major vec order).

    python bench/numpy_bench.py [--threads 1] [--rounds 15] [--only key,...] [--quick] [--json FILE]

Run it by hand (it takes minutes), from a venv with numpy and, optionally, jax, autograd
and torch; matcalc is imported from this checkout. `--threads N` (default 1) sets every
BLAS, OpenMP, XLA and torch pool to N threads before anything is imported.
"""
from __future__ import annotations

import os
import sys


def _threads() -> str:
    for i, a in enumerate(sys.argv):
        if a == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return "1"


THREADS = _threads()
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = THREADS
if THREADS == "1":
    os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import matcalc  # noqa: E402

try:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
except Exception:  # noqa: BLE001 - an optional contender
    jax = jnp = None
try:
    import autograd
    import autograd.numpy as anp
except Exception:  # noqa: BLE001
    autograd = anp = None
try:
    import torch
    import torch.func

    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(int(THREADS))
except Exception:  # noqa: BLE001
    torch = None


# -- hand-written NumPy ------------------------------------------------------------------

def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def hand_logreg_hess(X, y, w):
    p = sigmoid(y * (X @ w))
    return (X.T * (p * (1.0 - p) * y * y)) @ X


def hand_ls_grad(X, y, w):
    return X.T @ (2.0 * (X @ w - y))


def hand_ls_hess(X, y, w):
    return 2.0 * (X.T @ X)


def hand_mlp_grad(W1, W2, x, y):
    h = np.tanh(W1 @ x)
    return np.outer(2.0 * (W2.T @ (W2 @ h - y)) * (1.0 - h * h), x)


def hand_mlp_hess(W1, W2, x, y):
    h = np.tanh(W1 @ x)
    d = 1.0 - h * h
    g = W2.T @ (W2 @ h - y)
    M = (2.0 * d)[:, None] * (W2.T @ W2) * d
    M[np.diag_indices_from(M)] -= 4.0 * g * h * d
    return np.kron(np.outer(x, x), M)


def hand_gauss_grad(S, x, m):
    Si = np.linalg.inv(S)
    u = Si @ (x - m)
    return Si - np.outer(u, u)


def hand_softmax_grad(W, x, y):
    z = W @ x
    p = np.exp(z - z.max())
    p *= y.sum() / p.sum()
    return np.outer(p - y, x)


def hand_tanh_jac(W, x, b):
    t = np.tanh(W @ x + b)
    return (1.0 - t * t)[:, None] * W


def hand_logdet_hess(X):
    n = X.shape[0]
    Xi = np.linalg.inv(X)
    perm = np.arange(n * n).reshape(n, n, order="F").T.reshape(-1, order="F")
    return -np.kron(Xi, Xi.T)[:, perm]


# -- the same functions for autodiff (xp: jax.numpy, autograd.numpy or torch) -------------

def f_logreg(xp, w, X, y):
    z = -y * (X @ w)
    return xp.sum(torch.nn.functional.softplus(z)) if xp is torch else xp.sum(xp.logaddexp(0.0, z))


def f_logreg_paper(xp, w, X, y):
    return xp.sum(xp.log(xp.exp(-y * (X @ w)) + 1.0))


def f_ls(xp, w, X, y):
    r = X @ w - y
    return r @ r


def f_mlp(xp, W1, W2, x, y):
    r = W2 @ xp.tanh(W1 @ x) - y
    return r @ r


def f_gauss(xp, S, x, m):
    r = x - m
    return xp.linalg.slogdet(S)[1] + r @ xp.linalg.solve(S, r)


def f_softmax(xp, W, x, y):
    z = W @ x
    zm = xp.max(z)
    return -(y @ (z - zm - xp.log(xp.sum(xp.exp(z - zm)))))


def f_tanh(xp, x, W, b):
    return xp.tanh(W @ x + b)


def f_logdet(xp, X):
    return xp.linalg.slogdet(X)[1]


# -- data --------------------------------------------------------------------------------

def logreg_data(N, d):
    def make(rng):
        return {"X": rng.standard_normal((N, d)) / np.sqrt(d), "y": rng.choice([-1.0, 1.0], N),
                "w": rng.standard_normal(d)}
    return make


def mlp_data(n):
    def make(rng):
        return {"W1": rng.standard_normal((n, n)) / np.sqrt(n), "W2": rng.standard_normal((n, n)) / np.sqrt(n),
                "x": rng.standard_normal(n), "y": rng.standard_normal(n)}
    return make


def gauss_data(n):
    def make(rng):
        A = rng.standard_normal((n, n))
        return {"S": A @ A.T / n + np.eye(n), "x": rng.standard_normal(n), "m": rng.standard_normal(n)}
    return make


def softmax_data(k, n):
    def make(rng):
        y = np.zeros(k)
        y[rng.integers(k)] = 1.0
        return {"W": rng.standard_normal((k, n)) / np.sqrt(n), "x": rng.standard_normal(n), "y": y}
    return make


def jac_data(n):
    def make(rng):
        return {"W": rng.standard_normal((n, n)) / np.sqrt(n), "x": rng.standard_normal(n), "b": rng.standard_normal(n)}
    return make


def square_data(n):
    def make(rng):
        return {"X": rng.standard_normal((n, n)) / np.sqrt(n) + 2.0 * np.eye(n)}
    return make


LOGREG = dict(expr="sum(softplus(-y .* (X w)))", wrt="w", decls="X: N x d; y: N; w: d", args=("w", "X", "y"))
LSQ = dict(expr="||X w - y||^2", wrt="w", decls="X: N x d; y: N; w: d", args=("w", "X", "y"))
MLP = dict(expr="||W2 tanh(W1 x) - y||^2", wrt="W1", decls="W1: n x n; W2: n x n; x: n; y: n",
           args=("W1", "W2", "x", "y"))
CASES = [
    dict(key="logreg_hess", title="logistic regression Hessian", size="2000×200", kind="hess", **LOGREG,
         data=logreg_data(2000, 200), hand=hand_logreg_hess, f=f_logreg),
    dict(key="logreg_hess_big", title="logistic regression Hessian", size="5000×500", kind="hess", **LOGREG,
         data=logreg_data(5000, 500), hand=hand_logreg_hess, f=f_logreg),
    dict(key="logreg_paper_hess", title="logistic regression Hessian, paper form", size="2000×200", kind="hess",
         expr="sum(log(exp(-y .* (X w)) + ones(N)))", wrt="w", decls="X: N x d; y: N; w: d", args=("w", "X", "y"),
         data=logreg_data(2000, 200), hand=hand_logreg_hess, f=f_logreg_paper),
    dict(key="ls_grad", title="least-squares gradient", size="2000×200", kind="grad", **LSQ,
         data=logreg_data(2000, 200), hand=hand_ls_grad, f=f_ls),
    dict(key="ls_hess", title="least-squares Hessian", size="2000×200", kind="hess", **LSQ,
         data=logreg_data(2000, 200), hand=hand_ls_hess, f=f_ls),
    dict(key="ls_hess_big", title="least-squares Hessian", size="5000×500", kind="hess", **LSQ,
         data=logreg_data(5000, 500), hand=hand_ls_hess, f=f_ls),
    dict(key="mlp_grad", title="MLP gradient by W1", size="512", kind="grad", **MLP,
         data=mlp_data(512), hand=hand_mlp_grad, f=f_mlp),
    dict(key="gauss_grad", title="Gaussian NLL gradient by S", size="300", kind="grad",
         expr="logdet(S) + (x - m)' inv(S) (x - m)", wrt="S", decls="S: n x n symmetric; x: n; m: n",
         args=("S", "x", "m"), data=gauss_data(300), hand=hand_gauss_grad, f=f_gauss),
    dict(key="softmax_grad", title="softmax cross-entropy gradient by W", size="1000×512", kind="grad",
         expr="-y' log(softmax(W x))", wrt="W", decls="W: K x D; x: D; y: K", args=("W", "x", "y"),
         data=softmax_data(1000, 512), hand=hand_softmax_grad, f=f_softmax),
    dict(key="tanh_jac", title="Jacobian of tanh(W x + b) by x", size="1000×1000", kind="jac",
         expr="tanh(W x + b)", wrt="x", decls="W: m x n; x: n; b: m", args=("x", "W", "b"),
         data=jac_data(1000), hand=hand_tanh_jac, f=f_tanh),
    dict(key="mlp_hess", title="MLP Hessian by W1", size="48", kind="hess_mat", **MLP,
         data=mlp_data(48), hand=hand_mlp_hess, f=f_mlp),
    dict(key="logdet_hess", title="logdet(X) Hessian by X", size="40", kind="hess_mat",
         expr="logdet(X)", wrt="X", decls="X: n x n", args=("X",),
         data=square_data(40), hand=hand_logdet_hess, f=f_logdet),
]
for _c in CASES:
    _c["cmd"] = {"hess_mat": "hess"}.get(_c["kind"], _c["kind"])


# -- contenders --------------------------------------------------------------------------

def matcalc_code(case) -> str:
    r = matcalc.diff(case["expr"], wrt=case["wrt"], kind=case["cmd"], declare=case["decls"])
    return r.numpy


def contenders(case, v: dict, code: str) -> dict:
    """name -> (zero-argument callable, how to read its result)."""
    compiled = compile(code, "<matcalc>", "eval")
    names = {"np": np, **v}
    args = [v[a] for a in case["args"]]
    hand = case["hand"]
    hand_args = [v[a] for a in hand.__code__.co_varnames[:hand.__code__.co_argcount]]
    out = {"matcalc": (lambda: eval(compiled, names), "numpy"),
           "hand": (lambda: hand(*hand_args), "numpy")}
    transform = {"hess": "hessian", "hess_mat": "hessian", "grad": "grad", "jac": "jacrev"}[case["kind"]]
    f = case["f"]
    if jax is not None:
        jf = jax.jit(getattr(jax, transform)(lambda *a: f(jnp, *a)))
        jargs = [jax.device_put(a) for a in args]
        out["jax"] = (lambda: jf(*jargs).block_until_ready(), "numpy")
    if autograd is not None:
        af = getattr(autograd, {"jacrev": "jacobian"}.get(transform, transform))(lambda *a: f(anp, *a))
        out["autograd"] = (lambda: af(*args), "numpy")
    if torch is not None:
        tf = getattr(torch.func, transform)(lambda *a: f(torch, *a))
        targs = [torch.from_numpy(a) for a in args]
        out["torch.func"] = (lambda: tf(*targs), "torch")
    return out


def as_layout(out, how: str, case) -> np.ndarray:
    out = np.asarray(out.detach().numpy() if how == "torch" else out, dtype=float)
    if case["kind"] == "hess_mat" and out.ndim == 4:  # (m, n, m, n) -> vec (column-major) order
        m, n = out.shape[:2]
        out = out.transpose(1, 0, 3, 2).reshape(m * n, m * n)
    return out


def measure(cons: dict, rounds: int, target: float, rng: random.Random) -> dict:
    """Per-call seconds: name -> one sample per round, the names shuffled every round."""
    reps = {}
    for name, (fn, _) in cons.items():
        fn()  # warm up: jax compiles here
        t0 = time.perf_counter()
        fn()
        reps[name] = max(1, min(2000, int(target / max(time.perf_counter() - t0, 1e-7))))
    samples = {name: [] for name in cons}
    order = list(cons)
    for _ in range(rounds):
        rng.shuffle(order)
        for name in order:
            fn, k = cons[name][0], reps[name]
            t0 = time.perf_counter()
            for _ in range(k):
                fn()
            samples[name].append((time.perf_counter() - t0) / k)
    return samples


def peak_mib(fn) -> float:
    tracemalloc.start()
    out = fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del out
    return peak / 2**20


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", default="1", help="BLAS/OpenMP/XLA/torch threads (default 1)")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--target", type=float, default=0.04, help="seconds per sample")
    ap.add_argument("--only", default="", help="comma-separated case keys")
    ap.add_argument("--quick", action="store_true", help="5 rounds, no big case")
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    only = {k for k in args.only.split(",") if k}
    cases = [c for c in CASES if (not only or c["key"] in only) and not (args.quick and c["key"].endswith("_big"))]
    rounds = 5 if args.quick else args.rounds
    print(f"numpy {np.__version__}, jax {getattr(jax, '__version__', '-')}, "
          f"autograd {'yes' if autograd else '-'}, torch {getattr(torch, '__version__', '-')}, "
          f"threads {THREADS}, rounds {rounds}", flush=True)
    rng, rows = random.Random(1), []
    for case in cases:
        v = case["data"](np.random.default_rng(0))
        code = matcalc_code(case)
        cons = contenders(case, v, code)
        ref = as_layout(cons["hand"][0](), "numpy", case)
        err = {}
        for name, (fn, how) in cons.items():
            got = as_layout(fn(), how, case)
            err[name] = float(np.max(np.abs(got - ref)) / np.max(np.abs(ref))) if got.shape == ref.shape \
                else float("inf")
        samples = measure(cons, rounds if not case["key"].endswith("_big") else max(5, rounds // 2),
                          args.target, rng)
        hand = np.array(samples["hand"])
        ratio = {n: float(np.median(np.array(s) / hand)) for n, s in samples.items()}
        mem = {n: peak_mib(fn) for n, (fn, how) in cons.items() if n in ("matcalc", "hand", "autograd")}
        row = dict(key=case["key"], title=case["title"], size=case["size"], numpy=code,
                   hand_ms=float(np.median(hand)) * 1e3, ratio=ratio, rel_err=err, peak_mib=mem)
        rows.append(row)
        print(f"\n{case['title']} ({case['size']}): {case['cmd']} {case['expr']} by {case['wrt']}\n  {code}")
        for n in cons:
            m = f"  peak {mem[n]:8.1f} MiB" if n in mem else ""
            print(f"  {n:11s} x{ratio[n]:7.2f}   err {err[n]:.1e}{m}", flush=True)
    names = ["matcalc", "jax", "autograd", "torch.func"]
    print("\n| derivative | size | hand ms | " + " | ".join(names) + " | peak MiB matcalc / hand |")
    print("|---|---|---|" + "---|" * len(names) + "---|")
    for r in rows:
        cells = [f"{r['ratio'][n]:.2f}" if n in r["ratio"] else "–" for n in names]
        print(f"| {r['title']} | {r['size']} | {r['hand_ms']:.3g} | " + " | ".join(cells) +
              f" | {r['peak_mib']['matcalc']:.1f} / {r['peak_mib']['hand']:.1f} |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(dict(numpy=np.__version__, threads=THREADS, rounds=rounds, rows=rows), fh, indent=1)


if __name__ == "__main__":
    main()
