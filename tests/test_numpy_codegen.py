"""The `numpy` format as a numerical programmer writes it (issue 9).

Each planned form — a diagonal by broadcasting, a commutation matrix by an index, the
mixed product of Kronecker products, a solve for an unshared inverse, one inverse for
inv(X) and inv(X'), a product distributed over a sum with a diagonal term — is checked
against central differences (matcalc.check, at distinct small sizes so that a wrong
transpose or index cannot hide) and for the array it must not build. Then: no N×N
temporary where the result is d×d, stable functions on extreme inputs, and names that
never clash with the code's own.
"""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import matcalc
from matcalc.check import check

LOGISTIC = "X: N x d; y: N; w: d"
MLP = "W1: n x n; W2: n x n; x: n; y: n"
PLANNED = [  # (command, expression, by, declarations, text the code has, text it must not have)
    ("hess", "sum(softplus(-y .* (X w)))", "w", LOGISTIC, "[:, None] * X", "np.diag"),
    ("hess", "sum(log(exp(-y .* (X w)) + ones(N)))", "w", LOGISTIC, "[:, None] * X", "np.diag"),
    ("hess", "sum(log(sigmoid(X w)))", "w", "X: N x d", "[:, None] * X", "np.diag"),
    ("hess", "sum(exp(A x))", "x", "A: m x n", "[:, None] * A", "np.diag"),
    ("jac", "tanh(W x + b)", "x", "W: m x n; x: n; b: m", "[:, None] * W", "np.diag"),
    ("jac", "W (x .* x)", "x", "W: m x n", "W * (2 * x)", "np.diag"),
    ("jac", "(I - diag(x)) W y", "y", "W: n x m", "(1 - x)[:, None] * W", "np.diag"),
    ("jac", "diag(x) A diag(x) y", "y", "A: n x n", "x[:, None] * (A * x)", "np.diag"),
    ("jac", "softmax(W x)", "x", "W: m x n", "np.outer(v1, v1 @ W)", "np.diag"),
    ("hess", "logsumexp(A x)", "x", "A: m x n", "np.outer(v1, v1 @ A)", "np.diag"),
    ("hess", "||W2 tanh(W1 x) - y||^2", "W1", MLP, "np.kron(np.outer(2 * x, x), ", "np.eye"),
    ("hess", "logdet(X)", "X", "X: n x n", "[:, np.arange(", "np.eye"),
    ("jac", "vec(X' A)", "X", "X: m x n; A: m x p", "[:, np.arange(", "@ np.eye"),
    ("jac", "A X'", "X", "A: p x n; X: m x n", "[:, np.arange(", "@ np.eye"),
    ("grad", "logdet(S) + (x - m)' inv(S) (x - m)", "S", "S: n x n symmetric; x: n; m: n", "t1 @ ", "inv(S) @"),
    ("hess", "logdet(X)", "X", "X: n x n", "t1.T", "inv(X.T)"),
    ("grad", "x' inv(A) b", "x", "A: n x n", "np.linalg.solve(A, b)", "inv"),
    ("grad", "x' inv(A) b", "b", "A: n x n", "np.linalg.solve(A.T, x)", "inv"),
    ("grad", "y' inv(A') x", "x", "A: n x n", "np.linalg.solve(A, y)", "inv"),
    ("grad", "b' inv(A' A) b", "b", "A: n x n", "np.linalg.solve(A.T @ A, b)", "inv"),
    ("grad", "logdet(X' X)", "X", "X: 5 x 3", "np.linalg.solve(", "inv"),
    ("grad", "||W2 tanh(W1 x) - y||^2", "W1", MLP, "np.outer(2 * ", "np.ones"),
    ("grad", "sum(A x)", "x", "A: m x n", "np.sum(A.T, axis=1)", "np.ones"),
    ("grad", "tr(A X)^2", "X", "A: n x m", "np.sum(A * X.T)", "np.trace"),
    ("grad", "-y' log(softmax(W x))", "W", "W: K x D; x: D; y: K", "np.max(", "logaddexp.reduce"),
    ("grad", "sum(sigmoid(A x))", "x", "A: m x n", "np.logaddexp(0, ", "1 / (1 + np.exp"),
    ("grad", "logdet(X) x' x", "x", "X: n x n", "slogdet", "np.log(np.linalg.det"),
    ("diff", "exp(-t) x", "t", "t: scalar", "-np.exp(-t) * x", "(-1)"),
    ("hess", "tr(X' A X B)", "X", "A: m x m; B: n x n; X: m x n", "np.kron(B, A.T)", "@"),
    ("hess", "x' A x / (x' x)", "x", "A: n x n symmetric", ":= 1 / (x @ x)", "(-1)"),
]


