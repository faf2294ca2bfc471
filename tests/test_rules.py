"""Every differentiation rule, checked against central finite differences.

Each row names the construct it exercises; dimensions are all different (2, 3, 4, ...)
so that a missing transpose cannot hide. `check` evaluates the derivative's numpy
form on random inputs that respect the declarations.
"""
import pytest

from matcalc.check import check
from matcalc.report import IDENTITIES, rules_table

GRADIENTS = [
    # sums, products, transposes
    ("a' (x + y)", "x"), ("a' x", "x"), ("x' a", "x"), ("x' x", "x"), ("x' A x", "x"), ("a' X b", "X"),
    ("x' A' B x", "x"), ("tr(A X B)", "X"), ("tr(X' A X)", "X"), ("tr(X A X')", "X"), ("tr(X X)", "X"),
    ("tr(X' X)", "X"), ("alpha x' x", "alpha"), ("alpha x' x", "x"), ("(a' x) (b' x)", "x"),
    ("1/N ||X w - y||^2", "w"), ("1/N ||X w - y||^2", "X"), ("||X w - y||^2 + lambda ||w||^2", "w"),
    # inverses, determinants, powers
    ("tr(X^-1)", "X"), ("tr(A X^-1 B)", "X"), ("a' X^-1 b", "X"), ("det(X)", "X"), ("logdet(X)", "X"),
    ("det(A X B)", "X"), ("tr(X^3)", "X"), ("a' X^2 b", "X"), ("x' X^-T y", "X"), ("det(X)^2", "X"),
    ("(x' x)^(1/2)", "x"), ("(x' A x)^-1", "x"), ("alpha^3 + 1/alpha", "alpha"),
    # entrywise functions and Hadamard products
    ("sum(exp(x))", "x"), ("sum(log(x))", "x"), ("a' sin(x)", "x"), ("a' cos(x)", "x"), ("a' tan(x)", "x"),
    ("a' tanh(W x)", "W"), ("a' sqrt(x)", "x"), ("a' abs(x)", "x"), ("a' sigmoid(x)", "x"),
    ("sum(softplus(X))", "X"), ("a' relu(x)", "x"), ("sum(x .* y .* x)", "x"), ("sum(x ./ y)", "y"),
    ("sum(x .^ 3)", "x"), ("sum(X .* X)", "X"), ("a' (x .^ (1/2))", "x"), ("sum(exp(A X B))", "X"),
    # other matrix functions
    ("sum(X)", "X"), ("sum(A X)", "X"), ("||X||", "X"), ("||x||_2", "x"), ("norm2(A x)", "x"),
    ("tr(diag(x) A)", "x"), ("a' diag(X)", "X"), ("sum(diag(x) A diag(x))", "x"),
    ("logsumexp(W x)", "W"), ("a' softmax(x)", "x"), ("-y' log(softmax(W x))", "W"),
    ("sum(kron(A, B) x)", "x"),
    # definitions, shared subexpressions
    ("||W2 h - y||^2 where h = tanh(W1 x)", "W1"), ("||W2 h - y||^2 where h = tanh(W1 x)", "x"),
    ("sum(h .* h) where h = sigmoid(W x); g = h", "W"),
    ("a' exp(x) exp(b' x)", "x"), ("sum(softplus(-y .* (X w)))", "w"),
]


@pytest.mark.parametrize("expr, wrt", GRADIENTS)
def test_gradient_matches_finite_differences(expr, wrt):
    report = check(expr, wrt=wrt, kind="grad")
    assert report["ok"], report


JACOBIANS = [
    ("A x + b", "x"), ("tanh(W x)", "x"), ("tanh(W x)", "W"), ("A X B", "X"), ("X'", "X"), ("X^-1", "X"),
    ("X X", "X"), ("x .* y", "x"), ("softmax(x)", "x"), ("exp(X)", "X"), ("x x' a", "x"),
    ("(x' x) x", "x"), ("X a", "X"), ("kron(A, B) x", "x"), ("sigmoid(W2 tanh(W1 x))", "x"),
]


@pytest.mark.parametrize("expr, wrt", JACOBIANS)
@pytest.mark.parametrize("layout", ["denominator", "numerator"])
def test_jacobian_matches_finite_differences(expr, wrt, layout):
    assert check(expr, wrt=wrt, kind="diff", layout=layout)["ok"]
    assert check(expr, wrt=wrt, kind="jac", layout=layout)["ok"]


HESSIANS = [
    ("x' A x", "x"), ("a' x x' b", "x"), ("sum(exp(x))", "x"), ("logsumexp(x)", "x"), ("sigmoid(w' x)", "w"),
    ("||X w - y||^2", "w"), ("tr(X' A X)", "X"), ("tr(X X)", "X"), ("logdet(X)", "X"), ("x' x / (a' x)", "x"),
    ("alpha^4", "alpha"), ("exp(alpha) x' x", "alpha"),
]


@pytest.mark.parametrize("expr, wrt", HESSIANS)
def test_hessian_matches_finite_differences(expr, wrt):
    assert check(expr, wrt=wrt, kind="hess")["ok"]


