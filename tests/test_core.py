"""The core's promises: what was typed is what is echoed, a name never changes the answer,
output never depends on what the process computed before, and memory stays bounded."""

import gc
import json
import os
import random
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from identities import IDENTITIES  # noqa: E402

from matcalc import algebra, diff, ir, simplify  # noqa: E402
from matcalc.printers.text import to_text_where  # noqa: E402
from matcalc.shapes import analyze  # noqa: E402

ROWS = [r for r in IDENTITIES if not r.error]


# -- the echo is what the user typed, up to canonical form --------------------------------

@pytest.mark.parametrize("typed", [
    "-y' log(softmax(W x))",
    "tr(a b' C)",
    "sum(exp(log(x)))",
    "tr(X X B)",
    "det(X^-1)",
    "tr(kron(A, X))",
    "logdet(S^-1)",
    "tr(A + B)",
])
def test_the_echo_is_the_input(typed):
    assert diff(typed, wrt=_first_name(typed)).expression == typed


def _first_name(text):
    return next(n for n in analyze(text).names)


@pytest.mark.parametrize("typed, echoed", [
    ("x' x + x' x", "2 x' x"),               # like terms
    ("(A')' x", "A x"),                      # double transpose
    ("2 * 3 x", "6 x"),                      # constants
    ("A I x", "A x"),                        # identity matrices
])
def test_the_echo_is_in_canonical_form(typed, echoed):
    assert diff(typed, wrt="x").expression == echoed


# -- naming a subexpression does not change the answer -----------------------------------------

def _inline(e: ir.Expr) -> ir.Expr:
    """The expression with every definition replaced by its body, simplified, and the
    terms of every sum in structural order (a sum's order is the order it was built in)."""
    out = simplify.simplify(simplify.rewrite(e, lambda old, new: new.a if isinstance(new, ir.Ref) else new))
    return simplify.rewrite(out, lambda old, new: ir.Add(tuple(sorted(new.terms, key=lambda t: t.key)))
                            if isinstance(new, ir.Add) else new)


def _declarations(typed) -> list[str]:
    out = []
    for name, s in typed.names.items():
        r, c = s.shape
        shape = "scalar" if (r, c) == (1, 1) else (f"{r}" if c == 1 else f"{r} x {c}")
        out.append(f"{name}: {shape}{' symmetric' if s.symmetric else ''}")
    return out


def _named_variants(row, limit=2):
    """The row's expression with one subexpression that holds the variable named h."""
    typed = analyze(row.expr, row.declare)
    if typed.defs:
        return
    X = typed.names.get(row.wrt)
    candidates = [e for e in ir.postorder(typed.expr)
                  if e is not typed.expr and e is not X and not isinstance(e, ir.LEAVES)
                  and X in set(ir.postorder(e))]
    for sub in candidates[-limit:]:
        named = simplify.rewrite(typed.expr, lambda old, new: ir.Ref("h", new) if old is sub else new)
        yield to_text_where(named), _declarations(typed)


NAMED = [(row, text, decls) for row in ROWS for text, decls in _named_variants(row)]


@pytest.mark.parametrize("row, named, decls", NAMED, ids=[f"{t} by {r.wrt}" for r, t, _ in NAMED])
def test_a_where_name_gives_the_inline_derivative(row, named, decls):
    inline = diff(row.expr, wrt=row.wrt, kind=row.command, layout=row.layout, declare=row.declare)
    by_name = diff(named, wrt=row.wrt, kind=row.command, layout=row.layout, declare=decls)
    assert _inline(by_name.derivation.result) is _inline(inline.derivation.result), \
        f"{by_name.derivative} differs from {inline.derivative}"


def test_the_rules_see_through_definitions():
    inline = diff("-y' log(softmax(W x))", wrt="W").derivative
    named = diff("-y' log(s) where s = softmax(W x)", wrt="W").derivative
    assert inline == "(sum(y) softmax(W x) - y) x'"
    assert named == "(sum(y) s - y) x' where s = softmax(W x)"


# -- output does not depend on what came before ------------------------------------------------

_RUN = """
import json, sys
sys.path.insert(0, {tests!r})
from identities import IDENTITIES
import matcalc
rows = [r for r in IDENTITIES if not r.error]
for i in {order!r}:
    r = rows[i]
    d = matcalc.diff(r.expr, wrt=r.wrt, kind=r.command, layout=r.layout, declare=r.declare)
    print(json.dumps([i, d.expression, d.derivative, d.latex, d.numpy], ensure_ascii=False))
"""


