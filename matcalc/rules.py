"""The differentiation rules: one entry per node type, each stating its identity.

Three engines share the rules' mathematics:
- `gradient` (reverse mode) pushes G = ∂f/∂U from a scalar f down to the variable,
  one rule application per edge, accumulating where a subexpression is shared;
- `differential` (forward mode) builds dF from dX by d(AB) = dA B + A dB and kin;
- `vec_jacobian` reads J off a linear dF: vec(dF) = J vec(dX).
Every application can be recorded as a Step. Layout is not decided here.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from . import algebra, ir
from .algebra import (
    T, add, const, diag, eye, hadamard, hadpow, inner, inv, mul, neg, ones, power, sub, trace, vec, zero,
)
from .ir import ONE, SCALAR


class Unsupported(ir.MatcalcError):
    """A derivative matcalc cannot write in closed form: an error, never a guess."""


@dataclass(frozen=True)
class Step:
    """One rule application. Reverse mode: ∂f/∂(node) = before gives ∂f/∂(child) += after.
    Forward mode: d(node) = after."""

    rule: str
    identity: str
    node: ir.Expr
    child: ir.Expr | None
    before: ir.Expr | None
    after: ir.Expr
    mode: str  # "reverse" | "forward"; derive.py adds "identify", "symmetric", "layout"
    bookkeeping: bool = False
    index: int | None = None  # which kid of node the child is; None for a fused rule


# -- entrywise functions: f′(a), written with u = f(a) where that is shorter -------------

def _one_minus(u):
    return sub(ones(u.shape), u)


FPRIME = {
    "exp": ("exp′(a) = exp(a)", lambda u, a: u),
    "log": ("log′(a) = 1 ./ a", lambda u, a: hadpow(a, -1)),
    "sin": ("sin′(a) = cos(a)", lambda u, a: algebra.func("cos", a)),
    "cos": ("cos′(a) = −sin(a)", lambda u, a: neg(algebra.func("sin", a))),
    "tan": ("tan′(a) = 1 + tan(a)²", lambda u, a: add(ones(a.shape), hadpow(u, 2))),
    "tanh": ("tanh′(a) = 1 − tanh(a)²", lambda u, a: _one_minus(hadpow(u, 2))),
    "sqrt": ("sqrt′(a) = 1/(2 sqrt(a))", lambda u, a: mul(const(Fraction(1, 2)), hadpow(u, -1))),
    "abs": ("abs′(a) = sign(a)", lambda u, a: algebra.func("sign", a)),
    "sigmoid": ("σ′(a) = σ(a) ∘ (1 − σ(a))", lambda u, a: hadamard(u, _one_minus(u))),
    "softplus": ("softplus′(a) = σ(a)", lambda u, a: algebra.func("sigmoid", a)),
    "relu": ("relu′(a) = step(a)", lambda u, a: algebra.func("step", a)),
    "sign": ("sign′(a) = 0 (almost everywhere)", lambda u, a: zero(a.shape)),
    "step": ("step′(a) = 0 (almost everywhere)", lambda u, a: zero(a.shape)),
}


def fprime(u: ir.Func) -> ir.Expr:
    return FPRIME[u.name][1](u, u.a)


# -- reverse mode: G = ∂f/∂U  ->  ∂f/∂(child i) ---------------------------------------------

def _vjp_mul(u, i, G):
    fs = u.factors
    if fs[i].shape == SCALAR:
        return inner(G, mul(*fs[:i], *fs[i + 1:]))
    scalars = [f for f in fs if f.shape == SCALAR]
    chain = [j for j, f in enumerate(fs) if f.shape != SCALAR]
    k = chain.index(i)
    left = [T(fs[j]) for j in reversed(chain[:k])]
    right = [T(fs[j]) for j in reversed(chain[k + 1:])]
    return mul(*scalars, *left, G, *right)


def _vjp_matpow(u, i, G):
    A, k = u.a, u.k
    return add(*(mul(T(power(A, j)), G, T(power(A, k - 1 - j))) for j in range(k)))


def _vjp_hadamard(u, i, G):
    return hadamard(G, *(f for j, f in enumerate(u.factors) if j != i))


def _vjp_kron(u, i, G):
    raise Unsupported("cannot differentiate through kron(A, B) when the variable is inside it")


def _vjp_vec(u, i, G):
    raise Unsupported("cannot differentiate a scalar through vec() of the variable")


def _vjp_softmax(u, i, G):
    return sub(hadamard(u, G), mul(mul(T(u), G), u))


# name, identity (in terms of G = ∂f/∂U), and ∂f/∂(child) as a function of (U, i, G)
REVERSE = {
    ir.Add: ("sum", "U = A + B:  ∂f/∂A = ∂f/∂B = G", lambda u, i, G: G),
    ir.Mul: ("product", "U = A B:  ∂f/∂A = G Bᵀ,  ∂f/∂B = Aᵀ G  (scalars: ∂f/∂s = ⟨G, U/s⟩)", _vjp_mul),
    ir.Transpose: ("transpose", "U = Aᵀ:  ∂f/∂A = Gᵀ", lambda u, i, G: T(G)),
    ir.Inverse: ("inverse", "U = A⁻¹:  ∂f/∂A = −A⁻ᵀ G A⁻ᵀ", lambda u, i, G: neg(mul(T(u), G, T(u)))),
    ir.MatPow: ("matrix power", "U = Aᵏ:  ∂f/∂A = Σⱼ (Aʲ)ᵀ G (Aᵏ⁻¹⁻ʲ)ᵀ", _vjp_matpow),
    ir.Pow: ("power", "u = aᵏ:  ∂f/∂a = k aᵏ⁻¹ g", lambda u, i, G: mul(const(u.k), power(u.a, u.k - 1), G)),
    ir.Hadamard: ("entrywise product", "U = A ∘ B:  ∂f/∂A = G ∘ B", _vjp_hadamard),
    ir.HadPow: (
        "entrywise power", "U = A.^k:  ∂f/∂A = k G ∘ A.^(k−1)",
        lambda u, i, G: mul(const(u.k), hadamard(G, hadpow(u.a, u.k - 1))),
    ),
    ir.Func: ("entrywise function", "U = f(A):  ∂f/∂A = G ∘ f′(A)", lambda u, i, G: hadamard(G, fprime(u))),
    ir.Kron: ("kron", "U = A ⊗ B", _vjp_kron),
    ir.Trace: ("trace", "u = tr(A):  ∂f/∂A = g I", lambda u, i, G: mul(G, eye(u.a.shape[0]))),
    ir.Det: ("determinant", "u = det(A):  ∂f/∂A = g det(A) A⁻ᵀ", lambda u, i, G: mul(G, u, T(inv(u.a)))),
    ir.LogDet: ("log-determinant", "u = logdet(A):  ∂f/∂A = g A⁻ᵀ", lambda u, i, G: mul(G, T(inv(u.a)))),
    ir.Sum: ("sum of entries", "u = sum(A):  ∂f/∂A = g 1 1ᵀ", lambda u, i, G: mul(G, ones(u.a.shape))),
    ir.Norm: ("norm", "u = ‖a‖:  ∂f/∂a = g a/‖a‖", lambda u, i, G: mul(G, power(u, -1), u.a)),
    ir.LogSumExp: (
        "logsumexp", "u = logsumexp(a):  ∂f/∂a = g softmax(a)", lambda u, i, G: mul(G, algebra.softmax(u.a)),
    ),
    ir.Softmax: ("softmax", "s = softmax(a):  ∂f/∂a = s ∘ g − s (sᵀ g)", _vjp_softmax),
    ir.DiagMat: ("diag", "U = diag(a):  ∂f/∂a = diag(G)", lambda u, i, G: diag(G)),
    ir.DiagVec: ("diag", "u = diag(A):  ∂f/∂A = diag(g)", lambda u, i, G: diag(G)),
    ir.Vec: ("vec", "u = vec(A)", _vjp_vec),
    ir.Ref: ("definition", "h = body:  ∂f/∂(body) = ∂f/∂h", lambda u, i, G: G),
}
BOOKKEEPING = {ir.Ref}
SQUARED_NORM = ("squared norm", "u = ‖a‖²:  ∂f/∂a = 2 g a", lambda u, a, G: mul(const(2), G, a))
LOG_SOFTMAX = ("log-softmax", "u = log(softmax(z)):  ∂f/∂z = g − sum(g) softmax(z)",
               lambda u, z, G: sub(G, mul(algebra.sum_(G), algebra.softmax(z))))


def _body(e: ir.Expr) -> ir.Expr:
    """What a `where` name stands for: fused rules match through definitions."""
    while isinstance(e, ir.Ref):
        e = e.a
    return e


def _fused(u: ir.Expr):
    """(rule, inner argument) where two nodes are one rule as a person would use it:
    ‖a‖² rather than 2‖a‖ times a/‖a‖; log∘softmax rather than 1 ./ s through softmax."""
    if isinstance(u, ir.Pow) and u.k == 2 and isinstance(_body(u.a), ir.Norm):
        return SQUARED_NORM, _body(u.a).a
    if isinstance(u, ir.Func) and u.name == "log" and isinstance(_body(u.a), ir.Softmax):
        return LOG_SOFTMAX, _body(u.a).a
    return None


def _edges(u: ir.Expr):
    """(child, kid index, rule name, identity, G -> ∂f/∂child) for each edge out of u."""
    fused = _fused(u)
    if fused:
        (name, identity, rule), a = fused
        yield a, None, name, identity, lambda G: rule(u, a, G)
        return
    name, identity, rule = REVERSE[type(u)]
    for i, child in enumerate(u.kids):
        yield child, i, name, identity, lambda G, i=i: rule(u, i, G)


def _postorder(root: ir.Expr, X: ir.Expr) -> tuple[list[ir.Expr], set]:
    """The nodes that depend on X, children before parents, and that set itself."""
    order, depends, seen = [], set(), set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            if node is X or any(k in depends for k in node.kids):
                depends.add(node)
                order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        stack.extend((k, False) for k in node.kids if k not in seen)
    return order, depends


def gradient(f: ir.Expr, X: ir.Expr, steps: list | None = None) -> ir.Expr:
    """∂f/∂X for a scalar f, shaped like X: reverse mode over the expression DAG."""
    order, depends = _postorder(f, X)
    if f not in depends:
        return zero(X.shape)
    adjoint: dict[ir.Expr, list] = {f: [ONE]}  # the parts, summed once: O(uses), not O(uses²)
    for u in reversed(order):
        if u is X or u not in adjoint:  # not reached: only used inside a fused rule
            continue
        G = add(*adjoint[u])
        for child, i, name, identity, vjp in _edges(u):
            if child not in depends:
                continue
            try:
                part = vjp(G)
            except ir.ShapeError as e:  # pragma: no cover - a bug in a rule, not in the input
                raise AssertionError(f"rule {name} built a bad shape: {e}") from e
            if steps is not None:
                steps.append(Step(name, identity, u, child, G, part, "reverse", type(u) in BOOKKEEPING, i))
            adjoint.setdefault(child, []).append(part)
    return add(*adjoint[X])


# -- forward mode: differentials ----------------------------------------------------------

def _d_mul(u, d):
    fs = u.factors
    return add(*(mul(*fs[:i], di, *fs[i + 1:]) for i, di in enumerate(d) if di is not None))


def _d_hadamard(u, d):
    fs = u.factors
    return add(*(hadamard(*fs[:i], di, *fs[i + 1:]) for i, di in enumerate(d) if di is not None))


def _d_kron(u, d):
    da, db = d
    return add(algebra.kron(da, u.b) if da is not None else None, algebra.kron(u.a, db) if db is not None else None)


def _d_matpow(u, d):
    A, k, dA = u.a, u.k, d[0]
    return add(*(mul(power(A, j), dA, power(A, k - 1 - j)) for j in range(k)))


FORWARD = {
    ir.Add: ("sum", "d(A + B) = dA + dB", lambda u, d: add(*(x for x in d if x is not None))),
    ir.Mul: ("product", "d(A B) = dA B + A dB", _d_mul),
    ir.Transpose: ("transpose", "d(Aᵀ) = (dA)ᵀ", lambda u, d: T(d[0])),
    ir.Inverse: ("inverse", "d(A⁻¹) = −A⁻¹ dA A⁻¹", lambda u, d: neg(mul(u, d[0], u))),
    ir.MatPow: ("matrix power", "d(Aᵏ) = Σⱼ Aʲ dA Aᵏ⁻¹⁻ʲ", _d_matpow),
    ir.Pow: ("power", "d(aᵏ) = k aᵏ⁻¹ da", lambda u, d: mul(const(u.k), power(u.a, u.k - 1), d[0])),
    ir.Hadamard: ("entrywise product", "d(A ∘ B) = dA ∘ B + A ∘ dB", _d_hadamard),
    ir.HadPow: (
        "entrywise power", "d(A.^k) = k A.^(k−1) ∘ dA",
        lambda u, d: mul(const(u.k), hadamard(hadpow(u.a, u.k - 1), d[0])),
    ),
    ir.Func: ("entrywise function", "d f(A) = f′(A) ∘ dA", lambda u, d: hadamard(fprime(u), d[0])),
    ir.Kron: ("kron", "d(A ⊗ B) = dA ⊗ B + A ⊗ dB", _d_kron),
    ir.Trace: ("trace", "d tr(A) = tr(dA)", lambda u, d: trace(d[0])),
    ir.Det: ("determinant", "d det(A) = det(A) tr(A⁻¹ dA)", lambda u, d: mul(u, trace(mul(inv(u.a), d[0])))),
    ir.LogDet: ("log-determinant", "d logdet(A) = tr(A⁻¹ dA)", lambda u, d: trace(mul(inv(u.a), d[0]))),
    ir.Sum: ("sum of entries", "d sum(A) = sum(dA)", lambda u, d: algebra.sum_(d[0])),
    ir.Norm: ("norm", "d‖a‖ = ⟨a, da⟩/‖a‖", lambda u, d: mul(power(u, -1), inner(u.a, d[0]))),
    ir.LogSumExp: (
        "logsumexp", "d logsumexp(a) = softmax(a)ᵀ da", lambda u, d: inner(algebra.softmax(u.a), d[0]),
    ),
    ir.Softmax: (
        "softmax", "d softmax(a) = s ∘ da − s (sᵀ da)",
        lambda u, d: sub(hadamard(u, d[0]), mul(inner(u, d[0]), u)),
    ),
    ir.DiagMat: ("diag", "d diag(a) = diag(da)", lambda u, d: diag(d[0])),
    ir.DiagVec: ("diag", "d diag(A) = diag(dA)", lambda u, d: diag(d[0])),
    ir.Vec: ("vec", "d vec(A) = vec(dA)", lambda u, d: vec(d[0])),
    ir.Ref: ("definition", "d h = d(body)", lambda u, d: d[0]),
}


FORWARD_LOG_SOFTMAX = (
    "log-softmax", "d log(softmax(z)) = dz − 1 softmax(z)ᵀ dz",
    lambda u, z, dz: sub(dz, mul(ones(z.shape), inner(algebra.softmax(z), dz))),
)


def differential(F: ir.Expr, X: ir.Expr, dX: ir.Expr, steps: list | None = None) -> ir.Expr:
    """dF when X moves by dX (dX = 1 for a scalar X gives dF/dX)."""
    order, depends = _postorder(F, X)
    if F not in depends:
        return zero(F.shape)
    d: dict[ir.Expr, ir.Expr] = {X: dX}
    for u in order:
        if u is X:
            continue
        if _fused(u) and _fused(u)[0] is LOG_SOFTMAX:
            z = _fused(u)[1]
            name, identity, rule = FORWARD_LOG_SOFTMAX
            d[u] = rule(u, z, d[z])
        else:
            name, identity, rule = FORWARD[type(u)]
            dk = [d.get(k) if k in depends else None for k in u.kids]
            d[u] = rule(u, dk)
        if steps is not None:  # a sum passing one differential through is bookkeeping
            passing = isinstance(u, ir.Add) and d[u] in dk
            steps.append(Step(name, identity, u, None, None, d[u], "forward", type(u) in BOOKKEEPING or passing))
    return d[F]


def placeholder(X: ir.Expr) -> ir.Sym:
    """The symbol dX; its name cannot clash with a user's name."""
    return ir.Sym("∂" + getattr(X, "name", "X"), X.shape)


