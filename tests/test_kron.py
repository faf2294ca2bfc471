"""Reverse mode through kron and vec: the refusals of issue 8 differentiate, exactly, and
tr(A ⊗ B) = tr(A) tr(B) is used only where both factors are square. The identity table
(tests/identities.py, KRONECKER) checks the values against hand-written NumPy."""
import pytest

import matcalc
from matcalc import ir, simplify
from matcalc.check import check
from matcalc.printers.text import to_text
from matcalc.shapes import analyze


@pytest.mark.parametrize("expr, wrt", [
    ("logdet(kron(A, B))", "A"), ("logdet(kron(A, B))", "B"), ("sum(kron(A, X))", "X"),
    ("||kron(x, y)||^2", "x"), ("tr(kron(x', y))", "x"), ("tr(kron(x', y))", "y"),
    ("a' kron(X, B) b", "X"), ("a' kron(X, B) b", "B"), ("sum(exp(kron(A, X)))", "X"),
    ("tr(kron(X, X) C)", "X"), ("a' kron(x, X) b", "x"), ("a' kron(x', X) b", "X"),
    ("sum(vec(X) .* a)", "X"), ("sum(exp(vec(X)))", "X"), ("vec(B)' vec(X)", "X"),
    ("a' kron(P, Q) vec(X)", "X"), ("logdet(h) where h = kron(A, B)", "A"),
])
@pytest.mark.parametrize("kind", ["grad", "hess"])
def test_a_gradient_through_kron_or_vec_is_right(expr, wrt, kind):
    assert check(expr, wrt=wrt, kind=kind)["ok"]


@pytest.mark.parametrize("expr, wrt, text", [
    ("logdet(kron(A, B)) where A: m x m; B: n x n", "A", "tr(eye(n)) A^-T"),  # G = A⁻ᵀ ⊗ B⁻ᵀ
    ("tr(kron(x', y))", "x", "y"),                                              # xᵀ ⊗ y = y xᵀ
    ("vec(B)' vec(X)", "X", "B"),                                               # unvec(vec B) = B
    ("sum(exp(vec(X)))", "X", "exp(X)"),                                        # vec commutes with exp
    ("a' vec(X) where X: m x n", "X", "kron(vec(eye(n))', eye(m)) kron(eye(n), a)"),
])
def test_a_closed_form_where_g_has_one(expr, wrt, text):
    assert matcalc.diff(expr, wrt=wrt).derivative == text


def test_trace_of_kron_splits_only_for_square_factors():
    rectangular = simplify.identities(analyze("tr(kron(x', y)) where x: n; y: n").expr)
    assert to_text(rectangular) == "x' y"  # xᵀ ⊗ y = y xᵀ, never tr(xᵀ) tr(y)
    square = simplify.identities(analyze("tr(kron(A, B)) where A: m x m; B: n x n").expr)
    assert to_text(square) == "tr(A) tr(B)"