BY_A_SCALAR = [
    ("exp(alpha) x", "alpha"), ("(A + alpha B)^-1", "alpha"), ("alpha^2 X X'", "alpha"), ("tanh(alpha x)", "alpha"),
    ("kron(alpha A, B)", "alpha"), ("det(A + alpha I)", "alpha"),
]


@pytest.mark.parametrize("expr, wrt", BY_A_SCALAR)
def test_derivative_by_a_scalar(expr, wrt):
    assert check(expr, wrt=wrt)["ok"]


SYMMETRIC = [("tr(A X)", "X"), ("logdet(X)", "X"), ("a' X b", "X"), ("det(X)", "X"), ("tr(X X)", "X")]


@pytest.mark.parametrize("expr, wrt", SYMMETRIC)
def test_symmetric_variable_gets_sym_of_the_gradient(expr, wrt):
    assert check(expr, wrt=wrt, declare=[f"{wrt}: symmetric"])["ok"]


TABLE = rules_table()


@pytest.mark.parametrize("row", TABLE, ids=[f"{r['kind']} {r['name']}" for r in TABLE])
def test_every_row_of_matcalc_rules_is_verified(row):
    """`matcalc rules` shows a worked example per row: printed as stated, and right."""
    from matcalc import diff

    ex = row["example"]
    assert diff(ex["expression"], wrt=ex["wrt"], kind=ex["command"]).derivative == ex["result"]
    assert check(ex["expression"], wrt=ex["wrt"], kind=ex["command"])["ok"]


def test_the_rules_table_covers_the_engine_and_the_cheat_sheet():
    from matcalc import rules

    kinds = [r["kind"] for r in TABLE]
    refused = [t.__name__ for t, r in rules.RULES.items() if isinstance(r.vjp, rules.Refused)]
    assert refused == []  # every node has a reverse rule, kron and vec included
    assert kinds.count("differential") == len(rules.RULES) + 1  # plus log-softmax
    assert kinds.count("reverse") == len(rules.RULES) - len(refused) + 2  # plus ‖a‖² and log-softmax
    assert kinds.count("entrywise") == len(rules.FPRIME)
    assert kinds.count("identity") == len(IDENTITIES)


@pytest.mark.parametrize("expr, wrt, kind, printed", [
    ("x' X X X^-1 x", "x", "grad", "(X + X') x"),        # A A A⁻¹ = A, whatever the order of merging
    ("tr(X^-1 X^-1 X^3)", "X", "grad", "eye(n)"),
    ("X^-1 X^2", "X", "jac", "eye(n*n)"),
    ("tr(X X X)", "X", "grad", "3 (X')^2"),
    ("y' ones(m, n) x", "x", "grad", "ones(n, m) y"),   # a block of ones is not a row: no sum()
    ("y' ones(n)", "y", "grad", "ones(n)"),
    ("(a' x) sum(y)", "x", "grad", "sum(y) a"),
])
def test_chain_rewrites_keep_shapes_and_values(expr, wrt, kind, printed):
    from matcalc import diff

    assert diff(expr, wrt=wrt, kind=kind).derivative == printed
    assert check(expr, wrt=wrt, kind=kind)["ok"]


@pytest.mark.parametrize("expr, wrt", [
    ("sum(log(X))", "X"), ("sum(sqrt(X))", "X"), ("tr(X .^ p)", "X"), ("logdet(X)", "X"),
    ("det(X)^(1/2)", "X"), ("(x' A x)^(1/2)", "x"),
])
def test_the_oracle_draws_inputs_inside_the_domain(expr, wrt):
    """Entrywise log of a matrix asks for positive entries, logdet for a positive definite
    matrix: a correct derivative is never reported as disagreeing."""
    assert check(expr, wrt=wrt)["ok"]


def test_the_oracle_says_inconclusive_rather_than_disagrees():
    """X' X of a 2×3 X is singular whatever is drawn: nothing is decided, nothing is wrong."""
    report = check("logdet(X' X)", wrt="X")
    assert report["verdict"] == "inconclusive" and not report["ok"] and report["max_error"] is None


@pytest.mark.parametrize("expr, wrt, kind, printed", [
    ("log(sum(exp(W x)))", "W", "grad", "softmax(W x) x'"),                      # logsumexp
    ("exp(x)/sum(exp(x))", "x", "jac", "diag(softmax(x)) - softmax(x) softmax(x)'"),  # softmax
    ("x' A x - 2 x' b", "x", "grad", "(A + A') x - 2 b"),                       # a sum of rows, transposed
    ("x' A x / (x' x)", "x", "grad", "((A + A') x - 2 (x' A x)/s1 x)/s1 where s1 = x' x"),  # one denominator
])
def test_named_identities_write_results_as_an_author_would(expr, wrt, kind, printed):
    from matcalc import diff

    assert diff(expr, wrt=wrt, kind=kind).derivative == printed
    assert check(expr, wrt=wrt, kind=kind)["ok"]
