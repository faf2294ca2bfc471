"""The simplifier: named identities, factoring, definitions folded back, sharing named.

Every rewrite that needs a name is a Rewrite here, stating its identity; the engine applies
them bottom-up to a fixpoint and can record each application, so `--all-steps` shows
it. Canonical form (algebra.py) is what every node already satisfies. Where two forms
are both right (one denominator or two, terms collected or not), the shorter in printed
tokens wins, measured with the text printer on small trees. Folding the user's
definitions back in and naming shared subexpressions keep a result's printed size linear
in its DAG. Imports ir, algebra and (to measure) printers.text.
"""
from __future__ import annotations

import functools
import re
import weakref
from contextvars import ContextVar
from fractions import Fraction
from typing import Callable, NamedTuple

from . import algebra, ir
from .algebra import T, hadamard, kron, mul, power, sum_, trace, vec
from .ir import SCALAR

# Rewrites per simplification: a result that needs more is refused, never a hang.
MAX_REWRITES = ir.env_limit("MATCALC_MAX_REWRITES", 10_000)


class Rewrite(NamedTuple):
    """A named identity; `fn` gives the rewritten node, or None where it does not apply."""

    name: str
    identity: str
    fn: Callable


class Applied(NamedTuple):
    rule: Rewrite
    before: ir.Expr
    after: ir.Expr


# -- identities between neighbours in a matrix chain: fn(left, right) -> factors or None ------

def _mat_base(e: ir.Expr) -> tuple[ir.Expr, int]:
    """A square factor as (A, k) with the factor = Aᵏ: A⁻¹ is (A, −1), (A⁻¹)² is (A, −2)."""
    base, k = (e.a, e.k) if isinstance(e, ir.MatPow) else (e, 1)
    return (base.a, -k) if isinstance(base, ir.Inverse) else (base, k)


def _inverse_cancels(l, r):
    if (isinstance(r, ir.Inverse) and r.a is l) or (isinstance(l, ir.Inverse) and l.a is r):
        return [algebra.eye(l.shape[0])]


def _powers_merge(l, r):
    if r.shape[0] == r.shape[1] != 1 and _mat_base(l)[0] is _mat_base(r)[0]:
        (A, j), (_, k) = _mat_base(l), _mat_base(r)
        return [power(A, j + k)]


def _mixed_product(l, r):
    if isinstance(l, ir.Kron) and isinstance(r, ir.Kron) and \
            l.a.shape[1] == r.a.shape[0] and l.b.shape[1] == r.b.shape[0]:
        return [kron(mul(l.a, r.a), mul(l.b, r.b))]


def _vec_row_kron(l, r):
    if isinstance(l, ir.Transpose) and isinstance(l.a, ir.Vec) and isinstance(r, ir.Kron):
        M = l.a.a
        if r.b.shape[0] == M.shape[0] and r.a.shape[0] == M.shape[1]:
            return [T(vec(mul(T(r.b), M, r.a)))]


def _kron_vec(l, r):
    if isinstance(l, ir.Kron) and isinstance(r, ir.Vec):
        M = r.a
        if l.b.shape[1] == M.shape[0] and l.a.shape[1] == M.shape[1]:
            return [vec(mul(l.b, M, T(l.a)))]


def _sum_by_ones(l, r):
    if ir.is_vector(r) and l.shape[0] == 1 and (isinstance(l, ir.Ones) or isinstance(r, ir.Ones)):
        return [sum_(r if isinstance(l, ir.Ones) else l)]


def _diag_times_vector(l, r):
    if isinstance(l, ir.DiagMat) and r.shape[1] == 1:
        return [hadamard(l.a, r)]
    if isinstance(r, ir.DiagMat) and l.shape[0] == 1:
        return [T(hadamard(T(l), r.a))]


CHAIN_RULES = [
    Rewrite("inverse cancels", "A A⁻¹ = A⁻¹ A = I", _inverse_cancels),
    Rewrite("powers merge", "Aʲ Aᵏ = Aʲ⁺ᵏ", _powers_merge),
    Rewrite("mixed product", "(A ⊗ B)(C ⊗ D) = A C ⊗ B D", _mixed_product),
    Rewrite("vec and kron", "vec(M)ᵀ (P ⊗ Q) = vec(Qᵀ M P)ᵀ", _vec_row_kron),
    Rewrite("kron and vec", "(P ⊗ Q) vec(M) = vec(Q M Pᵀ)", _kron_vec),
    Rewrite("sum as a product", "vᵀ 1 = 1ᵀ v = sum(v)", _sum_by_ones),
    Rewrite("diagonal times a vector", "diag(v) w = v ∘ w,  wᵀ diag(v) = (w ∘ v)ᵀ", _diag_times_vector),
]


