"""Bounded work: exponents and sizes are used as numbers, never walked; where the work
would still be unbounded, a clear error names the limit and how to raise it."""

from fractions import Fraction

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


@pytest.mark.parametrize("size, message", [("20000", "MATCALC_CHECK_MAX_SIZE"),
                                           ("123456789", "MATCALC_CHECK_MAX_SIZE"),
                                           ("12345678901234567890", "at most 9 digits")])
def test_check_refuses_a_size_it_cannot_sample(size, message):
    with pytest.raises(MatcalcError, match=message):
        check("x' x", wrt="x", declare=[f"x: {size}"])


# ------------------------------------------------------------------ through the command line

import time

from typer.testing import CliRunner

from matcalc.cli import app

DEEP_WHERE = "sum(h399) where h0 = tanh(W x); " + "; ".join(f"h{i} = tanh(W h{i - 1})" for i in range(1, 400))


def _cli(*args):
    """The result, and the processor seconds it took (what the budget counts: the
    machine's load does not move it)."""
    start = time.process_time()
    r = CliRunner().invoke(app, list(args), env={"MATCALC_TIMEOUT": "2"})
    return r, time.process_time() - start


@pytest.mark.parametrize("args, message", [
    (["diff", "1e99999999 x' x", "--wrt", "x"], "too large (at most 300 digits"),
    (["diff", "x' x " + "7" * 5000, "--wrt", "x"], "too large (at most 300 digits"),
    (["diff", "1e4300 x' x", "--wrt", "x"], "too large"),
    (["check", "x' x", "--wrt", "x", "-d", "x: 12345678901234567890"], "a dimension has at most 9 digits"),
    (["diff", "x' x", "--wrt", "x", "-d", "x: " + "9" * 4400], "a dimension has at most 9 digits"),
    (["diff", "x^(0^-1)", "--wrt", "x"], "division by zero"),
    (["check", "x^(10^10)", "--wrt", "x"], None),  # a float past its range decides nothing
    (["check", "x' x", "--wrt", "x", "-d", "x: 20000"], "MATCALC_CHECK_MAX_SIZE"),
    (["check", "tr(X^-1)", "--wrt", "X", "--kind", "hess", "-d", "X: 200 x 200"], "40000 × 40000 array"),
    (["check", "tr(kron(X, X))", "--wrt", "X", "-d", "X: 30 x 30"], "MATCALC_CHECK_MAX_SIZE"),
    (["hess", DEEP_WHERE, "--wrt", "x"], None),  # answered, or stopped by the budget
    (["diff", "a' A^1000 b", "--wrt", "A"], "MATCALC_MAX_POWER_TERMS"),
])
def test_a_hostile_input_ends_fast_with_a_message(args, message):
    r, seconds = _cli(*args)
    assert seconds < 3  # the 2 s budget, and the message
    assert r.exception is None or isinstance(r.exception, SystemExit)
    if message is None:
        assert r.exit_code == 0 or "MATCALC_TIMEOUT" in r.stderr
    else:
        assert r.exit_code == 1 and message in r.stderr
        assert "internal error" not in r.stderr and "Traceback" not in r.output


@pytest.mark.parametrize("expr, printed", [
    ("x^(10^(10^10))", "10^10000000000 x^(10^10000000000 - 1)"),
    ("x .^ (10^(10^10))", "10^10000000000 diag(x .^ (10^10000000000 - 1))"),
])
def test_a_tower_of_powers_is_a_number_not_a_loop(expr, printed):
    r, seconds = _cli("diff", expr, "--wrt", "x")
    assert (r.exit_code, r.stdout.strip()) == (0, printed) and seconds < 3


@pytest.mark.parametrize("name", ["MATCALC_MAX_REWRITES", "MATCALC_MAX_POWER_TERMS", "MATCALC_CHECK_MAX_SIZE",
                                  "MATCALC_EXACT_MAX_SIZE"])
def test_a_limit_that_is_not_a_number_is_a_usage_error(name):
    import os
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "matcalc", "check", "x' A x", "--wrt", "x"], capture_output=True,
                         text=True, stdin=subprocess.DEVNULL, env={**os.environ, name: "lots"})
    assert out.returncode == 2 and f"{name} must be a whole number" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("line", ['{"expr": "\\ud800"}', "[" * 100_000 + "]" * 100_000, '{"a":' * 50_000,
                                  '{"expr": "x\' x", "n": ' + "9" * 100_000 + "}"])
def test_a_hostile_json_line_is_a_bad_line(line):
    from typer.testing import CliRunner

    from matcalc.cli import app

    out = CliRunner().invoke(app, ["diff", "-i", "json", "-f", "json"], input=line + "\n")
    assert out.exit_code == 1 and out.exception is None or isinstance(out.exception, SystemExit), out.output
    assert '"error"' in out.stdout and "Traceback" not in out.output


def test_a_number_in_latex_braces_is_one_number():
    """x^{1e301} is the number 1e301 (too large), never 1 times a name e301."""
    with pytest.raises(MatcalcError, match="too large"):
        diff("x^{1e301}", wrt="x")
    assert diff("x^{2e3}", wrt="x").derivative == "2000 x^1999"


def test_a_wrong_hessian_still_disagrees_and_a_steep_right_one_agrees(monkeypatch):
    """Hessian differences are trusted only as far as two step sizes agree: exp(det(A²)) s
    (steep; it had read as DISAGREES) agrees, and a Hessian off by 1 % still disagrees."""
    from matcalc import algebra, derive

    assert check("exp(det(A A)) s", wrt="A", kind="hess")["verdict"] == "agrees"
    real = derive.finish
    monkeypatch.setattr(derive, "finish", lambda e, *a, **k: real(algebra.mul(algebra.const(Fraction(101, 100)), e), *a, **k))
    assert check("sum(exp(x)) + x' A x", wrt="x", kind="hess")["verdict"] == "disagrees"


def test_check_says_how_it_read_the_input():
    """A check of an input read with notes says so: on standard error, and as JSON "notes"."""
    from typer.testing import CliRunner

    from matcalc.cli import app

    out = CliRunner().invoke(app, ["check", "x - mu", "--wrt", "x"])
    assert "note: mu: taken as a vector" in out.stderr
    assert check("x - mu", wrt="x")["notes"]


def test_a_singular_draw_decides_nothing():
    """X' X of a wide X is singular to working precision: its inverse is noise, so the
    check is inconclusive there (never DISAGREES), and agrees where X is tall."""
    assert check("(X' X)^-1 X' y", wrt="y", kind="jac")["verdict"] == "inconclusive"
    assert check("(X' X)^-1 X' y", wrt="y", kind="jac", declare=["X: 5 x 3"])["verdict"] == "agrees"
