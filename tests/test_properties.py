"""Property tests: random well-typed expressions, their derivatives checked
numerically, and every printed form read back to the same expression."""
import os

from hypothesis import HealthCheck, given, settings, strategies as st

from matcalc import analyze, diff
from matcalc.check import check

DECLS = ["x: n; y: n; A: n x n; B: n x n; s: scalar"]
LEAVES = {"vec": ["x", "y"], "mat": ["A", "B"], "scal": ["s"]}


def typed_expr(kind: str, depth: int):
    """A strategy for expressions of one kind: scalar, vector or square matrix."""
    leaf = st.sampled_from(LEAVES[kind])
    if depth == 0:
        return leaf
    vec, mat, scal = (typed_expr(k, depth - 1) for k in ("vec", "mat", "scal"))
    options = {
        "vec": [
            st.builds("({} {})".format, mat, vec), st.builds("({} + {})".format, vec, vec),
            st.builds("({} - {})".format, vec, vec), st.builds("({} {})".format, scal, vec),
            st.builds("tanh({})".format, vec), st.builds("sigmoid({})".format, vec),
            st.builds("({} .* {})".format, vec, vec), st.builds("({}' {})".format, mat, vec),
            st.builds("softmax({})".format, vec), st.builds("diag({})".format, mat),
            st.builds("arctan({})".format, vec), st.builds("(sigmoid({}) .^ tanh({}))".format, vec, scal),
            st.builds("log_softmax({})".format, vec),
        ],
        "mat": [
            st.builds("({} {})".format, mat, mat), st.builds("({} + {})".format, mat, mat),
            st.builds("{}'".format, mat), st.builds("({} {}')".format, vec, vec),
            st.builds("({} {})".format, scal, mat), st.builds("({} .* {})".format, mat, mat),
            st.builds("exp({})".format, mat), st.builds("diag({})".format, vec),
        ],
        "scal": [
            st.builds("({}' {})".format, vec, vec), st.builds("tr({})".format, mat),
            st.builds("sum({})".format, vec), st.builds("({} {})".format, scal, scal),
            st.builds("||{}||^2".format, vec), st.builds("exp({})".format, scal),
            st.builds("({} + {})".format, scal, scal), st.builds("({}' {} {})".format, vec, mat, vec),
            st.builds("logsumexp({})".format, vec), st.builds("sin({})".format, scal),
            st.builds("norm1({})".format, vec), st.builds("(sigmoid({})^tanh({}))".format, scal, scal),
        ],
    }[kind]
    return st.one_of(leaf, *options)


# In CI the examples are the same every run, so that one unlucky seed cannot turn it red;
# by hand they vary, which is how new cases are found.
settings.register_profile("matcalc", deadline=None, suppress_health_check=[HealthCheck.too_slow],
                          derandomize=bool(os.environ.get("CI")))
settings.load_profile("matcalc")


@given(expr=typed_expr("scal", 3), wrt=st.sampled_from(["x", "A", "s"]))
@settings(max_examples=60)
def test_gradients_of_random_expressions_match_finite_differences(expr, wrt):
    if wrt not in analyze(expr, DECLS).names:
        return
    report = check(expr, wrt=wrt, declare=DECLS, trials=2)
    assert report["ok"], report


@given(expr=typed_expr("vec", 2))
@settings(max_examples=30)
def test_jacobians_of_random_expressions_match_finite_differences(expr):
    if "x" not in analyze(expr, DECLS).names:
        return
    assert check(expr, wrt="x", kind="jac", declare=DECLS, trials=1)["ok"]


@given(expr=typed_expr("scal", 2))
@settings(max_examples=25)
def test_hessians_of_random_expressions_match_finite_differences(expr):
    if "x" not in analyze(expr, DECLS).names:
        return
    assert check(expr, wrt="x", kind="hess", declare=DECLS, trials=1)["ok"]


@given(expr=st.one_of(typed_expr("scal", 3), typed_expr("vec", 3), typed_expr("mat", 3)))
@settings(max_examples=100)
def test_text_round_trip(expr):
    """print(parse(e)) parses back to the very same expression."""
    from matcalc.printers.text import to_text_where

    e = analyze(expr, DECLS).expr
    assert analyze(to_text_where(e), DECLS).expr is e


