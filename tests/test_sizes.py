"""Symbolic sizes: products of dimensions commute and multiply out, in kron sizes, in size
arguments and in the IR, so that equal sizes type as equal (shapes._Dims, ir.dim_mul)."""
import pytest

from matcalc import MatcalcError, ir
from matcalc.shapes import analyze


@pytest.mark.parametrize("a, b, product", [
    (2, 3, 6), ("n", 1, "n"), (1, "n", "n"), ("n", "m", "m*n"), ("m", "n", "m*n"),
    (2, "3*n", "6*n"), ("n*2", 3, "6*n"), ("n", "n", "n*n"), ("p*m", "n", "m*n*p"),
])
def test_dim_mul_is_canonical(a, b, product):
    assert ir.dim_mul(a, b) == product


@pytest.mark.parametrize("expr, shape", [
    ("kron(A, B) + kron(B, A) where A: 2 x 2; B: 3 x 3", (6, 6)),
    ("kron(A, B) + kron(B, A) where A: m x m; B: n x n", ("m*n", "m*n")),
    ("ones(2*3*n) + ones(6*n)", ("6*n", 1)),
    ("ones(m*n) + ones(n*m)", ("m*n", 1)),
    ("ones(2*3*n) + kron(x, y) where x: 6; y: n", ("6*n", 1)),
    ("kron(X', eye(n)) commutation(m, n) + kron(eye(n), X') where X: m x n", ("n*n", "m*n")),
    ("diag(vec(W')) commutation(m, p) where W: m x p", ("m*p", "m*p")),
    ("kron(x, y) + z where x: 2; y: 3", (6, 1)),
    ("kron(A, B) + C where A: m x n; B: p x q", ("m*p", "n*q")),
])
def test_equal_products_type_as_equal(expr, shape):
    assert analyze(expr).expr.shape == shape


def test_a_free_size_is_solved_from_a_product():
    """ones(2*v) = ones(6*n): v = 3*n, the one reading."""
    typed = analyze("kron(ones(2), x) + ones(6*n)")
    assert typed.names["x"].shape == ("3*n", 1)


@pytest.mark.parametrize("expr", [
    "kron(A, B) + kron(A, A) where A: 2 x 2; B: 3 x 3",
    "ones(m*n) + ones(m*p)",
    "ones(2*n) + ones(3*n)",
])
def test_unequal_products_do_not_type(expr):
    with pytest.raises(MatcalcError, match="cannot add"):
        analyze(expr)


@pytest.mark.parametrize("expr, shape", [
    ("1 ./ x where x: n", ("n", 1)),
    ("s ./ X where s: scalar; X: m x n", ("m", "n")),
    ("X ./ s where s: scalar; X: m x n", ("m", "n")),
    ("sum(1 ./ x) where x: n", (1, 1)),
])
def test_a_scalar_divides_entrywise(expr, shape):
    assert analyze(expr).expr.shape == shape


def test_a_number_that_equals_a_product_stays_a_number():
    """2×3 ⊗ 3×2 is 6×6: C is 6×6, and unifying it again must not chase the product."""
    typed = analyze("tr(kron(A, B) C)", ["A: 2 x 3", "B: 3 x 2"])
    assert typed.names["C"].shape == (6, 6)
