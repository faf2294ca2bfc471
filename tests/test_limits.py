"""Bounded work: exponents and sizes are used as numbers, never walked; where the work
would still be unbounded, a clear error names the limit and how to raise it."""

import pytest

from matcalc import MatcalcError, diff
from matcalc.check import check


@pytest.mark.parametrize("expr, wrt, printed", [
    ("tr(A^999999999)", "A", "999999999 (A')^999999998"),      # the trace's G = I: one term
    ("2^999999999 x' x", "x", "2 2^999999999 x"),               # a huge power of a number stays a power
    ("sum(x .^ 99999999999)", "x", "99999999999 x .^ 99999999998"),
])
def test_a_large_exponent_is_a_number_not_a_loop(expr, wrt, printed):
    assert diff(expr, wrt=wrt).derivative == printed


def test_a_matrix_power_whose_derivative_needs_its_terms_names_the_limit():
    with pytest.raises(MatcalcError, match="MATCALC_MAX_POWER_TERMS"):
        diff("a' A^1000 b", wrt="A")


@pytest.mark.parametrize("expr, message", [
    ("1e99999999 x' x", "too large"),
    ("x' x 1" + "0" * 400, "too large"),
])
def test_a_huge_literal_is_refused(expr, message):
    with pytest.raises(MatcalcError, match=message):
        diff(expr, wrt="x")


@pytest.mark.parametrize("size", ["20000", "12345678901234567890"])
def test_check_refuses_a_size_it_cannot_sample(size):
    with pytest.raises(MatcalcError, match="MATCALC_CHECK_MAX_SIZE"):
        check("x' x", wrt="x", declare=[f"x: {size}"])