@given(expr=typed_expr("scal", 3), wrt=st.sampled_from(["x", "A"]))
@settings(max_examples=60)
def test_derivatives_print_in_the_input_language(expr, wrt):
    """A derivative's one-line text parses back to the same derivative."""
    from matcalc.printers.text import to_text_where

    typed = analyze(expr, DECLS)
    if wrt not in typed.names:
        return
    r = diff(expr, wrt=wrt, declare=DECLS)
    back = analyze(r.derivative, DECLS)
    if back.expr.shape == r.derivation.result.shape:  # a lone `I` takes a size of its own
        assert back.expr is r.derivation.result, (r.derivative, back.expr)
    assert to_text_where(back.expr) == r.derivative


@given(expr=st.one_of(typed_expr("scal", 3), typed_expr("vec", 3), typed_expr("mat", 3)))
@settings(max_examples=100)
def test_what_the_terminal_and_latex_print_reads_back(expr):
    """The Unicode text and the LaTeX of an expression parse back to the same expression."""
    from matcalc.printers.latex import to_latex
    from matcalc.printers.text import to_text_where

    e = analyze(expr, DECLS).expr
    assert analyze(to_text_where(e, unicode=True), DECLS).expr is e
    assert analyze(to_latex(e), DECLS).expr is e


@given(expr=typed_expr("scal", 3), wrt=st.sampled_from(["x", "A"]))
@settings(max_examples=40)
def test_derivatives_read_back_from_every_printed_form(expr, wrt):
    from matcalc.printers.text import to_text_where

    if wrt not in analyze(expr, DECLS).names:
        return
    r = diff(expr, wrt=wrt, declare=DECLS)
    e = r.derivation.result
    for printed in (r.derivative, to_text_where(e, unicode=True), r.latex):
        back = analyze(printed, DECLS).expr
        if back.shape == e.shape:  # a lone `I` takes a size of its own
            assert back is e, printed


@given(expr=st.one_of(typed_expr("scal", 2), typed_expr("vec", 2)), wrt=st.sampled_from(["x", "A"]),
       layout=st.sampled_from(["denominator", "numerator"]))
@settings(max_examples=40)
def test_both_layouts_of_random_expressions_match_finite_differences(expr, wrt, layout):
    if wrt not in analyze(expr, DECLS).names:
        return
    assert check(expr, wrt=wrt, layout=layout, declare=DECLS, trials=1)["ok"]


# ------------------------------------------------------------------ every construct

WIDE_EXAMPLES = int(os.environ.get("MATCALC_FUZZ_WELL_TYPED", 160))


def every_construct(kind: str, depth: int):
    """Random well-typed expressions over every construct of the language: each
    function (arcsin, arccos and arctan too), norms and norm1, log_softmax, symbolic
    exponents a^b, x .^ p and 2^s, inverses, powers, kron, Unicode operators."""
    leaf = st.sampled_from(LEAVES[kind])
    if depth == 0:
        return leaf
    vec, mat, scal = (every_construct(k, depth - 1) for k in ("vec", "mat", "scal"))
    vleaf, sleaf, mleaf = (st.sampled_from(LEAVES[k]) for k in ("vec", "scal", "mat"))
    f = "{}({})".format
    options = {
        "vec": [
            st.builds("({} {})".format, mat, vec), st.builds("({} + {})".format, vec, vec),
            st.builds("({} - {})".format, vec, vec), st.builds("({} {})".format, scal, vec),
            st.builds("({} ∘ {})".format, vec, vec), st.builds("({} ./ exp({}))".format, vec, vec),
            st.builds("({}ᵀ {})".format, mat, vec), st.builds("({} / exp({}))".format, vec, scal),
            st.builds(f, st.sampled_from(["tanh", "sigmoid", "softmax", "log_softmax", "arctan", "sin", "cos",
                                          "softplus", "exp"]), vec),
            st.builds("arcsin({})".format, vleaf), st.builds("arccos({})".format, vleaf),
            st.builds("sqrt(exp({}))".format, vec), st.builds("log(sigmoid({}))".format, vec),
            st.builds("({} .^ {})".format, vleaf, sleaf), st.builds("({} .^ 3)".format, vec),
            st.builds("diag({})".format, mat), st.builds("({}⁻¹ {})".format, mleaf, vec),
        ],
        "mat": [
            st.builds("({} {})".format, mat, mat), st.builds("({} + {})".format, mat, mat),
            st.builds("{}'".format, mat), st.builds("({} {}')".format, vec, vec),
            st.builds("({} {})".format, scal, mat), st.builds("({} .* {})".format, mat, mat),
            st.builds("exp({})".format, mat), st.builds("diag({})".format, vec), st.builds("inv({})".format, mleaf),
            st.builds("({}^2)".format, mat), st.builds("tanh({})".format, mat), st.builds("({}^-T)".format, mleaf),
        ],
        "scal": [
            st.builds("({}' {})".format, vec, vec), st.builds("tr({})".format, mat),
            st.builds("sum({})".format, vec), st.builds("({} {})".format, scal, scal),
            st.builds("||{}||^2".format, vec), st.builds("‖{}‖".format, vec), st.builds("||{}||_F".format, mat),
            st.builds("exp({})".format, scal), st.builds("({} - {})".format, scal, scal),
            st.builds("({}' {} {})".format, vec, mat, vec), st.builds("logsumexp({})".format, vec),
            st.builds("sin({})".format, scal), st.builds("norm1({})".format, vec),
            st.builds("(sigmoid({})^tanh({}))".format, scal, scal), st.builds("(2^{})".format, sleaf),
            st.builds("({}^{})".format, sleaf, sleaf), st.builds("det({} {})".format, mleaf, mleaf),  # det(x x') is 0, its rule's inverse undefined
            st.builds("logdet({})".format, mleaf), st.builds("sum(kron({}, {}))".format, vec, vec),
            st.builds("tr(kron({}, {}))".format, mleaf, mat), st.builds("({} / exp({}))".format, scal, scal),
            st.builds("arctan({})".format, scal), st.builds("softplus({})".format, scal),
        ],
    }[kind]
    return st.one_of(leaf, *options)