# -- identification: vec(L) = J vec(dX) for an L linear in dX ------------------------------

def vec_jacobian(L: ir.Expr, dX: ir.Sym) -> ir.Expr:
    """J = ∂vec(L)/∂vec(X)ᵀ for L linear in dX, by vec(A dX B) = (Bᵀ ⊗ A) vec(dX) and kin."""
    order, depends = _postorder(L, dX)
    n = ir.size(dX.shape)
    if L not in depends:
        return zero((ir.size(L.shape), n))
    J: dict[ir.Expr, ir.Expr] = {dX: eye(n)}
    for u in order:
        if u is not dX:
            J[u] = _vecjac(u, [J[k] if k in depends else None for k in u.kids])
    return J[L]


def _vecjac(u, Jk):
    if isinstance(u, ir.Add):
        return add(*(j for j in Jk if j is not None))
    live = [i for i, j in enumerate(Jk) if j is not None]
    if len(live) != 1:
        raise AssertionError("a differential is linear: one factor of a product holds dX")
    i, Ji = live[0], Jk[live[0]]
    if isinstance(u, ir.Mul):
        fs = u.factors
        if fs[i].shape == SCALAR:
            return mul(vec(mul(*fs[:i], *fs[i + 1:])), Ji)
        scalars = [f for f in fs if f.shape == SCALAR]
        chain = [j for j, f in enumerate(fs) if f.shape != SCALAR]
        k = chain.index(i)
        a, b = fs[i].shape
        left = mul(*scalars, *(fs[j] for j in chain[:k])) if k else mul(*scalars, eye(a))
        right = mul(*(fs[j] for j in chain[k + 1:])) if chain[k + 1:] else eye(b)
        return mul(algebra.kron(T(right), left), Ji)
    if isinstance(u, ir.Transpose):
        m, n = u.a.shape
        return Ji if 1 in (m, n) else mul(ir.Commutation(m, n), Ji)
    if isinstance(u, ir.Hadamard):
        rest = hadamard(*(f for j, f in enumerate(u.factors) if j != i))
        return mul(diag(vec(rest)), Ji)
    if isinstance(u, ir.Trace):
        return mul(T(vec(eye(u.a.shape[0]))), Ji)
    if isinstance(u, ir.Sum):
        return mul(T(ones((ir.size(u.a.shape), 1))), Ji)
    if isinstance(u, (ir.Vec, ir.Ref)):
        return Ji
    if isinstance(u, ir.DiagVec):  # diag(A) = (I ∘ A) 1, so vec: (1ᵀ ⊗ I) diag(vec I)
        n = u.shape[0]
        return mul(algebra.kron(T(ones((n, 1))), eye(n)), diag(vec(eye(n))), Ji)
    if isinstance(u, ir.DiagMat):  # diag(a) = I ∘ (a 1ᵀ), so vec: diag(vec I) (1 ⊗ I)
        n = u.shape[0]
        return mul(diag(vec(eye(n))), algebra.kron(ones((n, 1)), eye(n)), Ji)
    if isinstance(u, ir.Kron):
        return mul(_kron_vec(u, i), Ji)
    raise AssertionError(f"{type(u).__name__} is not linear in dX")  # pragma: no cover


