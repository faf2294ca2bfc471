"""Typing as SPEC §2 states it: spelling gives a preference, the operators give constraints,
and a preference given up is said in a note; what cannot be decided is asked for."""

import pytest

from matcalc import MatcalcError
from matcalc.shapes import analyze


def shapes_of(text, declare=()):
    typed = analyze(text, declare)
    return {name: s.shape for name, s in typed.names.items()}, typed.notes


def kind(shape):
    r, c = shape
    return "scalar" if (r, c) == (1, 1) else "vector" if c == 1 else "row" if r == 1 else "matrix"


# the SPEC §2 table, and the forms of statistics and ML papers, undeclared
@pytest.mark.parametrize("text, kinds, noted", [
    ("x - mu", {"x": "vector", "mu": "vector"}, {"mu"}),
    ("x' A x + c", {"x": "vector", "A": "matrix", "c": "scalar"}, {"c"}),
    ("W x + bias", {"W": "matrix", "x": "vector", "bias": "vector"}, {"bias"}),
    ("||y - X beta||^2", {"y": "vector", "X": "matrix", "beta": "vector"}, {"beta"}),
    ("logdet(Sigma)", {"Sigma": "matrix"}, set()),
    ("tr(Sigma)", {"Sigma": "matrix"}, set()),
    ("theta' x", {"theta": "vector", "x": "vector"}, {"theta"}),
    ("alpha x", {"alpha": "scalar", "x": "vector"}, set()),
    ("lambda ||w||^2", {"lambda": "scalar", "w": "vector"}, set()),
    ("1/N ||X W - y||^2", {"N": "scalar", "X": "matrix", "W": "vector", "y": "vector"}, {"N", "W"}),
    ("x' Σ x", {"x": "vector", "Σ": "matrix"}, set()),
    ("x' Lambda x", {"x": "vector", "Lambda": "matrix"}, set()),
    ("-1/2 (x - mu)' inv(Sigma) (x - mu) - 1/2 logdet(Sigma)",
     {"x": "vector", "mu": "vector", "Sigma": "matrix"}, {"mu"}),
    ("||y - X beta||^2 + lambda ||beta||^2",
     {"y": "vector", "X": "matrix", "beta": "vector", "lambda": "scalar"}, {"beta"}),
    ("||W2 tanh(W1 x + b1) + b2 - y||^2",
     {"W2": "matrix", "W1": "matrix", "x": "vector", "b1": "vector", "b2": "vector", "y": "vector"}, set()),
    ("sum(log(sigmoid(y .* (X w))))", {"y": "vector", "X": "matrix", "w": "vector"}, set()),
])
def test_undeclared_names_are_typed_as_a_person_expects(text, kinds, noted):
    shapes, notes = shapes_of(text)
    assert {n: kind(s) for n, s in shapes.items()} == kinds
    assert {note.split(":")[0] for note in notes} == noted


@pytest.mark.parametrize("text, note", [
    ("sum(log(x + 1))", "x: taken as a scalar, not a vector (a number is added to it)"),
    ("tr(x)", "x: taken as an n×n matrix, not a vector (the argument of tr)"),
    ("sum(x .^ p)", "p: taken as a scalar, not a vector (it is an exponent)"),
    ("X W - y", "W: an m×1 matrix, a single column"),
])
def test_a_forced_kind_is_said_too(text, note):
    assert note in shapes_of(text)[1]


@pytest.mark.parametrize("text, note", [
    ("A^0.5 x", "A: taken as a scalar, not a matrix"),
    ("-N/2 logdet(Sigma) - 1/2 tr(Sigma^-1 S)", "N: taken as a scalar, not a matrix"),
])
def test_an_uppercase_name_is_a_scalar_only_as_the_last_resort_and_says_so(text, note):
    assert any(n.startswith(note) for n in shapes_of(text)[1])


def test_a_gradient_asks_for_a_scalar_and_the_typing_obeys():
    """N of the Gaussian is a count: the scalar reading is the one that gives a gradient."""
    from matcalc import grad

    r = grad(r"-\frac{N}{2}\log|\Sigma| - \frac12 (x-\mu)^\top\Sigma^{-1}(x-\mu)", wrt="Sigma")
    assert r.variables["N"]["shape"] == [] and r.variables["x"]["shape"] == ["n"]
    with pytest.raises(MatcalcError, match="needs a scalar expression, and this one is n×1"):
        grad("x - mu", wrt="x")


def test_a_note_says_what_was_given_up_and_why():
    _, notes = shapes_of("||y - X beta||^2")
    assert notes == ["beta: taken as a vector of length m, not a scalar (X beta must be n×1)"] or \
        notes[0].startswith("beta: taken as a vector")


def test_a_declaration_silences_the_note():
    shapes, notes = shapes_of("x - mu", ["mu: n"])
    assert notes == []


@pytest.mark.parametrize("decl, message", [
    ("A: symetric", "symetric"),
    ("A: n x", "n x"),
    ("A: 0", "0"),
])
def test_a_bad_declaration_is_an_error(decl, message):
    with pytest.raises(MatcalcError) as err:
        analyze("x' A x", [decl])
    assert message in err.value.message