@pytest.mark.parametrize("command, expr, wrt, decls, has, lacks", PLANNED, ids=lambda v: str(v)[:40])
def test_a_planned_form_agrees_with_central_differences(command, expr, wrt, decls, has, lacks):
    code = matcalc.diff(expr, wrt=wrt, kind=command, declare=decls).numpy
    assert has in code and lacks not in code, code
    report = check(expr, wrt=wrt, kind=command, declare=decls, trials=2)
    assert report["ok"], report


def test_the_logistic_hessian_builds_no_n_by_n_array():
    r = matcalc.hess("sum(softplus(-y .* (X w)))", wrt="w", declare=LOGISTIC)
    rng = np.random.default_rng(0)
    N, d = 3000, 10
    v = {"X": rng.standard_normal((N, d)), "y": rng.choice([-1.0, 1.0], N), "w": rng.standard_normal(d)}
    tracemalloc.start()
    H = eval(r.numpy, {"np": np, **v})
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    p = 1 / (1 + np.exp(-v["y"] * (v["X"] @ v["w"])))
    assert np.allclose(H, v["X"].T @ (v["X"] * (p * (1 - p))[:, None]))
    assert peak < 4 * N * d * 8, f"{peak / 2**20:.1f} MiB for a {d}×{d} Hessian: an N×N array is {N * N * 8 / 2**20:.0f}"


def test_the_logdet_hessian_builds_no_n2_by_n2_identity():
    r = matcalc.hess("logdet(X)", wrt="X", declare="X: n x n")
    n = 12
    X = np.random.default_rng(1).standard_normal((n, n)) + n * np.eye(n)
    tracemalloc.start()
    H = eval(r.numpy, {"np": np, "X": X})
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2.5 * H.nbytes, f"{peak} bytes for a {H.nbytes}-byte result"


@pytest.mark.parametrize("command, expr, wrt", [
    ("grad", "sum(sigmoid(z))", "z"), ("grad", "sum(softplus(z))", "z"),
    ("grad", "logsumexp(z)", "z"), ("grad", "-y' log(softmax(z))", "z"), ("jac", "softmax(z)", "z"),
])
def test_stable_functions_stay_finite_and_quiet_on_extreme_inputs(command, expr, wrt):
    r = matcalc.diff(expr, wrt=wrt, kind=command)
    z = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        out = eval(r.numpy, {"np": np, "z": z, "y": np.ones(5)})
    assert np.all(np.isfinite(out))


def test_a_variable_named_np_or_like_a_temporary_keeps_its_value():
    assert check("np' x", wrt="x")["ok"] and check("np' x", wrt="np")["ok"]
    r = matcalc.grad("t1' inv(S) t1 + np' t1", wrt="t1", declare="S: n x n; np: n")
    assert r.variables["np"]["python"] == "np_" and "python" not in r.variables["t1"]
    assert check("t1' inv(S) t1 + np' t1", wrt="t1", declare="S: n x n; np: n")["ok"]


def test_shared_work_is_bound_once():
    code = matcalc.grad("logdet(S) + (x - m)' inv(S) (x - m)", wrt="S",
                        declare="S: n x n symmetric; x: n; m: n").numpy
    assert code.count("np.linalg.inv(") == 1, code
    code = matcalc.hess("logdet(X)", wrt="X", declare="X: n x n").numpy
    assert code.count("np.linalg.inv(") == 1, code
