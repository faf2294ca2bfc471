"""What every printer shares: the precedence ladder and how a product splits."""
from __future__ import annotations

from fractions import Fraction

from .. import algebra, ir

SUM, PRODUCT, UNARY, POSTFIX, ATOM = 1, 2, 3, 4, 5


def split_product(e: ir.Mul):
    """c · num / den · chain: the coefficient, scalar factors above and below the
    fraction bar (negative powers go below, made positive), and the matrix chain."""
    c, num, den, chain = Fraction(1), [], [], []
    for f in e.factors:
        if isinstance(f, ir.Const):
            c *= f.value
        elif f.shape != ir.SCALAR:
            chain.append(f)
        elif isinstance(f, ir.Pow) and f.k < 0:
            den.append(algebra.power(f.a, -f.k))
        else:
            num.append(f)
    return c, num, den, chain


def definitions(e: ir.Expr) -> list[ir.Ref]:
    """The definitions an expression uses, each after the ones its body uses."""
    order: list[ir.Ref] = []
    seen: set = set()
    stack = [(e, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        if isinstance(node, ir.Ref):
            stack.append((node, True))
        stack.extend((k, False) for k in reversed(node.kids))
    return order