def _may_pair(l, r, base_l, base_r) -> bool:
    """Whether any chain rule could apply to neighbours l, r: powers of one base (an
    inverse is a power), a Kronecker product, ones, or a diagonal beside a vector."""
    return (base_l is base_r or isinstance(l, (ir.Kron, ir.Ones)) or isinstance(r, (ir.Kron, ir.Ones))
            or (isinstance(l, ir.DiagMat) and r.shape[1] == 1) or (isinstance(r, ir.DiagMat) and l.shape[0] == 1))


def _in_chain(e: ir.Mul):
    """The first chain rule that applies to two neighbours, and the product it gives."""
    scalars, chain = ir.scalars_and_chain(e)
    bodies = [ir.body(f) for f in chain]
    bases = [_mat_base(b)[0] for b in bodies]
    for i in range(len(chain) - 1):
        l, r = bodies[i], bodies[i + 1]
        if not _may_pair(l, r, bases[i], bases[i + 1]):
            continue  # a long chain is scanned in one cheap pass
        for rule in CHAIN_RULES:
            out = rule.fn(l, r)
            if out is not None:
                return rule, mul(*scalars, *chain[:i], *out, *chain[i + 2:])
    return None


# -- identities of one node: fn(node) -> node or None ------------------------------------------

def _trace_of_sum(e):
    a = ir.body(e.a)
    if isinstance(a, ir.Add):
        return algebra.add(*(trace(t) for t in a.terms))


def _cyclic_trace(e):
    """tr(c a bᵀ C) = c bᵀ C a: the scalars stay in front, a column moves to the end."""
    a = ir.body(e.a)
    if not isinstance(a, ir.Mul):
        return None
    scalars, chain = ir.scalars_and_chain(a)
    if ir.is_vector(chain[0]):
        return mul(*scalars, *chain[1:], chain[0])
    if scalars:  # seen through a definition: tr(M) where M = 2 X is 2 tr(X)
        return mul(*scalars, trace(mul(*chain)))
    return None


def _trace_of_diag(e):
    a = ir.body(e.a)
    if isinstance(a, ir.DiagMat):
        return sum_(a.a)


def _square(e: ir.Expr) -> bool:
    return e.shape[0] == e.shape[1]


def _of_kron(op):
    def fn(e):
        a = ir.body(e.a)
        if isinstance(a, ir.Kron) and (op is not trace or (_square(a.a) and _square(a.b))):
            return mul(op(a.a), op(a.b))
    return fn


def _diag_of_outer(e):
    a = ir.body(e.a)
    if isinstance(a, ir.Mul) and len(a.factors) == 2 and ir.is_vector(a.factors[0]):
        return hadamard(a.factors[0], T(a.factors[1]))


def _exp_of_log(e):
    a = ir.body(e.a)
    if e.name == "exp" and isinstance(a, ir.Func) and a.name == "log":
        return a.a


def _det_of_inverse(e):
    a = ir.body(e.a)
    if isinstance(a, ir.Inverse):
        return power(algebra.det(a.a), -1)


def _logdet_of_inverse(e):
    a = ir.body(e.a)
    if isinstance(a, ir.Inverse):
        return algebra.neg(algebra.logdet(a.a))


def _kron_bilinear(e):
    """The first two Kronecker terms that share a factor, merged."""
    terms = e.terms
    for i, s in enumerate(terms):
        for j in range(i + 1, len(terms)):
            t = terms[j]
            if isinstance(s, ir.Kron) and isinstance(t, ir.Kron):
                if s.a is t.a and s.b.shape == t.b.shape:
                    merged = kron(s.a, algebra.add(s.b, t.b))
                elif s.b is t.b and s.a.shape == t.a.shape:
                    merged = kron(algebra.add(s.a, t.a), s.b)
                else:
                    continue
                return algebra.add(*terms[:i], merged, *terms[i + 1:j], *terms[j + 1:])