def test_an_unused_declaration_gets_a_note():
    _, notes = shapes_of("x' A x", ["B: n x n"])
    assert any(note.startswith("B:") and "not used" in note for note in notes)


@pytest.mark.parametrize("text, culprit", [
    ("sum(sigmoud(x))", "sigmoud"),
    ("arcsinn(x)", "arcsinn"),
    ("trce(A X)", "trce"),
    ("foo(x)", "foo"),
    ("expm(X)", "expm"),
])
def test_an_unknown_function_is_named(text, culprit):
    with pytest.raises(MatcalcError) as err:
        analyze(text)
    assert culprit in err.value.message


def test_the_nearest_function_is_suggested():
    with pytest.raises(MatcalcError) as err:
        analyze("sum(sigmoud(x))")
    assert "did you mean sigmoid" in err.value.message
    assert "a (x + y)" in err.value.message or "*" in err.value.message


@pytest.mark.parametrize("text, meaning", [
    ("trace(A X)", "tr(A X)"),
    ("ln(x)", "log(x)"),
    ("norm(x)", "norm2(x)"),
    ("a (x + y)", "a * (x + y)"),
])
def test_aliases_and_products(text, meaning):
    assert analyze(text).expr is analyze(meaning).expr


@pytest.mark.parametrize("text", [
    "sum(y) where y = x; y = 2 x",
    "sum(h) where h = h + x",
])
def test_a_definition_is_made_once_and_not_of_itself(text):
    with pytest.raises(MatcalcError):
        analyze(text)


def test_notes_reach_json_and_stderr_but_never_stdout():
    import json
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "matcalc", "grad", "||y - X beta||^2", "--wrt", "beta"]
    text = subprocess.run(cmd, capture_output=True, text=True)
    assert text.stdout.strip() == "-2 X' (y - X beta)"
    assert text.stderr.startswith("note: beta: taken as a vector of length m")
    as_json = json.loads(subprocess.run(cmd + ["-f", "json"], capture_output=True, text=True).stdout)
    assert as_json["notes"][0].startswith("beta: taken as a vector")
    plain = json.loads(subprocess.run(cmd[:4] + ["x' A x", "--wrt", "x", "-f", "json"],
                                      capture_output=True, text=True).stdout)
    assert "notes" not in plain


@pytest.mark.parametrize("text, note", [
    ("Ax + A x", "Ax: one name; for a product write A x with spaces"),
    ("||XW - y||^2 + ||X' y||^2 + sum(W)", "XW: one name; for a product write X W with spaces"),
    ("sigma A x", "sigma: a scalar multiplying the matrix A; an uppercase name (Sigma) would be a matrix"),
    ("x'Ax", "Ax: one name; for a product write A x with spaces"),
    ("e^x", "e: a variable here; for Euler's number write exp(...)"),
    ("sum_i x_i", "sum_i: one name, not a call of sum; write sum(i) for that"),
    ("logdetA + tr(A)", "logdetA: one name, not a call of logdet; write logdet(A) for that"),
    ("logS", "logS: one name, not a call of log; write log(S) for that"),
    ("s^-1/2", "^-1/2 reads as a power, then a division; for a fractional power write ^(-1/2)"),
    ("x' beta", "beta: a scalar multiplying what stands before it; if it is a vector, declare its length (beta: n)"),
    ("y' X beta", "beta: a scalar multiplying what stands before it; if it is a vector, declare its length (beta: n)"),
])
def test_readings_that_may_surprise_get_a_note(text, note):
    assert note in shapes_of(text)[1]


@pytest.mark.parametrize("text, column", [("x/0", 2), ("x ./ 0", 3), ("x' x / (2 - 2)", 6)])
def test_division_by_zero_is_an_error(text, column):
    with pytest.raises(MatcalcError) as err:
        analyze(text)
    assert err.value.message == "division by zero" and err.value.column == column


@pytest.mark.parametrize("text, message", [
    ("tr A", "tr needs its argument in parentheses: tr(...)"),
    ("sigmoid x", "sigmoid needs its argument in parentheses: sigmoid(...)"),
])
def test_a_function_without_parentheses_is_named(text, message):
    with pytest.raises(MatcalcError) as err:
        analyze(text)
    assert err.value.message == message


def test_the_one_norm_as_papers_write_it():
    assert analyze("||x||_1").expr is analyze("norm1(x)").expr


def test_the_ones_vector_takes_its_length_from_the_expression():
    assert analyze("𝟙' x").expr is analyze("ones(n)' x").expr


def test_a_definition_not_used_is_noted_and_a_constant_one_is_not_folded():
    from matcalc import grad

    r = grad("||W2 h - y||^2 where hh = tanh(W1 x)", wrt="W1")
    assert "hh: defined but not used in the expression" in r.notes
    assert grad("x' x where k = 2", wrt="x").derivative == "2 x"


def test_entrywise_division_by_a_folded_zero_is_an_error():
    with pytest.raises(MatcalcError, match="division by zero"):
        analyze("sum(x ./ (x - x))")
