"""The simplifier's rewrites of issue 13 and its one-pass factoring, each checked as an
identity: the expression before and after, evaluated with NumPy on random inputs, agree;
and each fires where it should, giving the form an author writes.
"""

import numpy as np
import pytest

from matcalc import algebra, diff, ir, simplify
from matcalc.check import evaluate, random_inputs
from matcalc.printers.numpy import to_numpy
from matcalc.printers.text import to_text
from matcalc.shapes import analyze


def value(e, typed, values):
    return evaluate(to_numpy(e, typed.names), values)


def assert_same_value(before, after, typed, trials=3):
    rng = np.random.default_rng(13)
    for _ in range(trials):
        values = random_inputs(typed, rng)
        a, b = value(before, typed, values), value(after, typed, values)
        assert a.shape == b.shape and np.allclose(a, b, rtol=1e-9, atol=1e-12), (to_text(before), to_text(after))


def typed(text):
    return analyze(text)


# -- each rewrite on its own, as an identity ---------------------------------------------------

REWRITES = [
    # (input, the rewrite that must fire, the printed result)
    ("1 - (x' x)/(1 + x' x)", simplify._one_denominator, "1/(1 + x' x)"),
    ("a/(b' x) - (a' x)/(b' x)^2 b", simplify.factor, "(a - (a' x)/(b' x) b)/(b' x)"),
    ("A x + A' x - (c' x)/(b' x) B x - (c' x)/(b' x) B' x", simplify.factor,
     "(A + A' - (c' x)/(b' x) (B + B')) x"),
    ("A' - (c' x) B' + (A' - (c' x) B')'", simplify.factor, "A + A' - (c' x) (B + B')"),
    ("M x - (x' M x) M x + N x - (x' M x) N x", simplify.factor, "(1 - x' M x) (M + N) x"),
    ("kron(x', y)", simplify._kron_of_vectors, "y x'"),
    ("kron(y, x')", simplify._kron_of_vectors, "y x'"),
    ("kron(a', B) (kron(x, C) + kron(y, F)) where a: n; x: n; y: n; B: p x q; C: q x r; F: q x r",
     simplify.simplify, "B ((a' x) C + (a' y) F)"),
]


@pytest.mark.parametrize("text, rewrite, printed", REWRITES, ids=[r[0] for r in REWRITES])
def test_a_rewrite_is_an_identity_and_fires(text, rewrite, printed):
    t = typed(text)
    after = rewrite(t.expr)
    assert after is not None and after is not t.expr
    assert to_text(after) == printed
    assert_same_value(t.expr, after, t)


def test_factoring_takes_a_common_run_in_one_step():
    """A B C D x + E B C D x = (A + E) B C D x: the shared run B C D x comes out at once."""
    t = typed("A B C D x + E B C D x")
    parts = [ir.scalars_and_chain(u) for u in t.expr.terms]
    assert simplify._common_run(parts, -1) == 4
    after = simplify.factor(t.expr)
    assert to_text(after) == "(A + E) B C D x"
    assert_same_value(t.expr, after, t)


def test_a_common_run_leaves_each_chain_a_factor_of_its_own():
    t = typed("A C B x + D B x")
    after = simplify.factor(t.expr)
    assert to_text(after) == "(A C + D) B x"
    assert_same_value(t.expr, after, t)


def test_a_lower_power_of_a_scalar_comes_out_only_where_it_prints_shorter():
    """-x x'/‖x‖³ + I/‖x‖ keeps its two denominators: one would print longer."""
    t = typed("I/||x|| - x x'/||x||^3")
    assert simplify.factor(t.expr) is t.expr


def test_collecting_never_prints_longer():
    """2/(x' x) x + x/‖x‖ stays: (2/(x' x) + 1/‖x‖) x is a token longer."""
    t = typed("2/(x' x) x + x/||x||")
    assert simplify.factor(t.expr) is t.expr


def test_a_kronecker_product_distributes_where_the_mixed_product_applies():
    t = typed("kron(a', B) (kron(x, C) + kron(y, F)) where a: n; x: n; y: n; B: p x q; C: q x r; F: q x r")
    after = simplify._kron_distributes(t.expr)
    assert to_text(after) == "kron(a', B) kron(x, C) + kron(a', B) kron(y, F)"
    assert_same_value(t.expr, after, t)
    assert simplify._kron_distributes(typed("kron(A, B) (kron(C, D) + E)").expr) is None


def test_scalars_come_out_of_a_kronecker_product():
    t = typed("kron(x', A/s)")
    assert to_text(t.expr) == "kron(x', A)/s"