def _sum_of_entries(e):
    """1ᵀ M 1 = sum(M), the ones on both ends of a chain."""
    scalars, chain = ir.scalars_and_chain(e)
    if len(chain) >= 3 and isinstance(chain[0], ir.Ones) and isinstance(chain[-1], ir.Ones) \
            and chain[0].shape[0] == 1 and chain[-1].shape[1] == 1:
        return mul(*scalars, sum_(mul(*chain[1:-1])))


def _transpose_of_rows(e):
    """(a xᵀ A + b xᵀ)ᵀ = a Aᵀ x + b x: a sum of rows, transposed, is a sum of columns."""
    a = e.a
    if isinstance(a, ir.Add) and a.shape[0] == 1:
        return algebra.add(*(T(t) for t in a.terms))


def _softmax_of_exp(e):
    """exp(v)/sum(exp(v)) = softmax(v): a column scaled by one over its own sum of exps."""
    scalars, chain = ir.scalars_and_chain(e)
    if len(chain) != 1 or not (isinstance(chain[0], ir.Func) and chain[0].name == "exp"):
        return None
    v = chain[0].a
    for i, s in enumerate(scalars):
        if isinstance(s, ir.Pow) and s.k == -1 and isinstance(s.a, ir.Sum) and s.a.a is chain[0] and ir.is_vector(v):
            return mul(*scalars[:i], *scalars[i + 1:], algebra.softmax(v))
    return None


def _logsumexp(e):
    """log(sum(exp(v))) = logsumexp(v)."""
    a = ir.body(e.a)
    if e.name == "log" and isinstance(a, ir.Sum) and isinstance(a.a, ir.Func) and a.a.name == "exp" \
            and ir.is_vector(a.a.a):
        return algebra.logsumexp(a.a.a)


def _one_denominator(e):
    """1 - a/(1 + a) = 1/(1 + a): a scalar sum over one denominator, where the numerator
    then cancels and the whole prints shorter."""
    if e.shape != SCALAR:
        return None
    for base in {b for t in e.terms for b, k in _powers(t).items() if k == -1 and isinstance(b, ir.Add)}:
        top = []
        for t in e.terms:
            k, rest = ir.split_coeff(t)
            if _powers(t).get(base) == -1:
                top.append(algebra.mul(t, base))
            else:
                top.extend(algebra.mul(t, b) for b in base.terms)
        out = algebra.mul(algebra.add(*top), power(base, -1))
        if _shorter(e, out) is out:
            return out
    return None


def _kron_of_vectors(e):
    """xᵀ ⊗ y = y xᵀ and y ⊗ xᵀ = y xᵀ: a row and a column make an outer product."""
    a, b = ir.body(e.a), ir.body(e.b)
    if a.shape[0] == 1 and b.shape[1] == 1:
        return mul(b, a)
    if a.shape[1] == 1 and b.shape[0] == 1:
        return mul(a, b)
    return None


def _kron_distributes(e):
    """(A ⊗ B)(C ⊗ D + E ⊗ F) = A C ⊗ B D + A E ⊗ B F: a Kronecker product into a sum of
    them, where the mixed product then applies to every term."""
    scalars, chain = ir.scalars_and_chain(e)
    for i in range(len(chain) - 1):
        l, r = ir.body(chain[i]), ir.body(chain[i + 1])
        for K, S, left in ((l, r, True), (r, l, False)):
            if isinstance(K, ir.Kron) and isinstance(S, ir.Add) and all(
                    isinstance(k := ir.split_coeff(t)[1], ir.Kron)
                    and (_mixes(K, k) if left else _mixes(k, K)) for t in S.terms):
                terms = [mul(K, t) if left else mul(t, K) for t in S.terms]
                return mul(*scalars, *chain[:i], algebra.add(*terms), *chain[i + 2:])
    return None


def _mixes(l: ir.Kron, r: ir.Kron) -> bool:
    return l.a.shape[1] == r.a.shape[0] and l.b.shape[1] == r.b.shape[0]