def _kron_vec(u: ir.Kron, i: int) -> ir.Expr:
    """vec(A ⊗ B) = (I_q ⊗ K_{s,p} ⊗ I_r)(vec A ⊗ vec B), A p×q, B r×s (Magnus–Neudecker),
    so ∂vec(A ⊗ B)/∂vec(A)ᵀ = P (I_pq ⊗ vec B) and ∂/∂vec(B)ᵀ = P (vec A ⊗ I_rs)."""
    (p, q), (r, s) = u.a.shape, u.b.shape
    K = eye(p) if 1 in (s, p) else ir.Commutation(s, p)
    P = algebra.kron(algebra.kron(eye(q), K), eye(r))
    if i == 0:
        return mul(P, algebra.kron(eye(ir.size(u.a.shape)), vec(u.b)))
    return mul(P, algebra.kron(vec(u.a), eye(ir.size(u.b.shape))))


def local_jacobian(step: Step) -> ir.Expr:
    """∂vec(node)/∂vec(child)ᵀ for one reverse edge, the other kids held fixed: the
    factor the chain rule multiplies the upstream gradient by."""
    u, child = step.node, step.child
    dC = ir.Sym("∂u", child.shape)
    if step.index is None:
        L = differential(u, child, dC)
    else:
        d = [None] * len(u.kids)
        d[step.index] = dC
        L = FORWARD[type(u)][2](u, d)
    return vec_jacobian(L, dC)