def _outputs(order: list[int]) -> dict:
    tests = os.path.dirname(os.path.abspath(__file__))
    code = _RUN.format(tests=tests, order=order)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return {row[0]: row[1:] for row in map(json.loads, out.splitlines())}


def test_a_batch_prints_what_each_line_prints_alone_in_any_order():
    order = list(range(len(ROWS)))
    shuffled = order[:]
    random.Random(7).shuffle(shuffled)
    forward, backward, mixed = _outputs(order), _outputs(order[::-1]), _outputs(shuffled)
    assert forward == backward == mixed
    for i in random.Random(3).sample(order, 4):  # and a line alone in a fresh process
        assert _outputs([i])[i] == forward[i]


def test_scalar_factors_follow_the_structure_not_the_history():
    diff("b' x", wrt="x")
    assert diff("(a' x) (b' x) c", wrt="c").derivative == "(a' x) (b' x) eye(m)"


def test_the_cli_batch_streams_the_same_lines():
    lines = ["(a' x) (b' x) c", "c' b", "(b' x) (a' x) c"]
    cmd = [sys.executable, "-m", "matcalc", "diff", "--wrt", "c"]
    batch = subprocess.run(cmd, input="\n".join(lines), capture_output=True, text=True).stdout.splitlines()
    alone = [subprocess.run(cmd + [line], capture_output=True, text=True).stdout.strip() for line in lines]
    assert batch == alone


# -- the node table holds what is alive, and nothing else ---------------------------------------

def test_memory_stays_bounded_in_a_long_session():
    def table_after(k):
        for i in range(k):
            diff(f"x' A{i} x + sum(exp(B{i} x))", wrt="x")
        gc.collect()
        return len(ir._TABLE)

    first = table_after(50)
    assert table_after(400) <= first + 50


def test_equal_nodes_are_one_object_and_print_structurally():
    x = ir.Sym("x", ("n", 1))
    assert ir.Sym("x", ("n", 1)) is x
    assert repr(algebra.mul(ir.Sym("A", ("n", "n")), x)) == \
        "Mul((Sym('A', ('n', 'n'), False), Sym('x', ('n', 1), False)))"


def test_the_product_and_sum_shortcuts_give_what_canonical_form_gives(monkeypatch):
    """mul's shortcut for factors already in canonical order, and add's for a lone term,
    restate part of canonical form: on random products they must agree with the general
    path (the same node, or the same error)."""
    from fractions import Fraction

    from matcalc.ir import Const, Identity, Ones, Sym, Transpose, Zero

    rng = random.Random(7)
    dims = ["n", "m", 1, 3]
    pool = [Sym(f"{name}{r}{c}", (r, c)) for r in dims for c in dims if (r, c) != (1, 1) for name in "MN"]
    pool += [Transpose(p) for p in list(pool)]
    pool += [Sym("s", (1, 1)), Const(Fraction(2)), Const(Fraction(1)), Const(Fraction(0)), Const(Fraction(-1, 2)),
             Identity("n"), Zero(("n", "n")), Ones(("n", 1)), Ones((1, "n"))]

    def chain(k):  # factors whose shapes fit, mostly
        out, rows = [], rng.choice(dims)
        for _ in range(k):
            f = rng.choice([p for p in pool if p.shape[0] == rows or p.shape == (1, 1)])
            out.append(f)
            rows = f.shape[1] if f.shape != (1, 1) else rows
        return out

    def outcome(fn, *args):
        try:
            return fn(*args)
        except ir.ShapeError as e:
            return type(e)

    shortcut = algebra._plain_product
    for _ in range(3000):
        factors = chain(rng.randrange(1, 5)) if rng.random() < 0.7 else rng.sample(pool, rng.randrange(1, 4))
        if rng.random() < 0.3:
            factors = [outcome(algebra.mul, *chain(2)), *factors]
            factors = [f for f in factors if not isinstance(f, type)]
        fast = outcome(algebra.mul, *factors)
        monkeypatch.setattr(algebra, "_plain_product", lambda fs: None)
        general = outcome(algebra.mul, *factors)
        monkeypatch.setattr(algebra, "_plain_product", shortcut)
        assert fast is general, factors
        if not isinstance(fast, type):
            assert algebra.add(fast) is algebra.add(fast, None)  # None is skipped: the general loop