NODE_RULES = {
    ir.Transpose: [Rewrite("transpose of a sum of rows", "(a xᵀ + b yᵀ)ᵀ = a x + b y", _transpose_of_rows)],
    ir.Mul: [Rewrite("sum of entries", "1ᵀ M 1 = sum(M)", _sum_of_entries),
             Rewrite("softmax", "exp(v)/sum(exp(v)) = softmax(v)", _softmax_of_exp),
             Rewrite("kron distributes", "(A ⊗ B)(C ⊗ D + E ⊗ F) = A C ⊗ B D + A E ⊗ B F", _kron_distributes)],
    ir.Kron: [Rewrite("kron of vectors", "xᵀ ⊗ y = y ⊗ xᵀ = y xᵀ", _kron_of_vectors)],
    ir.Add: [Rewrite("kron is bilinear", "A ⊗ B + A ⊗ C = A ⊗ (B + C)", _kron_bilinear),
             Rewrite("one denominator", "a - b/(b + c) = (a (b + c) - b)/(b + c), where it cancels", _one_denominator)],
    ir.Trace: [
        Rewrite("trace is linear", "tr(A + B) = tr(A) + tr(B)", _trace_of_sum),
        Rewrite("cyclic trace", "tr(a bᵀ C) = bᵀ C a", _cyclic_trace),
        Rewrite("trace of a diagonal", "tr(diag(v)) = sum(v)", _trace_of_diag),
        Rewrite("trace of a Kronecker product", "tr(A ⊗ B) = tr(A) tr(B)", _of_kron(trace)),
    ],
    ir.Sum: [Rewrite("sum of a Kronecker product", "sum(A ⊗ B) = sum(A) sum(B)", _of_kron(sum_))],
    ir.Norm: [Rewrite("norm of a Kronecker product", "‖A ⊗ B‖ = ‖A‖ ‖B‖", _of_kron(algebra.norm))],
    ir.DiagVec: [Rewrite("diagonal of an outer product", "diag(a bᵀ) = a ∘ b", _diag_of_outer)],
    ir.Func: [Rewrite("exp of log", "exp(log(a)) = a", _exp_of_log),
              Rewrite("logsumexp", "log(sum(exp(v))) = logsumexp(v)", _logsumexp)],
    ir.Det: [Rewrite("determinant of an inverse", "det(A⁻¹) = 1/det(A)", _det_of_inverse)],
    ir.LogDet: [Rewrite("log-determinant of an inverse", "logdet(A⁻¹) = −logdet(A)", _logdet_of_inverse)],
}
IDENTITIES = CHAIN_RULES + [r for rules in NODE_RULES.values() for r in rules]


# -- the engine ------------------------------------------------------------------------------

def rewrite(e: ir.Expr, fn) -> ir.Expr:
    """Rebuild bottom-up: fn(old, new) gets each node as it was and with rewritten kids."""
    memo: dict[ir.Expr, ir.Expr] = {}
    return ir.fold(e, memo, lambda node: fn(node, algebra.rebuild(node, tuple(memo[k] for k in node.kids))))


class _Simplifier:
    """Bottom-up to a fixpoint: each node's kids are settled, then its own rules run, and
    whatever a rule builds is settled in turn, as is whatever canonical form builds
    below the top when a node is rebuilt on settled kids (a transpose pushed into a sum)."""

    def __init__(self, factoring: bool, log: list | None):
        self.factoring, self.log = factoring, log
        self.memo: dict[ir.Expr, ir.Expr] = {}
        self.budget = MAX_REWRITES

    def __call__(self, e: ir.Expr) -> ir.Expr:
        stack = [(e, False)]
        while stack:
            node, done = stack.pop()
            if node in self.memo:
                continue
            if not node.kids:  # no rule rewrites a leaf
                self.memo[node] = node
                continue
            if done:
                new = algebra.rebuild(node, tuple(self.memo[k] for k in node.kids))
                out = self(new) if new is not node and new not in self.memo else self.settle(new)
                self.memo[node] = self.memo[new] = out
                continue
            stack.append((node, True))
            stack.extend((k, False) for k in node.kids if k not in self.memo)
        return self.memo[e]

    def settle(self, e: ir.Expr) -> ir.Expr:
        applied = self.first(e)
        if applied is None:
            return e
        rule, out = applied
        self.budget -= 1
        if self.budget < 0:
            raise ir.MatcalcError(f"the result needs more than {MAX_REWRITES} rewrites to simplify (last: "
                                  f"{rule.name}); set MATCALC_MAX_REWRITES to raise the limit")
        if self.log is not None:
            self.log.append(Applied(rule, e, out))
        return self(out)

    def first(self, e: ir.Expr):
        if isinstance(e, ir.Mul):
            found = _in_chain(e)
            if found:
                return found
        for rule in NODE_RULES.get(type(e), ()):
            out = rule.fn(e)
            if out is not None and out is not e:
                return rule, out
        if self.factoring and isinstance(e, ir.Add):
            out = factor(e)
            if out is not e:
                return FACTOR, out
        return None


