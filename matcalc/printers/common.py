"""What every printer shares: the precedence ladder, the visitor, how sums and products split.

Printers are views: they read the IR and never build it, so a product is split into a
coefficient and a list of factors, not into new nodes. Imports ir only.
"""
from __future__ import annotations

import weakref
from fractions import Fraction

from .. import ir

SUM, PRODUCT, UNARY, POSTFIX, ATOM = 1, 2, 3, 4, 5


class Printer:
    """One `v_<Node>` method per node type, returning (text, own precedence); `show`
    adds parentheses where a node binds looser than its place requires.

    A node prints the same wherever it stands (the parentheses are the place's), so each
    is visited once, children first, without recursion: a chain 1,000 deep prints within
    Python's default stack, and a shared node is printed once (a definition too, as its
    name)."""

    parens = ("(", ")")
    term = PRODUCT  # the precedence a term of a sum needs to go without parentheses

    def show(self, e: ir.Expr, prec: int = SUM) -> str:
        return self.wrap(self.visit(e), prec)

    def visit(self, e: ir.Expr) -> tuple[str, int]:
        memo = self.__dict__.setdefault("_printed", {})
        return memo[e] if e in memo else ir.fold(e, memo, self._dispatch)

    def _dispatch(self, e: ir.Expr) -> tuple[str, int]:
        return getattr(self, "v_" + type(e).__name__)(e)

    def wrap(self, printed: tuple[str, int], prec: int) -> str:
        text, own = printed
        return f"{self.parens[0]}{text}{self.parens[1]}" if own < prec else text

    def v_Add(self, e):
        return "".join(op + self.wrap(self.scaled(c, factors), self.term)
                       for op, c, factors in signed_terms(e)), SUM

    def v_Const(self, e):
        return self.constant(e.value)

    def v_Mul(self, e):
        return self.product(*coefficient(e))

    def scaled(self, c: Fraction, factors: tuple) -> tuple[str, int]:
        """c · factors printed as the node that has them would be."""
        if not factors:
            return self.constant(c)
        if c == 1 and len(factors) == 1:
            return self.visit(factors[0])
        return self.product(c, factors)


def coefficient(e: ir.Expr) -> tuple[Fraction, tuple]:
    """e = c · factors; a constant is all coefficient, with no factors."""
    if isinstance(e, ir.Const):
        return e.value, ()
    if isinstance(e, ir.Mul):
        if isinstance(e.factors[0], ir.Const):
            return e.factors[0].value, e.factors[1:]
        return ir.Q1, e.factors
    return ir.Q1, (e,)


def signed_terms(e: ir.Add):
    """(operator, c, factors) for each term of a sum. After the first term a negative one
    is written ' - ' and then negated, so that a - 2 b reads as it was typed."""
    for i, t in enumerate(e.terms):
        c, factors = coefficient(t)
        if i and c < 0:
            yield " - ", -c, factors
        else:
            yield (" + " if i else ""), c, factors


def split_product(c: Fraction, factors) -> tuple[Fraction, list, list, list]:
    """c · num / den · chain: the coefficient, the scalar factors above the fraction bar,
    those below it as (base, k) for base^-k with k > 0, and the matrix chain."""
    num, den, chain = [], [], []
    for f in factors:
        if isinstance(f, ir.Const):
            c *= f.value
        elif f.shape != ir.SCALAR:
            chain.append(f)
        elif isinstance(f, ir.Pow) and f.k < 0:
            den.append((f.a, -f.k))
        else:
            num.append(f)
    return c, num, den, chain


def definitions(e: ir.Expr) -> list[ir.Ref]:
    """The definitions an expression uses, each after the ones its body uses."""
    if not e.holds & ir.HOLDS_REF:
        return []
    return [node for node in ir.postorder(e) if isinstance(node, ir.Ref)]


def unsized_identities(*roots: ir.Expr) -> set:
    """The identity matrices that nothing around them sizes, so that a bare `I` would read
    back with a size of its own: printed eye(n) (I_n in LaTeX). A sum, an entrywise product
    or a neighbour in a matrix chain with a size of its own sizes I; the argument of kron,
    vec, tr and the other functions that change the shape does not. Definitions' bodies
    are roots of their own, as a `where` clause prints them."""
    roots = [r for r in roots if r.holds & ir.HOLDS_IDENTITY]
    for r in roots:
        _judge(r)
    unsized, seen = set(), set()
    stack = [(r, False) for r in roots]
    while stack:
        e, fixed = stack.pop()
        if (e, fixed) in seen or not _FACTS[e][1]:
            continue
        seen.add((e, fixed))
        if isinstance(e, ir.Identity) and not fixed:
            unsized.add(e)
        if not isinstance(e, ir.Ref):
            stack.extend(zip(e.kids, _kids_fixed(e, fixed)))
    return unsized


# node -> (its printed text fixes its own shape, it holds an I outside definitions); nodes
# are immutable, so each is judged once.
_FACTS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _judge(root: ir.Expr):
    """_FACTS of every node under root, children first, stopping at definitions."""
    stack = [(root, False)]
    while stack:
        e, done = stack.pop()
        if e in _FACTS:
            continue
        if done or isinstance(e, ir.Ref):
            _FACTS[e] = (_self_sized(e), isinstance(e, ir.Identity) or
                         (not isinstance(e, ir.Ref) and any(_FACTS[k][1] for k in e.kids)))
            continue
        stack.append((e, True))
        stack.extend((k, False) for k in e.kids if k not in _FACTS)


def _self_sized(e: ir.Expr) -> bool:
    """Whether e, printed with a bare I wherever its context sizes it, fixes its own shape
    (its kids already judged)."""
    if isinstance(e, ir.Identity):
        return False
    if e.shape == ir.SCALAR or isinstance(e, (ir.Ref, ir.Kron, ir.Vec, *ir.LEAVES)):
        return True  # kron's and vec's arguments are printed sized, as roots are
    if isinstance(e, (ir.Add, ir.Hadamard)):
        return any(_FACTS[k][0] for k in e.kids)
    return all(_FACTS[k][0] for k in e.kids)


def _kids_fixed(e: ir.Expr, fixed: bool) -> list[bool]:
    """For each kid of e, whether its context sizes it (a square I needs one side sized)."""
    kids, fixed = e.kids, fixed or e.shape == ir.SCALAR
    sized = [_FACTS[k][0] for k in kids]
    if isinstance(e, (ir.Add, ir.Hadamard)):
        return [fixed or any(sized[:i] + sized[i + 1:]) for i in range(len(kids))]
    if isinstance(e, ir.Mul):
        chain = [i for i, k in enumerate(kids) if k.shape != ir.SCALAR]
        out = [True] * len(kids)
        for n, i in enumerate(chain):
            ends = fixed and n in (0, len(chain) - 1)
            left = n > 0 and sized[chain[n - 1]]
            right = n + 1 < len(chain) and sized[chain[n + 1]]
            out[i] = ends or left or right
        return out
    if isinstance(e, (ir.Kron, ir.Vec)):
        return [False] * len(kids)
    return [fixed and k.shape == e.shape for k in kids]
