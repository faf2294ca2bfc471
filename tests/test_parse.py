"""The language as the parser reads it (SPEC §1): each form against a plainer spelling of
the same expression, and each malformed input against the error and column it gets."""

import pytest

from matcalc import MatcalcError
from matcalc.shapes import analyze


def same(a: str, b: str, declare=()) -> bool:
    """Two spellings of one expression give one IR node (nodes are interned)."""
    return analyze(a, declare).expr is analyze(b, declare).expr


@pytest.mark.parametrize("written, meaning", [
    # precedence: sums, products, unary minus, postfix
    ("a' x + b' x", "(a' x) + (b' x)"),
    ("-x' A x", "-(x' A x)"),
    ("A x .* y", "(A x) .* y"),
    ("x' A^-1 x", "x' (A^-1) x"),
    ("2x", "2 * x"),
    ("A*B x", "A B x"),
    ("A @ x", "A x"),
    # a number never takes the dot of an entrywise operator (MATLAB reads it so)
    ("2.*x", "2 .* x"),
    ("X^2.*X^2", "X^2 .* X^2"),
    ("A.^2.*B", "(A .^ 2) .* B"),
    ("x./2", "x ./ 2"),
    ("x.^.5", "x .^ 0.5"),
    ("0.5 x", "1/2 x"),
    ("1e-3 x", "1/1000 x"),
    # what a terminal prints reads back
    ("xᵀ A x", "x' A x"),
    ("‖x‖²", "||x||^2"),
    ("x' S⁻¹ x", "x' S^-1 x"),
    ("x' S⁻ᵀ x", "x' S^-T x"),
    ("tr(X³)", "tr(X^3)"),
    ("x ∘ y", "x .* y"),
    ("x ⊙ y", "x .* y"),
    ("A ⊗ B", "kron(A, B)"),
    # transposes and inverses in every spelling
    ("x^T", "x'"), ("x^⊤", "x'"), ("x^{T}", "x'"),
    ("A^{-1}", "A^-1"), ("A^{-T}", "A^-T"), ("A^(-1)", "inv(A)"),
    ("s^{1/3}", "s^(1/3)"),
    # symbolic exponents: a name, or any non-constant expression in braces or parentheses
    ("x .^ p", "x .^ (p)"),
    ("s^t", "s^{t}"),
    ("x .^ (2 p)", "x .^ {2 * p}"),
])
def test_a_form_means_what_its_plain_spelling_means(written, meaning):
    assert same(written, meaning)


@pytest.mark.parametrize("text, message, column", [
    ("1.2.3 x' x", "malformed number '1.2.3'", 1),
    ("x' x ./ 2.", "unexpected character '.'", 10),
    ("1e99999999 x' x", "too large", 1),
    ("x' 12345678901234567890123456789" + "0" * 300 + " x", "too large", 4),
    ("x' A x +", "unexpected end of input", 9),
    ("(x' A x", "unexpected end of input", 8),
    ("x' A x)", "unexpected ')'", 7),
    ("x $ y", "unexpected character '$'", 3),
    ("", "empty expression", 1),
    ("sum(x.2)", "malformed number '.2' right after 'x'", 6),
    ("2e x' x", "malformed number '2e'", 1),
    ("1e+ x' x", "malformed number '1e'", 1),
])
def test_malformed_input_is_refused_at_its_column(text, message, column):
    with pytest.raises(MatcalcError) as err:
        analyze(text)
    assert message in err.value.message
    assert err.value.column == column


@pytest.mark.parametrize("pasted, plain", [
    (r"\mathbf{x}^\top A \mathbf{x}", "x' A x"),
    (r"\operatorname{tr}(A X)", "tr(A X)"),
    (r"\log\det S", "logdet(S)"),
    (r"\frac{1}{N} \|X \mathbf{w} - \mathbf{y}\|_2^2", "1/N ||X w - y||^2"),
    (r"\left( \mathbf{x} - \boldsymbol{\mu} \right)^\top \Sigma^{-1} (\mathbf{x} - \bm{\mu})",
     "(x - mu)' Sigma^-1 (x - mu)"),
    (r"\sigma(W \mathbf{x}) \odot \mathbf{y}", "sigmoid(W x) .* y"),
    (r"A \otimes B", "kron(A, B)"),
    (r"\mathbf{x}^\intercal W_1 \mathbf{x}", "x' W1 x"),
    (r"\mathrm{A} \cdot \mathbf{x}_{i}", "A x_i"),
    (r"\mathbf{W}^{(2)} \tanh(\mathbf{W}^{(1)} \mathbf{x})", "W2 tanh(W1 x)"),   # layer indices
    (r"\mathbf{x}^{(i)} - \mathbf{x}^{[j]}", "x_i - x_j"),
    (r"2^{(3)} \mathbf{x}", "8 x"),                                                # a number has no layer
    (r"\log|\Sigma| + |A| + |\mathbf{x}|' y", "logdet(Sigma) + det(A) + abs(x)' y"),  # |Σ| is a determinant
    (r"\log(|\Sigma|)", "log(det(Sigma))"),
    (r"\sin^{-1}(x) + \cos^{-1} x", "arcsin(x) + arccos(x)"),
    (r"\sigma\!\left(\mathbf{w}^\top \mathbf{x}\right)", "sigmoid(w' x)"),
    (r"\sigma \cdot (x + y)", "sigma (x + y)"),
    (r"\mathbf{1}^\top \exp(\mathbf{x})", "ones(n)' exp(x)"),                      # 𝟏 takes its size
])

def test_latex_pasted_from_a_paper_reads_as_its_plain_form(pasted, plain):
    assert same(pasted, plain)


def test_a_latex_error_points_into_the_latex():
    with pytest.raises(MatcalcError) as err:
        analyze(r"\mathbf{x}^\top A +")
    assert err.value.column == len(r"\mathbf{x}^\top A +") + 1
    with pytest.raises(MatcalcError) as err:
        analyze(r"x + \int y")
    assert "\\int" in err.value.message and err.value.column == 5


@pytest.mark.parametrize("plain", ["sigma (x + y)", "sigmoid(x + y)", "(a' x)^(1/3) b"])
def test_latex_that_matcalc_prints_reads_back(plain):
    from matcalc.printers.latex import to_latex

    e = analyze(plain).expr
    assert analyze(to_latex(e)).expr is e


@pytest.mark.parametrize("pasted, construct", [
    (r"\sigma (\mathbf{w}^\top \mathbf{x})", "before a parenthesis is ambiguous"),
    (r"\log^{-1} x", "ambiguous"),
])
def test_ambiguous_latex_is_refused(pasted, construct):
    with pytest.raises(MatcalcError, match=construct):
        analyze(pasted)