def identities(e: ir.Expr, log: list | None = None) -> ir.Expr:
    """The named identities alone: what differentiation starts from."""
    return _Simplifier(False, log)(e)


def simplify(e: ir.Expr, log: list | None = None) -> ir.Expr:
    """The named identities and factoring: what a result is printed from. Factoring
    weighs a form by its printed length, knowing which scalars the result shares; where
    the result shares others than its input did, it is simplified again with those, so
    that what comes out is a fixpoint (and simplifying it again costs nothing)."""
    if e in _SETTLED:
        return e
    for _ in range(MAX_PASSES):
        shared = _shared_scalars(e)
        token = _SHARED.set(shared)
        try:
            out = _Simplifier(True, log)(e)
        finally:
            _SHARED.reset(token)
        # Each rule reads only its node and _SHARED: with the same shared scalars, every
        # node of `out` has already been tried and left as it is.
        if out is e or _shared_scalars(out) == shared:
            _SETTLED.add(out)
            break
        e = out
    return out


MAX_PASSES = 4  # the shared scalars change from pass to pass this often at most; then the last pass stands
_SETTLED: "weakref.WeakSet[ir.Expr]" = weakref.WeakSet()  # what simplify has returned as a fixpoint


# -- factoring sums --------------------------------------------------------------------------

def _parts(t: ir.Expr):
    """t = scalars · chain, as two lists (the numeric coefficient among the scalars)."""
    return ir.scalars_and_chain(t)


def factor(e: ir.Expr) -> ir.Expr:
    """A x + Aᵀ x = (A + Aᵀ) x;  A x + A y = A (x + y);  2 a + 2 b = 2 (a + b)."""
    if not isinstance(e, ir.Add):
        return e
    for side in (-1, 0):
        out = _factor_side(e.terms, side)
        if out is not None:
            return out
    out = _factor_scalars(e)
    return out if out is not e else _collected(e)


FACTOR = Rewrite("factor", "A x + B x = (A + B) x;  A x + A y = A (x + y);  2 a + 2 b = 2 (a + b)", factor)


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
    parts = [_parts(t) for t in members]
    run = _common_run(parts, side)
    rests = [algebra.mul(*scalars, *(chain[:-run] if side == -1 else chain[run:])) for scalars, chain in parts]
    common = parts[0][1][-run:] if side == -1 else parts[0][1][:run]
    inner = factor(algebra.add(*rests))
    combined = algebra.mul(inner, *common) if side == -1 else algebra.mul(*common, inner)
    others = [t for t in terms if t not in members]
    if not others:
        return combined
    return factor(algebra.add(combined, *others)) if len(others) > 1 else algebra.add(combined, *others)


def _replace(terms, members, collected):
    """The sum with `members` replaced by `collected`, where the first of them stood."""
    first = members[0]
    return algebra.add(*(collected if t is first else t for t in terms if t is first or t not in members))


def _by_scalars(terms):
    """s A + s B = s (A + B): terms with one scalar part (coefficient included) collected."""
    groups: dict = {}
    for t in terms:
        scalars, chain = _parts(t)
        if chain and scalars:
            groups.setdefault(tuple(ir.body(s) for s in scalars), []).append(t)
    for members in groups.values():
        if 1 < len(members) < len(terms):
            inner = algebra.add(*(algebra.mul(*_parts(t)[1]) for t in members))
            return _replace(terms, members, algebra.mul(*_parts(members[0])[0], inner))
    return None


def _by_chain(terms):
    """a C + b C = (a + b) C: terms with one matrix chain and different scalars collected."""
    groups: dict = {}
    for t in terms:
        scalars, chain = _parts(t)
        if chain:
            groups.setdefault(tuple(ir.body(f) for f in chain), []).append(t)
    for members in groups.values():
        if len(members) > 1:
            scalar = algebra.add(*(algebra.mul(*_parts(t)[0]) for t in members))
            return _replace(terms, members, algebra.mul(scalar, *_parts(members[0])[1]))
    return None


