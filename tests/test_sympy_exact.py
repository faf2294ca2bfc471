"""`check --exact`: matcalc's derivative against SymPy's differentiation of the input at
random rational points, exact for rational expressions and to 50 digits otherwise.

The identity table is sampled (every sixth row, one draw each) to keep the suite quick;
MATCALC_EXACT_ALL=1 runs every row (330 rows: about a minute on one core)."""

import copy
import json
import os
import sys
from fractions import Fraction

import pytest
from typer.testing import CliRunner

import matcalc
from matcalc import Result, algebra, rules
from matcalc.cli import app
from matcalc.exact import check_exact, rational_inputs, verify

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from identities import IDENTITIES  # noqa: E402

ROWS = [r for r in IDENTITIES if not r.error]
SAMPLE = ROWS if os.environ.get("MATCALC_EXACT_ALL") else ROWS[::6]


def run(*args):
    return CliRunner().invoke(app, list(args), prog_name="matcalc")


@pytest.mark.parametrize("row", SAMPLE, ids=lambda r: r.id)
def test_every_identity_row_agrees_exactly(row):
    report = check_exact(row.expr, row.wrt, kind=row.command, layout=row.layout, declare=row.declare, trials=1)
    assert report["verdict"] == "agrees", report


@pytest.mark.parametrize("expr, wrt, arithmetic", [
    ("tr(A X^-1 B)", "X", "rational"),          # rational: exact equality, entry by entry
    ("logdet(X)", "X", "rational"),             # log det: its derivative is rational
    ("x' x / (a' x)", "x", "rational"),
    ("exp(x' A x)", "x", "50 digits"),          # transcendental: 50 digits
    ("norm2(X w - y)", "w", "50 digits"),
])
def test_rational_inputs_give_exact_arithmetic_where_they_can(expr, wrt, arithmetic):
    report = check_exact(expr, wrt)
    assert (report["verdict"], report["arithmetic"], report["trials"]) == ("agrees", arithmetic, 3)
    if arithmetic == "rational":
        assert report["max_error"] == 0


def wrong(result, e):
    """The result with its derivative replaced by e."""
    derivation = copy.copy(result.derivation)
    derivation.result = e
    return Result(result.input, result.layout, derivation, result.trace)


def test_a_derivative_off_by_one_part_in_ten_to_the_twenty_is_caught():
    """Finite differences cannot see this; exact arithmetic can."""
    r = matcalc.diff("tr(A X B)", wrt="X")
    off = algebra.mul(algebra.const(1 + Fraction(1, 10**20)), r.derivation.result)
    assert matcalc.check.check("tr(A X B)", wrt="X")["verdict"] == "agrees"
    report = verify(wrong(r, off))
    assert report["verdict"] == "disagrees" and report["arithmetic"] == "rational"
    assert report["mismatch"]["entry"] == [1, 1]


def test_a_transposed_derivative_is_caught():
    r = matcalc.diff("tr(A X B)", wrt="X", declare="X: n x n; A: n x n; B: n x n")
    report = verify(wrong(r, algebra.T(r.derivation.result)))
    assert report["verdict"] == "disagrees"


def test_a_wrong_rule_is_caught_through_the_command_line(monkeypatch):
    """tanh′ = 1 − tanh² replaced by 1 − tanh³: the 50-digit comparison says so, exit 1."""
    wrong_tanh = ("wrong", lambda u, a: rules._one_minus(algebra.hadpow(u, 3)), "")
    monkeypatch.setitem(rules.FPRIME, "tanh", wrong_tanh)
    out = run("check", "tanh(W x)", "--wrt", "x", "--exact")
    assert out.exit_code == 1
    assert "DISAGREES at n=2, m=3: entry (" in out.output and "SymPy's derivative of the input gives" in out.output


def test_a_hessian_and_a_symmetric_variable():
    assert check_exact("x' A x + (a' x)^3", "x", kind="hess")["arithmetic"] == "rational"
    # an inverse: second derivatives along single directions, by polarization
    report = check_exact("tr(inv(X)) + logdet(X)", "X", kind="hess", trials=1)
    assert (report["verdict"], report["arithmetic"]) == ("agrees", "rational")
    report = check_exact("logdet(S) + tr(S A S) where S: n x n symmetric", "S")
    assert report["verdict"] == "agrees"


def test_draws_are_rational_and_respect_the_domain():
    typed = matcalc.analyze("logdet(S) + sum(log(x)) where S: n x n symmetric; x: n")
    import numpy as np

    values = rational_inputs(typed, np.random.default_rng(0), {"n": 3})
    S, x = values["S"], values["x"]
    assert S == S.T and S.is_positive_definite
    assert all(v.is_Rational and v > 0 and (16 * v).is_Integer for v in x)


# ---------------------------------------------------------------- the command line

def test_the_command_line_says_how_it_agreed():
    out = run("check", "tr(A X B)", "--wrt", "X", "--exact")
    assert out.exit_code == 0
    assert out.output == "X: A' B'  agrees exactly at n=2, m=3, p=4 over 3 random rational inputs\n"
    out = run("check", "exp(x)' x", "--wrt", "x", "--exact", "--trials", "1")
    assert out.output.endswith("agrees to 50 digits at n=2 over 1 random rational inputs\n")


def test_json_carries_the_verdict_the_sizes_and_the_arithmetic():
    out = run("check", "logdet(X)", "--wrt", "X", "--exact", "--format", "json")
    report = json.loads(out.output)
    assert out.exit_code == 0
    assert report["exact"] is True and report["sizes"] == {"n": 2}
    assert (report["verdict"], report["ok"], report["arithmetic"], report["max_error"]) == ("agrees", True, "rational", 0)


def test_no_point_in_the_domain_is_inconclusive():
    out = run("check", "sqrt(-(x' x))", "--wrt", "x", "--exact")
    assert out.exit_code == 1
    assert "inconclusive" in out.output


def test_a_size_too_large_to_check_exactly_is_an_error():
    out = run("check", "log(x)", "--wrt", "x", "-d", "x: 40", "--exact")
    assert out.exit_code == 1
    assert "too large to check exactly" in out.output


def test_a_singular_size_is_tried_the_other_way_round():
    """X' X is singular for a 2×3 X: the sizes are swapped, and the check decides."""
    report = check_exact("logdet(X' X) where X: m x n", "X")
    assert report["verdict"] == "agrees" and report["sizes"] == {"m": 3, "n": 2}


def test_a_point_on_a_kink_decides_nothing():
    """x'y − y'x is 0 at every point: abs is not differentiable there (SymPy's Heaviside(0)
    is 1/2, matcalc's step(0) is 0), so no draw decides, rather than a false DISAGREES."""
    assert check_exact("abs(x' y - y' x)", "x")["verdict"] == "inconclusive"