def test_rank_one_update_jacobians():
    from matcalc.check import check

    out = diff("(A + x x')^-1 x", wrt="x", kind="jac").derivative
    assert out == "M2 - ((x' M1^-T x) M2 + M2 x x' M1^-T) where M1 = A + x x'; M2 = M1^-1"
    assert check("(A + x x')^-1 x", wrt="x", kind="jac")["ok"]


def test_a_sum_opens_with_a_positive_term():
    t = typed("-a + b - c")
    assert to_text(t.expr) == "b - a - c"
    assert to_text(algebra.add(algebra.neg(t.names["a"]), t.names["b"])) == "b - a"


# -- naming --------------------------------------------------------------------------------------

def test_a_scalar_and_its_powers_are_named_once():
    """1/s and 1/s² shared: s is named, never s4 = 1/s1 and s2 = 1/s1^2 beside it."""
    out = diff("x' A x / (x' x)", wrt="x", kind="grad").derivative
    assert out == "((A + A') x - 2 (x' A x)/s1 x)/s1 where s1 = x' x"
    out = diff("(a' x)/(b' x)", wrt="x", kind="grad").derivative
    assert out == "(a - (a' x)/s1 b)/s1 where s1 = b' x"


def test_a_power_used_alone_keeps_its_own_name():
    """‖x − y‖² twice and ‖x − y‖ never alone: the square is what is named."""
    out = diff("exp(-||x - y||^2/(2 s^2))", wrt="s", kind="grad", declare=["s: scalar"]).derivative
    assert out == "s1 exp(-s1/(2 s^2))/s^3 where s1 = ||x - y||^2"


# -- the forms of issue 13, through the API ------------------------------------------------------

AUTHOR_FORMS = [
    ("x' x/(1 + x' x)", "x", "grad", "2/(1 + x' x)^2 x"),
    ("x' inv(A + x x') x", "x", "grad", "(1 - x' M1^-T x) (M1^-T + M1^-1) x where M1 = A + x x'"),
    ("x' A x / (x' B x)", "x", "grad", "1/s1 (A + A' - (x' A x)/s1 (B + B')) x where s1 = x' B x"),
    ("x/||x||", "x", "jac", "I/||x|| - 1/||x||^3 x x'"),
    ("(x' y)/(||x|| ||y||)", "x", "grad", "(y/||x|| - (x' y)/||x||^3 x)/||y||"),
]


@pytest.mark.parametrize("expr, wrt, kind, printed", AUTHOR_FORMS, ids=[f[0] for f in AUTHOR_FORMS])
def test_quotients_print_as_an_author_writes_them(expr, wrt, kind, printed):
    from matcalc.check import check

    assert diff(expr, wrt=wrt, kind=kind).derivative == printed
    assert check(expr, wrt=wrt, kind=kind)["ok"]


# -- deep Hessians -------------------------------------------------------------------------------

def test_a_deep_hessian_is_simplified_in_few_rewrites():
    """The factoring takes a shared run at once: the rewrites grow linearly with depth,
    not with its square (a count, not a time; bench/bench.py --family hess-where times it)."""
    def rewrites(depth):
        defs = "; ".join(["h0 = tanh(W x)"] + [f"h{i} = tanh(W h{i - 1})" for i in range(1, depth)])
        log = []
        t = analyze(f"sum(h{depth - 1}) where {defs}", scalar=True, keep="x")
        from matcalc import rules

        G = simplify.simplify(rules.gradient(t.expr, t.names["x"], None))
        dX = rules.placeholder(t.names["x"])
        simplify.simplify(rules.vec_jacobian(rules.differential(G, t.names["x"], dX, None), dX), log)
        return len(log)

    small, large = rewrites(8), rewrites(32)
    assert large <= 4 * small + 8, (small, large)


# simplify(G) is a fixpoint: simplifying it again, from scratch, changes nothing. (derive
# relies on it: a result is simplified once, and finish's simplify of it is free.)
FIXPOINT_CASES = [
    "((x' y) (x' b))^2",  # canonical form builds a transposed sum below a rebuilt node
    "log(x' A y (x' y) + s)",
    "exp(x' y)/(x' b)",
    "log((sum(x)/tr(A) + sum(x)/(x' A x))/(s + x' y + exp(x' A x)))",
    "x' A x + b' x",
    "||A x - b||^2 + lambda ||x||^2",
    "sum(tanh(W2 tanh(W1 x)))",
]


@pytest.mark.parametrize("text", FIXPOINT_CASES)
def test_simplify_gives_a_fixpoint(text):
    from matcalc import rules

    typed = analyze(text, scalar=True, keep="x")
    G = simplify.simplify(rules.gradient(simplify.identities(typed.expr), typed.names["x"]))
    simplify._SETTLED.discard(G)  # forget it was simplify's output, so that it is worked through again
    assert simplify.simplify(G) is G