def _open_transposes(terms):
    """G + Gᵀ with G a sum: the transposed sum opened, (P + Q)ᵀ = Pᵀ + Qᵀ, so that its
    terms can meet their partners."""
    if not any(isinstance(ir.split_coeff(t)[1], ir.Transpose) and isinstance(ir.split_coeff(t)[1].a, ir.Add)
               for t in terms):
        return None
    out = []
    for t in terms:
        k, rest = ir.split_coeff(t)
        if isinstance(rest, ir.Transpose) and isinstance(rest.a, ir.Add):
            out.extend(algebra.mul(algebra.const(k), T(u)) for u in rest.a.terms)
        else:
            out.append(t)
    return algebra.add(*out)


def _collected(e: ir.Add) -> ir.Expr:
    """Terms collected by a common scalar part or a common chain, then factored, where the
    whole prints shorter: A + Aᵀ − c B − c Bᵀ = A + Aᵀ − c (B + Bᵀ)."""
    if e in _COLLECTING:  # a candidate that leads back to a sum being collected: no progress
        return e
    _COLLECTING.add(e)
    try:
        for collect in (_open_transposes, _by_chain, _by_scalars):
            new = collect(e.terms)
            if new is not None and new is not e:
                new = factor(new) if isinstance(new, ir.Add) else new
                if _shorter(e, new, ties=True, named=True) is new:
                    return new
        return e
    finally:
        _COLLECTING.discard(e)


_COLLECTING: set = set()


def _common_run(parts, side) -> int:
    """How many factors on one side all the chains share, each keeping one of its own:
    the whole run comes out at once, so a sum of k long chains (a deep Hessian) is
    factored in one pass instead of one factor per level."""
    chains = [chain for _, chain in parts]
    limit = min(len(c) for c in chains) - 1
    run = 1
    while run < limit:
        i = -1 - run if side == -1 else run
        if any(c[i] is not chains[0][i] for c in chains[1:]):
            break
        run += 1
    return run


def _powers(t: ir.Expr) -> dict:
    """The scalar factors of a term without its coefficient, as {base: exponent}."""
    out: dict = {}
    for s in _parts(ir.split_coeff(t)[1])[0]:
        s = ir.body(s)  # seen through definitions, as every rule sees them
        base, k = (s.a, s.k) if isinstance(s, ir.Pow) else (s, Fraction(1))
        out[base] = out.get(base, 0) + k
    return out


def _common_powers(terms) -> dict:
    """{base: k} with bᵏ a factor of every term: b in each, its exponents of one sign, and
    k the one nearest zero, so that a/s - c/s² keeps one denominator: (a - c/s)/s."""
    powers = [_powers(t) for t in terms]
    common = {}
    for base, k in powers[0].items():
        ks = [p.get(base) for p in powers]
        if all(j is not None and (j > 0) == (k > 0) for j in ks):
            common[base] = min(ks) if k > 0 else max(ks)
    return common


def _factor_scalars(e: ir.Add) -> ir.Expr:
    """Pull out a coefficient or scalar factor common to every term; where the terms hold
    different powers of a scalar, its lowest power too, when that prints shorter (one
    denominator for a quotient's derivative: a/s - c/s² b = (a - c/s b)/s)."""
    if not any(_parts(t)[0] for t in e.terms):  # no term has a scalar, coefficient included
        return e
    lowest = _common_powers(e.terms)
    exact = {b: k for b, k in lowest.items() if all(_powers(t)[b] == k for t in e.terms)}
    if exact == lowest:
        return _pull_scalars(e, exact)
    return _shorter(_pull_scalars(e, exact), _pull_scalars(e, lowest), ties=True)


def _pull_scalars(e: ir.Add, common: dict) -> ir.Expr:
    coeffs = [ir.split_coeff(t)[0] for t in e.terms]
    c = abs(coeffs[0]) if all(abs(x) == abs(coeffs[0]) for x in coeffs) else Fraction(1)
    if all(x < 0 for x in coeffs):
        c = -c
    if c == 1 and not common:
        return e
    out = []
    for t in e.terms:
        k, rest = ir.split_coeff(t)
        chain = _parts(rest)[1]
        left = [power(b, j - common.get(b, 0)) for b, j in _powers(t).items()]
        out.append(algebra.mul(algebra.const(k / c), *left, *chain))
    pulled = [power(b, common[b]) for b in sorted(common, key=lambda b: b.key)]
    return algebra.mul(algebra.const(c), *pulled, algebra.add(*out))


# -- choosing the shorter of two forms -------------------------------------------------------

