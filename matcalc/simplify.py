"""Named rewrites that bring a result to the form a careful person writes.

The smart constructors in ir.py already merge like terms, collect scalars and drop
identities; here are the rewrites that look across terms (factoring A x + Aᵀ x into
(A + Aᵀ) x), folding the user's definitions back in, and naming shared subexpressions
so that a result prints in linear size. Every pass is memoized over the DAG.
"""
from __future__ import annotations

from fractions import Fraction

from . import ir
from .ir import SCALAR


def rewrite(e: ir.Expr, fn) -> ir.Expr:
    """Rebuild bottom-up: fn(old, new) gets each node as it was and with rewritten kids."""
    memo: dict[ir.Expr, ir.Expr] = {}
    stack = [(e, False)]
    while stack:
        node, done = stack.pop()
        if node in memo:
            continue
        if done:
            kids = tuple(memo[k] for k in node.kids)
            new = node if kids == node.kids else node.rebuild(kids)
            memo[node] = fn(node, new)
            continue
        stack.append((node, True))
        stack.extend((k, False) for k in node.kids if k not in memo)
    return memo[e]


def simplify(e: ir.Expr) -> ir.Expr:
    return rewrite(e, lambda old, new: factor(new))


# -- factoring sums --------------------------------------------------------------------------

def _parts(t: ir.Expr):
    """t = scalars · chain, as two lists (the numeric coefficient among the scalars)."""
    fs = t.factors if isinstance(t, ir.Mul) else (t,)
    return [f for f in fs if f.shape == SCALAR], [f for f in fs if f.shape != SCALAR]


def factor(e: ir.Expr) -> ir.Expr:
    """A x + Aᵀ x = (A + Aᵀ) x;  A x + A y = A (x + y);  2 a + 2 b = 2 (a + b)."""
    if not isinstance(e, ir.Add):
        return e
    for side in (-1, 0):
        out = _factor_side(e.terms, side)
        if out is not None:
            return out
    return _factor_scalars(e)


def _factor_side(terms, side):
    """Group terms whose chains end (side=-1) or start (side=0) with the same factor."""
    groups: dict[ir.Expr, list] = {}
    for t in terms:
        scalars, chain = _parts(t)
        if len(chain) >= 2:
            groups.setdefault(chain[side], []).append(t)
    best = max(groups.items(), key=lambda kv: len(kv[1]), default=(None, []))
    common, members = best
    if len(members) < 2:
        return None
    rests = []
    for t in members:
        scalars, chain = _parts(t)
        rest = chain[:-1] if side == -1 else chain[1:]
        rests.append(ir.mul(*scalars, *rest))
    inner = factor(ir.add(*rests))
    combined = ir.mul(inner, common) if side == -1 else ir.mul(common, inner)
    others = [t for t in terms if t not in members]
    if not others:
        return combined
    return factor(ir.add(combined, *others)) if len(others) > 1 else ir.add(combined, *others)


def _factor_scalars(e: ir.Add) -> ir.Expr:
    """Pull out a coefficient or scalar factor common to every term."""
    coeffs = [ir.split_coeff(t)[0] for t in e.terms]
    common = set(_parts(ir.split_coeff(e.terms[0])[1])[0])
    for t in e.terms[1:]:
        common &= set(_parts(ir.split_coeff(t)[1])[0])
    c = abs(coeffs[0]) if all(abs(x) == abs(coeffs[0]) for x in coeffs) else Fraction(1)
    if all(x < 0 for x in coeffs):
        c = -c
    if c == 1 and not common:
        return e
    out = []
    for t in e.terms:
        k, rest = ir.split_coeff(t)
        scalars, chain = _parts(rest)
        out.append(ir.mul(ir.const(k / c), *(s for s in scalars if s not in common), *chain))
    return ir.mul(ir.const(c), *sorted(common, key=lambda s: s.serial), ir.add(*out))


# -- definitions -----------------------------------------------------------------------------

def fold_definitions(e: ir.Expr, defs: dict[str, ir.Ref]) -> ir.Expr:
    """Write h wherever a result holds the body of the user's definition h."""
    bodies = {r.a: r for r in defs.values()}
    if not bodies:
        return e
    return rewrite(e, lambda old, new: old if isinstance(old, ir.Ref) else bodies.get(old) or bodies.get(new, new))


def _size(e: ir.Expr, memo: dict, cap: int = 10_000) -> int:
    stack = [(e, False)]
    while stack:
        node, done = stack.pop()
        if node in memo:
            continue
        if done:
            memo[node] = min(cap, 1 + sum(memo[k] for k in node.kids if not isinstance(node, ir.Ref)))
            continue
        stack.append((node, True))
        stack.extend((k, False) for k in node.kids)
    return memo[e]


def name_shared(e: ir.Expr, taken: set[str], min_size: int = 4, names: dict | None = None) -> ir.Expr:
    """Bind every subexpression used more than once (and worth a name) to a fresh name,
    so that the printed result grows linearly with the DAG, not exponentially. `names`
    carries the choices over between calls, so that v1 means one thing in a whole trace."""
    uses: dict[ir.Expr, int] = {}
    seen, stack = set(), [e]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for k in node.kids:
            uses[k] = uses.get(k, 0) + 1
            stack.append(k)
    sizes: dict = {}
    shared = {
        n for n, c in uses.items()
        if c > 1 and not isinstance(n, (ir.Ref, *ir.LEAVES)) and _size(n, sizes) >= min_size
        and not (isinstance(n, ir.Transpose) and isinstance(n.a, ir.Ref))
    }
    if not shared:
        return e
    names = {} if names is None else names

    def fresh(old, node):
        if old not in names:
            names[old] = _fresh_name(node, taken)
        return names[old]

    return rewrite(e, lambda old, new: ir.Ref(fresh(old, new), new) if old in shared else new)


def _fresh_name(node, taken: set[str]) -> str:
    prefix = "s" if node.shape == SCALAR else ("v" if node.shape[1] == 1 else "M")
    k = 1
    while f"{prefix}{k}" in taken:
        k += 1
    taken.add(f"{prefix}{k}")
    return f"{prefix}{k}"
