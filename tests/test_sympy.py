"""IR -> SymPy round trip: every node type, as input and in results, converted to a SymPy
matrix expression over MatrixSymbols with symbolic dimensions, then evaluated by SymPy at
concrete sizes and values, equals the NumPy evaluation of the same IR."""

import os
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp

import matcalc
from matcalc import check, ir
from matcalc.printers.numpy import py_name, to_numpy
from matcalc.to_sympy import Commutation, Vec, dim, explicit, substitution, to_sympy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from identities import IDENTITIES  # noqa: E402

n, m = (sp.Symbol(d, integer=True, positive=True) for d in "nm")

# (expression, variable): together their inputs and derivatives hold every node type.
BROAD = [
    ("x' A x", "x"), ("x' A x", "A"), ("logdet(X)", "X"), ("det(X)", "X"), ("tr(A X B)", "X"),
    ("A X B", "X"), ("inv(X)", "X"), ("X^3", "X"), ("X'", "X"), ("kron(A, X)", "X"),
    ("vec(X)' vec(X)", "X"), ("diag(X)' x", "X"), ("diag(x) A x", "x"), ("sum(X .^ 2)", "X"),
    ("||X w - y||^2", "w"), ("norm2(x)", "x"), ("||X||_F", "X"), ("norm1(x)", "x"),
    ("exp(x) .* sin(A x) + cos(x) ./ (ones(n) + x .^ 2)", "x"), ("tan(x) + arctan(x)", "x"),
    ("arcsin(x) + arccos(x)", "x"), ("sqrt(x) + log(x) + abs(x)", "x"),
    ("sigmoid(W x) + softplus(W x) + relu(W x) + tanh(W x)", "W"), ("sign(x) .* x", "x"),
    ("softmax(W x)", "x"), ("log_softmax(x)", "x"), ("logsumexp(W x)", "W"),
    ("x .^ p", "x"), ("x .^ p", "p"), ("s^t", "t"), ("2^s", "s"), ("det(X)^(1/2)", "X"),
    ("(x' x)^(-1/2)", "x"), ("||W2 h - y||^2 where h = tanh(W1 x)", "W1"),
    ("tr(eye(n) X) + sum(ones(n, n) X) + sum(zeros(n) + x)", "X"), ("alpha x' x", "alpha"),
    ("kron(x, y)", "y"), ("X .* Y", "X"), ("tr(X^-1 A X^-1 B)", "X"), ("logdet(S) where S: n x n symmetric", "S"),
]
HESSIANS = [("x' A x", "x"), ("logdet(X)", "X"), ("sum(exp(X))", "X"), ("logsumexp(x)", "x")]


def results():
    for expr, wrt in BROAD:
        yield matcalc.diff(expr, wrt=wrt)
        yield matcalc.jac(expr, wrt=wrt) if expr != "x' A x" else matcalc.diff(expr, wrt=wrt, layout="numerator")
    for expr, wrt in HESSIANS:
        yield matcalc.hess(expr, wrt=wrt)


def by_sympy(e: ir.Expr, typed, values: dict) -> np.ndarray:
    """e through to_sympy, evaluated by SymPy at the values (as 30-digit Floats)."""
    sizes = check.sizes_for(typed.names)
    floats = {name: sp.Matrix(np.atleast_1d(values[py_name(name)])).applyfunc(lambda v: sp.Float(v, 30))
              for name in typed.names}
    floats = {k: (v[0] if typed.names[k].shape == ir.SCALAR else v) for k, v in floats.items()}
    v = explicit(to_sympy(e), substitution(typed.names, sizes, floats))
    return np.array(sp.Matrix([[v]]) if not isinstance(v, sp.MatrixBase) else v, dtype=float)