_SHARED: ContextVar[frozenset] = ContextVar("shared scalars of the result being simplified", default=frozenset())
MEASURED = 200  # tree size beyond which no optional rewrite is measured (nor applied)
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[^\W\d]\w*|\.[*/^]|\|\||\S")


def _tree(e: ir.Expr) -> dict | None:
    """{node: occurrences} over the printed tree (definitions written out); None when it
    holds more than MEASURED nodes."""
    stack, seen, count = [e], {}, 0
    while stack:
        count += 1
        if count > MEASURED:
            return None
        node = ir.body(stack.pop())
        seen[node] = seen.get(node, 0) + 1
        k, rest = ir.split_coeff(node)
        if k != 1 and rest.shape == SCALAR:  # -x' A x holds the scalar x' A x
            seen[rest] = seen.get(rest, 0) + 1
        stack.extend(node.kids)
    return seen


def _repeated_scalars(e: ir.Expr) -> frozenset:
    """The scalars that occur more than once in e and are large enough for name_shared to
    name: printed once each, as a name."""
    seen, sizes = _tree(e) or {}, {}
    return frozenset(n for n, c in seen.items() if c > 1 and _nameable(n, sizes))


def _tokens(e: ir.Expr, named: frozenset = frozenset()) -> int | None:
    """Printed length in tokens (names, numbers, operators), with every definition written
    out, so that a `where` name changes no choice. A scalar of `named` that occurs more
    than once counts as a name plus its definition; one that the whole result shares
    (_SHARED) as a name alone. None for a large tree."""
    seen = _tree(e)
    if seen is None:
        return None
    shared = _SHARED.get()
    local = {n for n in named if seen.get(n, 0) > 1 and n not in shared}
    return _printed(e, local | {n for n in shared if n in seen}) + sum(_printed(n) + 3 for n in local)


def _printed(e: ir.Expr, names=frozenset(), through_refs: bool = True) -> int:
    """Tokens of e printed with definitions written out, and each node of `names` inside it
    (a coefficient apart: -x' A x holds x' A x) as one name. Without `through_refs`, a
    cheaper measure for name_shared: definitions by name, nodes seen as names as printed."""
    if not through_refs:
        return len(_TOKEN.findall(_measurer()(e, names).show(e)))
    from .printers.text import to_text

    def view(old, new):
        new = ir.body(new)
        k, rest = ir.split_coeff(new)
        if old is e:
            return new
        if rest in names and rest is not new:
            return algebra.mul(algebra.const(k), ir.Ref("s", rest))
        return ir.Ref("s", new) if new in names else new

    return len(_TOKEN.findall(to_text(rewrite(e, view))))


@functools.lru_cache(maxsize=1)
def _measurer():
    """The text printer, printing given nodes as one name: a measure, not an output."""
    from .printers.common import ATOM
    from .printers.text import TextPrinter

    class Measure(TextPrinter):
        def __init__(self, root, names):
            super().__init__()
            self.root, self.names = root, names

        def visit(self, e):
            if e is not self.root and e in self.names:
                return "s", ATOM
            return super().visit(e)

    return Measure


def _shorter(old: ir.Expr, new: ir.Expr, ties: bool = False, named: bool = False) -> ir.Expr:
    """new where it prints in fewer tokens than old (or as few, with `ties`); old otherwise.
    With `named`, scalars count as name_shared will print them."""
    names = _repeated_scalars(old) if named else frozenset()
    a, b = _tokens(old, names), _tokens(new, names)
    return new if a is not None and b is not None and (b < a or ties and b == a) else old


def _nameable(n: ir.Expr, sizes: dict) -> bool:
    return n.shape == SCALAR and not isinstance(n, (ir.Pow, *ir.LEAVES)) and _size(n, sizes) >= 4


def _shared_scalars(e: ir.Expr) -> frozenset:
    """The scalars that e uses in more than one place, which name_shared will name."""
    uses: dict = {}
    for node in ir.nodes(e):
        for k in node.kids:
            k = ir.body(k)
            k = ir.body(k.a) if isinstance(k, ir.Pow) else k
            uses[k] = uses.get(k, 0) + 1
    sizes: dict = {}
    return frozenset(n for n, c in uses.items() if c > 1 and _nameable(n, sizes))


# -- definitions -----------------------------------------------------------------------------