def _with_a_definition(kind: str):
    """Sometimes the body names a vector by a where-definition, h = ..."""
    return st.one_of(
        every_construct(kind, 3),
        st.builds("{} where h = {}".format, every_construct(kind, 2).map(lambda e: e.replace("y", "h", 1)),
                  every_construct("vec", 2)),
    )


@given(expr=_with_a_definition("scal"), wrt=st.sampled_from(["x", "A", "s"]),
       command=st.sampled_from(["grad", "hess", "diff"]), layout=st.sampled_from(["denominator", "numerator"]))
@settings(max_examples=WIDE_EXAMPLES)
def test_every_construct_in_a_scalar_expression_matches_finite_differences(expr, wrt, command, layout):
    _agrees(expr, wrt, command, layout)


@given(expr=_with_a_definition("vec"), wrt=st.sampled_from(["x", "A", "s"]),
       command=st.sampled_from(["jac", "diff"]), layout=st.sampled_from(["denominator", "numerator"]))
@settings(max_examples=WIDE_EXAMPLES // 2)
def test_every_construct_in_a_vector_expression_matches_finite_differences(expr, wrt, command, layout):
    _agrees(expr, wrt, command, layout)


def _agrees(expr, wrt, command, layout):
    """The derivative agrees with finite differences; a draw outside the domain may leave
    it undecided (never a disagreement)."""
    from matcalc import MatcalcError

    if wrt not in analyze(expr, DECLS).names:
        return
    try:
        report = check(expr, wrt=wrt, kind=command, layout=layout, declare=DECLS, trials=1)
    except MatcalcError as e:  # only refusals that say why they cannot, never a typing slip
        assert "refuse" in e.message or "vec" in e.message or "too large" in e.message, e.message
        return
    assert report["verdict"] != "disagrees", report


def test_hessian_checks_that_cried_wolf_agree():
    """Second differences lost their precision: near a small x (found by the fuzzer) and
    beside a large constant term (issue 12's det(W))."""
    assert check("‖arcsin(x)‖", wrt="x", kind="hess", trials=5)["verdict"] == "agrees"
    assert check("log(a) - det(W)", wrt="a", kind="hess", declare=["a: scalar; W: 6 x 6"],
                 trials=10)["verdict"] == "agrees"


def test_zeros_fold_everywhere_so_a_print_reads_back():
    """B9: ((A x)' diag((x - x)) x) printed as x' A' diag(zeros(n)) x, which read back as 0."""
    from matcalc.printers.text import to_text_where

    for expr, folded in [("((A x)' diag((x - x)) x)", "0"), ("diag(x - x) y", "zeros(n)"),
                         ("diag(A - A)", "zeros(n)"), ("diag(zeros(n))", "zeros(n, n)")]:
        e = analyze(expr, DECLS).expr
        assert to_text_where(e) == folded
        assert analyze(to_text_where(e), DECLS).expr is e


def test_a_zero_matrix_has_no_inverse():
    from matcalc import MatcalcError

    import pytest

    with pytest.raises(MatcalcError, match="cannot invert a zero matrix"):
        analyze("(A - A)^-1", DECLS)