def assert_round_trip(e: ir.Expr, typed, seed: int = 0):
    values = check.random_inputs(typed, np.random.default_rng(seed))
    want = check.evaluate(to_numpy(e, typed.names), values)
    got = by_sympy(e, typed, values)
    r, c = (check.concrete(d, check.sizes_for(typed.names)) for d in e.shape)
    assert got.shape == (r, c)
    np.testing.assert_allclose(got.reshape(-1), np.reshape(want, -1) if want.size == r * c else want.T.reshape(-1),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("result", list(results()), ids=lambda r: f"{r.kind} d/d{r.wrt} {r.input}")
def test_input_and_derivative_survive_the_round_trip(result):
    typed = result.derivation.typed
    assert_round_trip(typed.expr, typed)
    assert_round_trip(result.derivation.result, typed)


def node_types(e: ir.Expr) -> set:
    return {type(node) for node in ir.postorder(e)}


def test_the_broad_set_holds_every_node_type():
    seen = set().union(*(node_types(r.derivation.typed.expr) | node_types(r.derivation.result) for r in results()))
    every = {cls for cls in vars(ir).values() if isinstance(cls, type) and issubclass(cls, ir.Expr)
             and hasattr(cls, "_rank")}
    assert every - seen == set()


@pytest.mark.parametrize("row", [r for r in IDENTITIES if not r.error][::5], ids=lambda r: r.id)
def test_identity_rows_survive_the_round_trip(row):
    r = matcalc.diff(row.expr, wrt=row.wrt, kind=row.command, layout=row.layout, declare=row.declare)
    typed = r.derivation.typed
    assert_round_trip(typed.expr, typed, seed=1)
    assert_round_trip(r.derivation.result, typed, seed=1)


# ---------------------------------------------------------------- the symbolic form

def test_names_are_matrix_symbols_with_symbolic_dimensions():
    A, X, B = sp.MatrixSymbol("A", n, m), sp.MatrixSymbol("X", m, n), sp.MatrixSymbol("B", n, n)
    x = sp.MatrixSymbol("x", n, 1)
    assert matcalc.diff("tr(A X B)", wrt="X", declare="A: n x m; X: m x n; B: n x n").to_sympy() == A.T * B.T
    assert matcalc.diff("x' B x", wrt="x", declare="B: n x n").to_sympy() == (B + B.T) * x
    r = matcalc.diff("alpha x' x", wrt="alpha")
    assert r.to_sympy("expression") == sp.Symbol("alpha", real=True) * sp.Trace(x.T * x)


def test_sympy_agrees_with_the_result_symbolically():
    """SymPy's own matrix calculus on the input (where it has one) gives the same matrix."""
    r = matcalc.diff("x' A x", wrt="x")
    x = sp.MatrixSymbol("x", n, 1)
    assert sp.expand(r.to_sympy("expression").diff(x) - r.to_sympy()) == sp.ZeroMatrix(n, 1)


def test_vec_and_commutation_are_matrix_expressions_at_symbolic_sizes():
    A = sp.MatrixSymbol("A", m, n)
    assert Vec(A).shape == (m * n, 1)
    assert Commutation(m, n).shape == (m * n, m * n)
    M = sp.ImmutableMatrix(2, 3, range(6))
    K = Commutation(2, 3).doit()
    assert K * Vec(M).doit() == Vec(M.T).doit()
    assert Vec(M).doit() == sp.ImmutableMatrix([0, 3, 1, 4, 2, 5])


def test_a_dimension_is_a_positive_integer_symbol_or_a_product():
    assert dim("n") == n and dim(3) == 3 and dim("m*n") == m * n and dim("2*n") == 2 * n
    assert dim("n").is_integer and dim("n").is_positive


def test_to_sympy_takes_only_a_known_part():
    with pytest.raises(ValueError, match="derivative"):
        matcalc.diff("x' x", wrt="x").to_sympy("input")


def test_sympy_stays_off_the_start_up_path():
    code = ("import sys; from matcalc.cli import main; sys.argv[1:] = ['diff', \"x' A x\", '--wrt', 'x']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('sympy', 'numpy', 'lark') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.splitlines()[-1] == "[]", out.stderr