def fold_definitions(e: ir.Expr, defs: dict[str, ir.Ref]) -> ir.Expr:
    """Write h wherever a result holds the body of the user's definition h; a name or a
    number defined under another name is not renamed (k = 2 does not make 2 x read k x)."""
    bodies = {r.a: r for r in defs.values() if not isinstance(r.a, ir.LEAVES)}
    if not bodies:
        return e
    return rewrite(e, lambda old, new: old if isinstance(old, ir.Ref) else bodies.get(old) or bodies.get(new, new))


def _size(e: ir.Expr, memo: dict, cap: int = 10_000) -> int:
    """Printed nodes, up to cap; a definition counts as its name."""
    return ir.fold(e, memo, lambda n: min(cap, 1 + (0 if isinstance(n, ir.Ref) else sum(memo[k] for k in n.kids))))


def name_shared(e: ir.Expr, taken: set[str], min_size: int = 4, names: dict | None = None) -> ir.Expr:
    """Bind every subexpression used more than once (and worth a name) to a fresh name,
    so that the printed result grows linearly with the DAG, not exponentially. `names`
    carries the choices over between calls, so that v1 means one thing in a whole trace."""
    twins = _transposed_twins(e, min_size)
    if twins:  # x - y and x' - y' both: the second is written v1' once x - y is v1
        e = rewrite(e, lambda old, new: ir.Transpose(T(new)) if old in twins else new)
    uses: dict[ir.Expr, int] = {}
    for node in ir.nodes(e):  # each node once, each of its kids counted once for it
        for k in node.kids:
            uses[k] = uses.get(k, 0) + 1
    forms: dict = {}  # how many distinct powers of a scalar the result holds
    for n in uses:
        if isinstance(n, ir.Pow):
            forms[n.a] = forms.get(n.a, 1 if n.a in uses and uses[n.a] > 1 else 0) + 1
    for n, c in list(uses.items()):  # 1/s and s², shared: s is named once, then 1/s1, s1^2
        if isinstance(n, ir.Pow) and c > 1 and (n.k < 0 or forms[n.a] > 1):
            uses[n.a] = uses.get(n.a, 0) + c - 1
            uses[n] = 1
    sizes: dict = {}
    candidates = [
        n for n, c in uses.items()
        if c > 1 and not isinstance(n, (ir.Ref, *ir.LEAVES)) and _size(n, sizes) >= min_size
        and not (isinstance(n, ir.Transpose) and isinstance(n.a, ir.Ref))
    ]
    shared: set = set()
    for n in sorted(candidates, key=lambda n: sizes[n]):  # inner names first: M1^-T, not (A + x x')^-T
        if sizes[n] > MEASURED or _saves(n, uses[n], shared):  # too big to measure: a name saves
            shared.add(n)
    unnamed = {T(n): n for n in twins if T(n) not in shared}
    if unnamed:  # a twin whose partner is not named after all goes back to x' - y'
        e = rewrite(e, lambda old, new: unnamed.get(old.a, new) if isinstance(old, ir.Transpose) else new)
    if not shared:
        return e
    names = {} if names is None else names

    def fresh(old, node):
        if old not in names:
            names[old] = _fresh_name(node, taken)
        return names[old]

    return rewrite(e, lambda old, new: ir.Ref(fresh(old, new), new) if old in shared else new)


def _saves(n: ir.Expr, uses: int, named: set) -> bool:
    """Whether naming n prints shorter: `uses` names and `; v1 = n` against n written out
    `uses` times, in parentheses (as a sum or a product mostly needs them); the names
    already chosen print as names inside it."""
    if _tree(n) is None:
        return True
    bare = _printed(n, named, through_refs=False)
    inline = bare + (2 if isinstance(n, (ir.Add, ir.Mul, ir.Hadamard)) else 0)
    return uses * inline > uses + 3 + bare


def _transposed_twins(e: ir.Expr, min_size: int) -> set:
    """The sums (x' - y') whose transpose (x - y) the result also holds, large enough to be
    named: canonical form pushed the transpose into their terms."""
    nodes, sizes = ir.nodes(e), {}
    return {n for n in nodes if isinstance(n, ir.Add) and n.shape != SCALAR
            and all(isinstance(ir.split_coeff(t)[1], ir.Transpose) for t in n.terms)
            and T(n) in nodes and _size(T(n), sizes) >= min_size}


def _fresh_name(node, taken: set[str]) -> str:
    return ir.fresh_name("s" if node.shape == SCALAR else ("v" if node.shape[1] == 1 else "M"), taken)
