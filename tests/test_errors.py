"""Bad input: a clear message with the column, never a traceback, never a hang."""
import subprocess
import sys

import pytest

from matcalc import MatcalcError, diff


@pytest.mark.parametrize("text, column", [
    ("x' +", 5), ("x + y where x: n; y: m", 3), ("a x", 3), ("x' A x )", 8), ("tr(x y')'", None),
    ("det(A) + x'", 8), ("A / (y y')", 3), ("x $ y", 3),
])
def test_errors_name_the_column(text, column):
    try:
        diff(text, wrt="x")
    except MatcalcError as e:
        assert e.column is not None
        if column is not None:
            assert e.column == column, e.render()
        rendered = e.render().splitlines()
        assert rendered[1].strip() == text and rendered[2].index("^") - 2 == e.column - 1
    else:
        assert column is None


def test_shape_error_names_operator_and_both_shapes():
    with pytest.raises(MatcalcError) as err:
        diff("x + y where x: n; y: m", wrt="x")
    assert err.value.message == "cannot add n×1 and m×1"


@pytest.mark.parametrize("text", ["(" * 5000 + "x" + ")" * 5000, "x" + "'" * 5000, "- " * 3000 + "x",
                                  "x + " * 10000 + "x", "tanh(" * 400 + "x" + ")" * 400])
def test_hostile_input_is_refused_or_handled_quickly(text):
    try:
        diff(text, wrt="x")
    except MatcalcError as e:
        assert e.message


def test_cli_reports_errors_with_a_caret_and_no_traceback():
    out = subprocess.run([sys.executable, "-m", "matcalc", "diff", "x' A x +", "--wrt", "x"],
                         capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert out.returncode == 1
    assert "column 9" in out.stderr and "^" in out.stderr and "Traceback" not in out.stderr


def test_pipe_output_is_one_line_that_parses_back():
    out = subprocess.run([sys.executable, "-m", "matcalc", "grad", "||W2 h - y||^2 where h = tanh(W1 x)",
                          "--wrt", "W1"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert out.returncode == 0 and out.stdout.count("\n") == 1
    from matcalc import analyze

    analyze(out.stdout.strip())


def test_a_gradient_that_only_a_scalar_variable_allows_says_so():
    """(1 - y)' log(1 - sigmoid(X w)) is a scalar only if w is one: not "this one is scalar"."""
    with pytest.raises(MatcalcError, match="no reading of the names makes this a scalar with w not a scalar"):
        diff("(1 - y)' log(1 - sigmoid(X w))", wrt="w", kind="grad")
