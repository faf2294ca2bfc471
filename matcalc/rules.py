"""The differentiation rules: one record per node type, each rule beside its identity.

A record (`NodeRules`) holds the node's differential, its vector-Jacobian product (or a
stated refusal), how it maps J in a linear differential (or why dX never sits inside
it), and worked examples that `matcalc rules` runs. Three engines share them:
- `gradient` (reverse mode) pushes G = ∂f/∂U from a scalar f down to the variable,
  one rule application per edge, accumulating where a subexpression is shared;
- `differential` (forward mode) builds dF from dX by d(AB) = dA B + A dB and kin;
- `vec_jacobian` reads J off a linear dF: vec(dF) = J vec(dX).
Every application can be recorded as a Step. Layout is not decided here.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Callable, NamedTuple

from . import algebra, ir
from .algebra import (
    T, add, const, diag, eye, hadamard, hadpow, inner, inv, mul, neg, ones, power, sub, trace, vec, zero,
)
from .ir import ONE, SCALAR


class Unsupported(ir.MatcalcError):
    """A derivative matcalc cannot write in closed form: an error, never a guess."""


class Step(NamedTuple):
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


class Example(NamedTuple):
    """A worked example: `matcalc <command> <expression> --wrt <wrt>` prints `result`."""

    expression: str
    wrt: str
    result: str


class Rule(NamedTuple):
    """An identity and the function that applies it; the example shows it at work."""

    identity: str
    fn: Callable
    example: Example | None = None


class Refused(NamedTuple):
    """Why a node has no such rule; an engine that needs the rule raises this reason."""

    reason: str


class NodeRules(NamedTuple):
    """Everything the engines know about one node type.

    d:   (U, [dA, or None for a kid without dX]) -> dU, shown on `jac`;
    vjp: (U, i, G = ∂f/∂U) -> ∂f/∂(kid i), shown on `grad`; or Refused;
    vec: (U, i, J of kid i) -> J of U, where J = ∂vec(·)/∂vec(dX)ᵀ; or Refused."""

    name: str
    d: Rule
    vjp: Rule | Refused
    vec: Rule | Refused
    bookkeeping: bool = False  # a step a reader may skip: a definition passing a derivative on


class Fused(NamedTuple):
    """Two nodes differentiated as one rule, as a person would: ‖a‖², log∘softmax.

    kind "reverse": fn(U, a, G) -> ∂f/∂a; kind "differential": fn(U, a, da) -> dU."""

    name: str
    kind: str
    rule: Rule


NONLINEAR = Refused("not linear in its argument, so a differential never holds dX inside it")


# -- entrywise functions: f′(a), written with u = f(a) where that is shorter -------------
# Each row: the identity, f′, and `grad sum(f(x)) by x` as matcalc prints it.

def _one_minus(u):
    return sub(ones(u.shape), u)


FPRIME = {
    "exp": ("exp′(a) = exp(a)", lambda u, a: u, "exp(x)"),
    "log": ("log′(a) = 1 ./ a", lambda u, a: hadpow(a, -1), "x .^ -1"),
    "sin": ("sin′(a) = cos(a)", lambda u, a: algebra.func("cos", a), "cos(x)"),
    "cos": ("cos′(a) = −sin(a)", lambda u, a: neg(algebra.func("sin", a)), "-sin(x)"),
    "tan": ("tan′(a) = 1 + tan(a)²", lambda u, a: add(ones(a.shape), hadpow(u, 2)), "ones(n) + tan(x) .^ 2"),
    "tanh": ("tanh′(a) = 1 − tanh(a)²", lambda u, a: _one_minus(hadpow(u, 2)), "ones(n) - tanh(x) .^ 2"),
    "sqrt": ("sqrt′(a) = 1/(2 sqrt(a))", lambda u, a: mul(const(Fraction(1, 2)), hadpow(u, -1)),
             "1/2 sqrt(x) .^ -1"),
    "abs": ("abs′(a) = sign(a)", lambda u, a: algebra.func("sign", a), "sign(x)"),
    "sigmoid": ("σ′(a) = σ(a) ∘ (1 − σ(a))", lambda u, a: hadamard(u, _one_minus(u)),
                "sigmoid(x) .* (ones(n) - sigmoid(x))"),
    "softplus": ("softplus′(a) = σ(a)", lambda u, a: algebra.func("sigmoid", a), "sigmoid(x)"),
    "relu": ("relu′(a) = step(a)", lambda u, a: algebra.func("step", a), "step(x)"),
    "arcsin": ("arcsin′(a) = 1 ./ sqrt(1 − a²)", lambda u, a: hadpow(_one_minus(hadpow(a, 2)), Fraction(-1, 2)),
               "(ones(n) - x .^ 2) .^ (-1/2)"),
    "arccos": ("arccos′(a) = −1 ./ sqrt(1 − a²)",
               lambda u, a: neg(hadpow(_one_minus(hadpow(a, 2)), Fraction(-1, 2))), "-(ones(n) - x .^ 2) .^ (-1/2)"),
    "arctan": ("arctan′(a) = 1 ./ (1 + a²)", lambda u, a: hadpow(add(ones(a.shape), hadpow(a, 2)), -1),
               "(ones(n) + x .^ 2) .^ -1"),
    "sign": ("sign′(a) = 0 (almost everywhere)", lambda u, a: zero(a.shape), "zeros(n)"),
    "step": ("step′(a) = 0 (almost everywhere)", lambda u, a: zero(a.shape), "zeros(n)"),
}


def fprime(u: ir.Func) -> ir.Expr:
    return FPRIME[u.name][1](u, u.a)


# -- the rules that take more than a line, grouped by node --------------------------------

def _d_mul(u, d):
    fs = u.factors
    return add(*(mul(*fs[:i], di, *fs[i + 1:]) for i, di in enumerate(d) if di is not None))


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


def _vec_mul(u, i, J):
    fs = u.factors
    if fs[i].shape == SCALAR:
        return mul(vec(mul(*fs[:i], *fs[i + 1:])), J)
    scalars = [f for f in fs if f.shape == SCALAR]
    chain = [j for j, f in enumerate(fs) if f.shape != SCALAR]
    k = chain.index(i)
    a, b = fs[i].shape
    left = mul(*scalars, *(fs[j] for j in chain[:k])) if k else mul(*scalars, eye(a))
    right = mul(*(fs[j] for j in chain[k + 1:])) if chain[k + 1:] else eye(b)
    return mul(algebra.kron(T(right), left), J)


def _vec_transpose(u, i, J):
    m, n = u.a.shape
    return J if 1 in (m, n) else mul(ir.Commutation(m, n), J)


MAX_POWER_TERMS = ir.env_limit("MATCALC_MAX_POWER_TERMS", 100)


def _terms(k: int) -> range:
    """The k terms of d(Aᵏ), refused past a limit: the exponent is a number, not a loop."""
    if k > MAX_POWER_TERMS:
        raise Unsupported(f"the derivative of a matrix power A^{k} has {k} terms, more than the limit "
                          f"{MAX_POWER_TERMS} (set MATCALC_MAX_POWER_TERMS to raise it)")
    return range(k)


def _d_matpow(u, d):
    A, k, dA = u.a, u.k, d[0]
    return add(*(mul(power(A, j), dA, power(A, k - 1 - j)) for j in _terms(k)))


def _vjp_matpow(u, i, G):
    """Σⱼ (Aʲ)ᵀ G (Aᵏ⁻¹⁻ʲ)ᵀ; when G is g I, as under a trace, the terms are one: k g (Aᵏ⁻¹)ᵀ."""
    A, k = u.a, u.k
    scalars, chain = ir.scalars_and_chain(G)
    if chain and all(isinstance(f, ir.Identity) for f in chain):
        return mul(const(k), *scalars, T(power(A, k - 1)))
    return add(*(mul(T(power(A, j)), G, T(power(A, k - 1 - j))) for j in _terms(k)))


def _d_sympow(u, d):
    """d(a^b) = b a^(b−1) ∘ da + a^b ∘ log(a) db."""
    (a, b), (da, db) = u.kids, d
    by_base = hadamard(mul(b, algebra.sympow(a, sub(b, ONE))), da) if da is not None else None
    by_exponent = mul(hadamard(u, algebra.func("log", a)), db) if db is not None else None
    return add(by_base, by_exponent)


def _vjp_sympow(u, i, G):
    a, b = u.kids
    if i == 0:
        return mul(b, hadamard(G, algebra.sympow(a, sub(b, ONE))))
    return inner(G, hadamard(u, algebra.func("log", a)))


def _d_hadamard(u, d):
    fs = u.factors
    return add(*(hadamard(*fs[:i], di, *fs[i + 1:]) for i, di in enumerate(d) if di is not None))


def _vjp_hadamard(u, i, G):
    return hadamard(G, *(f for j, f in enumerate(u.factors) if j != i))


def _vec_hadamard(u, i, J):
    rest = hadamard(*(f for j, f in enumerate(u.factors) if j != i))
    return mul(diag(vec(rest)), J)


def _d_kron(u, d):
    da, db = d
    return add(algebra.kron(da, u.b) if da is not None else None, algebra.kron(u.a, db) if db is not None else None)


def _kron_vec(u: ir.Kron, i: int) -> ir.Expr:
    """vec(A ⊗ B) = (I_q ⊗ K_{s,p} ⊗ I_r)(vec A ⊗ vec B), A p×q, B r×s (Magnus–Neudecker),
    so ∂vec(A ⊗ B)/∂vec(A)ᵀ = P (I_pq ⊗ vec B) and ∂/∂vec(B)ᵀ = P (vec A ⊗ I_rs)."""
    (p, q), (r, s) = u.a.shape, u.b.shape
    K = eye(p) if 1 in (s, p) else ir.Commutation(s, p)
    P = algebra.kron(algebra.kron(eye(q), K), eye(r))
    if i == 0:
        return mul(P, algebra.kron(eye(ir.size(u.a.shape)), vec(u.b)))
    return mul(P, algebra.kron(vec(u.a), eye(ir.size(u.b.shape))))


def _vjp_kron(u, i, G):
    """U = A ⊗ B, A p×q, B r×s, G_ij the r×s block (i, j) of G: ∂f/∂A_ij = ⟨G_ij, B⟩ and
    ∂f/∂B = Σ A_ij G_ij. A row times a column is an outer product, U = B A or A B; a G that
    is C ⊗ D gives ⟨D, B⟩ C and ⟨C, A⟩ D; any other G has its blocks summed by
    ∂f/∂A = (I ⊗ 1ᵀ)(G ∘ (1 1ᵀ ⊗ B))(I ⊗ 1),  ∂f/∂B = (1ᵀ ⊗ I)(G ∘ (A ⊗ 1 1ᵀ))(1 ⊗ I)."""
    A, B = u.a, u.b
    (p, q), (r, s) = A.shape, B.shape
    if p == 1 and s == 1:  # U = B A
        return mul(T(B), G) if i == 0 else mul(G, T(A))
    if q == 1 and r == 1:  # U = A B
        return mul(G, T(B)) if i == 0 else mul(T(A), G)
    factors = _kron_factors(G, A.shape, B.shape)
    if factors is not None:
        c, C, D = factors
        return mul(c, inner(D, B), C) if i == 0 else mul(c, inner(C, A), D)
    if i == 0:
        return mul(algebra.kron(eye(p), ones((1, r))), hadamard(G, algebra.kron(ones((p, q)), B)),
                   algebra.kron(eye(q), ones((s, 1))))
    return mul(algebra.kron(ones((1, p)), eye(r)), hadamard(G, algebra.kron(A, ones((r, s)))),
               algebra.kron(ones((q, 1)), eye(s)))


def _kron_factors(G, a_shape, b_shape):
    """(c, C, D) with G = c (C ⊗ D), C shaped like A and D like B, where G is written as a
    scaled Kronecker product (through definitions, transposes and inverses); else None."""
    scalars, chain = ir.scalars_and_chain(G)
    factors = _as_kron(chain[0]) if len(chain) == 1 else None
    if factors is None or (factors[0].shape, factors[1].shape) != (a_shape, b_shape):
        return None
    return (mul(*scalars), *factors)


def _as_kron(e):
    """(C, D) with e = C ⊗ D: (C ⊗ D)ᵀ = Cᵀ ⊗ Dᵀ, and (C ⊗ D)⁻¹ = C⁻¹ ⊗ D⁻¹ for square C, D."""
    e = ir.body(e)
    if isinstance(e, ir.Kron):
        return e.a, e.b
    inner_factors = _as_kron(e.a) if isinstance(e, (ir.Transpose, ir.Inverse)) else None
    if inner_factors is None:
        return None
    C, D = inner_factors
    if isinstance(e, ir.Transpose):
        return T(C), T(D)
    if C.shape[0] == C.shape[1] and D.shape[0] == D.shape[1]:
        return inv(C), inv(D)
    return None


def _vjp_vec(u, i, G):
    """U = vec(A), A p×q: ∂f/∂A = unvec(G) = (vec(I_q)ᵀ ⊗ I_p)(I_q ⊗ G), or the matrix
    itself where G is written as the vec of one."""
    p, q = u.a.shape
    M = _unvec(G, (p, q))
    if M is not None:
        return M
    return mul(algebra.kron(T(vec(eye(q))), eye(p)), algebra.kron(eye(q), G))


def _unvec(G, shape):
    """M of the given shape with vec(M) = G, where G reads vec(M), 1, K vec(Mᵀ) = vec(M),
    (P ⊗ Q) vec(N) = vec(Q N Pᵀ), or a scaling, sum or entrywise function, power or product
    of such (vec commutes with them); else None."""
    G = ir.body(G)
    if isinstance(G, (ir.Ones, ir.Zero)):
        return type(G)(shape)
    if isinstance(G, ir.Vec):
        return G.a if G.a.shape == shape else None
    if isinstance(G, (ir.Func, ir.HadPow, ir.Hadamard, ir.Add)):
        parts = tuple(_unvec(k, shape) for k in G.kids)
        return None if any(x is None for x in parts) else algebra.rebuild(G, parts)
    scalars, chain = ir.scalars_and_chain(G)
    if len(chain) == 1 and scalars:
        M = _unvec(chain[0], shape)
        return None if M is None else mul(*scalars, M)
    N = ir.body(chain[-1]).a if len(chain) == 2 and isinstance(ir.body(chain[-1]), ir.Vec) else None
    if N is None:
        return None
    K = chain[0]
    if isinstance(K, ir.Commutation) and (K.m, K.n) == N.shape == shape[::-1]:
        return mul(*scalars, T(N))
    if isinstance(K, ir.Kron) and (K.b.shape[0], K.a.shape[0]) == shape and (K.b.shape[1], K.a.shape[1]) == N.shape:
        return mul(*scalars, K.b, N, T(K.a))
    return None


def _vjp_softmax(u, i, G):
    return sub(hadamard(u, G), mul(mul(T(u), G), u))


def _vec_diagvec(u, i, J):
    n = u.shape[0]
    return mul(algebra.kron(T(ones((n, 1))), eye(n)), diag(vec(eye(n))), J)


def _vec_diagmat(u, i, J):
    n = u.shape[0]
    return mul(diag(vec(eye(n))), algebra.kron(ones((n, 1)), eye(n)), J)


def _passes(u, i, J):
    return J


# -- one record per node type -------------------------------------------------------------
# d identities use dA for the kid's differential; vjp identities use G = ∂f/∂U (g for a
# scalar u); vec identities use J for ∂vec(kid)/∂vec(dX)ᵀ.

RULES: dict[type, NodeRules] = {
    ir.Add: NodeRules(
        "sum",
        d=Rule("d(A + B) = dA + dB", lambda u, d: add(*(x for x in d if x is not None)),
               Example("A x + b", "x", "A")),
        vjp=Rule("U = A + B:  ∂f/∂A = ∂f/∂B = G", lambda u, i, G: G, Example("a' x + b' x", "x", "a + b")),
        vec=Rule("vec(dA + dB) = vec(dA) + vec(dB)", _passes),
    ),
    ir.Mul: NodeRules(
        "product",
        d=Rule("d(A B) = dA B + A dB", _d_mul, Example("A X B", "X", "kron(B', A)")),
        vjp=Rule("U = A B:  ∂f/∂A = G Bᵀ,  ∂f/∂B = Aᵀ G  (scalars: ∂f/∂s = ⟨G, U/s⟩)", _vjp_mul,
                 Example("a' X b", "X", "a b'")),
        vec=Rule("vec(A dX B) = (Bᵀ ⊗ A) vec(dX)", _vec_mul),
    ),
    ir.Transpose: NodeRules(
        "transpose",
        d=Rule("d(Aᵀ) = (dA)ᵀ", lambda u, d: T(d[0]), Example("X'", "X", "commutation(n, m)")),
        vjp=Rule("U = Aᵀ:  ∂f/∂A = Gᵀ", lambda u, i, G: T(G), Example("a' X' b", "X", "b a'")),
        vec=Rule("vec(dAᵀ) = K vec(dA), K the commutation matrix", _vec_transpose),
    ),
    ir.Inverse: NodeRules(
        "inverse",
        d=Rule("d(A⁻¹) = −A⁻¹ dA A⁻¹", lambda u, d: neg(mul(u, d[0], u)),
               Example("X^-1", "X", "-kron(X^-T, X^-1)")),
        vjp=Rule("U = A⁻¹:  ∂f/∂A = −A⁻ᵀ G A⁻ᵀ", lambda u, i, G: neg(mul(T(u), G, T(u))),
                 Example("a' X^-1 b", "X", "-X^-T a b' X^-T")),
        vec=NONLINEAR,
    ),
    ir.MatPow: NodeRules(
        "matrix power",
        d=Rule("d(Aᵏ) = Σⱼ Aʲ dA Aᵏ⁻¹⁻ʲ", _d_matpow, Example("X^2", "X", "kron(X', eye(n)) + kron(eye(n), X)")),
        vjp=Rule("U = Aᵏ:  ∂f/∂A = Σⱼ (Aʲ)ᵀ G (Aᵏ⁻¹⁻ʲ)ᵀ", _vjp_matpow, Example("tr(X^3)", "X", "3 (X')^2")),
        vec=NONLINEAR,
    ),
    ir.Pow: NodeRules(
        "power",
        d=Rule("d(aᵏ) = k aᵏ⁻¹ da", lambda u, d: mul(const(u.k), power(u.a, u.k - 1), d[0]),
               Example("(a' x)^3 b", "x", "3 (a' x)^2 b a'")),
        vjp=Rule("u = aᵏ:  ∂f/∂a = k aᵏ⁻¹ g", lambda u, i, G: mul(const(u.k), power(u.a, u.k - 1), G),
                 Example("(a' x)^3", "x", "3 (a' x)^2 a")),
        vec=NONLINEAR,
    ),
    ir.Hadamard: NodeRules(
        "entrywise product",
        d=Rule("d(A ∘ B) = dA ∘ B + A ∘ dB", _d_hadamard, Example("x .* y", "x", "diag(y)")),
        vjp=Rule("U = A ∘ B:  ∂f/∂A = G ∘ B", _vjp_hadamard, Example("sum(x .* y .* x)", "x", "2 (y .* x)")),
        vec=Rule("vec(B ∘ dA) = diag(vec B) vec(dA)", _vec_hadamard),
    ),
    ir.HadPow: NodeRules(
        "entrywise power",
        d=Rule("d(A.^k) = k A.^(k−1) ∘ dA", lambda u, d: mul(const(u.k), hadamard(hadpow(u.a, u.k - 1), d[0])),
               Example("x .^ 3", "x", "3 diag(x .^ 2)")),
        vjp=Rule("U = A.^k:  ∂f/∂A = k G ∘ A.^(k−1)",
                 lambda u, i, G: mul(const(u.k), hadamard(G, hadpow(u.a, u.k - 1))),
                 Example("sum(x .^ 3)", "x", "3 x .^ 2")),
        vec=NONLINEAR,
    ),
    ir.SymPow: NodeRules(
        "symbolic power",
        d=Rule("d(a^b) = b a^(b−1) ∘ da + a^b ∘ log(a) db", _d_sympow,
               Example("x .^ p", "x", "p diag(x .^ (p - 1))")),
        vjp=Rule("U = A.^b:  ∂f/∂A = b G ∘ A.^(b−1),  ∂f/∂b = ⟨G, U ∘ log(A)⟩", _vjp_sympow,
                 Example("sum(x .^ p)", "p", "sum(x .^ p .* log(x))")),
        vec=NONLINEAR,
    ),
    ir.Func: NodeRules(
        "entrywise function",
        d=Rule("d f(A) = f′(A) ∘ dA", lambda u, d: hadamard(fprime(u), d[0]),
               Example("exp(x)", "x", "diag(exp(x))")),
        vjp=Rule("U = f(A):  ∂f/∂A = G ∘ f′(A)", lambda u, i, G: hadamard(G, fprime(u)),
                 Example("sum(exp(A x))", "x", "A' exp(A x)")),
        vec=NONLINEAR,
    ),
    ir.Kron: NodeRules(
        "kron",
        d=Rule("d(A ⊗ B) = dA ⊗ B + A ⊗ dB", _d_kron,
               Example("kron(X, B)", "X", "kron(kron(eye(m), commutation(q, n)), eye(p)) kron(eye(m*n), vec(B))")),
        vjp=Rule("U = A ⊗ B:  ∂f/∂A = (I ⊗ 1ᵀ)(G ∘ (1 1ᵀ ⊗ B))(I ⊗ 1),  ∂f/∂B = (1ᵀ ⊗ I)(G ∘ (A ⊗ 1 1ᵀ))(1 ⊗ I)",
                 _vjp_kron,
                 Example("logdet(kron(A, X))", "X", "tr(eye(n)) X^-T")),
        vec=Rule("vec(A ⊗ B) = (I ⊗ K ⊗ I)(vec A ⊗ vec B)", lambda u, i, J: mul(_kron_vec(u, i), J)),
    ),
    ir.Trace: NodeRules(
        "trace",
        d=Rule("d tr(A) = tr(dA)", lambda u, d: trace(d[0]), Example("tr(A X) b", "X", "b vec(A')'")),
        vjp=Rule("u = tr(A):  ∂f/∂A = g I", lambda u, i, G: mul(G, eye(u.a.shape[0])),
                 Example("tr(A X)", "X", "A'")),
        vec=Rule("tr(dA) = vec(I)ᵀ vec(dA)", lambda u, i, J: mul(T(vec(eye(u.a.shape[0]))), J)),
    ),
    ir.Det: NodeRules(
        "determinant",
        d=Rule("d det(A) = det(A) tr(A⁻¹ dA)", lambda u, d: mul(u, trace(mul(inv(u.a), d[0]))),
               Example("det(X) a", "X", "det(X) a vec(X^-T)'")),
        vjp=Rule("u = det(A):  ∂f/∂A = g det(A) A⁻ᵀ", lambda u, i, G: mul(G, u, T(inv(u.a))),
                 Example("det(X)", "X", "det(X) X^-T")),
        vec=NONLINEAR,
    ),
    ir.LogDet: NodeRules(
        "log-determinant",
        d=Rule("d logdet(A) = tr(A⁻¹ dA)", lambda u, d: trace(mul(inv(u.a), d[0])),
               Example("logdet(X) a", "X", "a vec(X^-T)'")),
        vjp=Rule("u = logdet(A):  ∂f/∂A = g A⁻ᵀ", lambda u, i, G: mul(G, T(inv(u.a))),
                 Example("logdet(X)", "X", "X^-T")),
        vec=NONLINEAR,
    ),
    ir.Sum: NodeRules(
        "sum of entries",
        d=Rule("d sum(A) = sum(dA)", lambda u, d: algebra.sum_(d[0]), Example("sum(X) a", "X", "a ones(1, m*n)")),
        vjp=Rule("u = sum(A):  ∂f/∂A = g 1 1ᵀ", lambda u, i, G: mul(G, ones(u.a.shape)),
                 Example("sum(A X)", "X", "A' ones(n, p)")),
        vec=Rule("sum(dA) = 1ᵀ vec(dA)", lambda u, i, J: mul(T(ones((ir.size(u.a.shape), 1))), J)),
    ),
    ir.Norm: NodeRules(
        "norm",
        d=Rule("d‖a‖ = ⟨a, da⟩/‖a‖", lambda u, d: mul(power(u, -1), inner(u.a, d[0])),
               Example("||x|| a", "x", "1/||x|| a x'")),
        vjp=Rule("u = ‖a‖:  ∂f/∂a = g a/‖a‖", lambda u, i, G: mul(G, power(u, -1), u.a),
                 Example("||x||", "x", "x/||x||")),
        vec=NONLINEAR,
    ),
    ir.LogSumExp: NodeRules(
        "logsumexp",
        d=Rule("d logsumexp(a) = softmax(a)ᵀ da", lambda u, d: inner(algebra.softmax(u.a), d[0]),
               Example("logsumexp(x) a", "x", "a softmax(x)'")),
        vjp=Rule("u = logsumexp(a):  ∂f/∂a = g softmax(a)", lambda u, i, G: mul(G, algebra.softmax(u.a)),
                 Example("logsumexp(W x)", "W", "softmax(W x) x'")),
        vec=NONLINEAR,
    ),
    ir.Softmax: NodeRules(
        "softmax",
        d=Rule("d softmax(a) = s ∘ da − s (sᵀ da)", lambda u, d: sub(hadamard(u, d[0]), mul(inner(u, d[0]), u)),
               Example("softmax(x)", "x", "diag(softmax(x)) - softmax(x) softmax(x)'")),
        vjp=Rule("s = softmax(a):  ∂f/∂a = s ∘ g − s (sᵀ g)", _vjp_softmax,
                 Example("a' softmax(x)", "x", "softmax(x) .* a - (softmax(x)' a) softmax(x)")),
        vec=NONLINEAR,
    ),
    ir.DiagMat: NodeRules(
        "diag",
        d=Rule("d diag(a) = diag(da)", lambda u, d: diag(d[0]), Example("diag(x) a", "x", "diag(a)")),
        vjp=Rule("U = diag(a):  ∂f/∂a = diag(G)", lambda u, i, G: diag(G),
                 Example("tr(diag(x) A)", "x", "diag(A')")),
        vec=Rule("diag(a) = I ∘ (a 1ᵀ):  vec(diag(da)) = diag(vec I) (1 ⊗ I) da", _vec_diagmat),
    ),
    ir.DiagVec: NodeRules(
        "diag",
        d=Rule("d diag(A) = diag(dA)", lambda u, d: diag(d[0]),
               Example("diag(X)", "X", "kron(ones(1, n), eye(n)) diag(vec(eye(n)))")),
        vjp=Rule("u = diag(A):  ∂f/∂A = diag(g)", lambda u, i, G: diag(G), Example("a' diag(X)", "X", "diag(a)")),
        vec=Rule("diag(A) = (I ∘ A) 1:  diag(dA) = (1ᵀ ⊗ I) diag(vec I) vec(dA)", _vec_diagvec),
    ),
    ir.Vec: NodeRules(
        "vec",
        d=Rule("d vec(A) = vec(dA)", lambda u, d: vec(d[0]), Example("vec(X)", "X", "eye(m*n)")),
        vjp=Rule("U = vec(A):  ∂f/∂A = unvec(G) = (vec(I)ᵀ ⊗ I)(I ⊗ G)", _vjp_vec,
                 Example("a' vec(X)", "X", "kron(vec(eye(m))', eye(n)) kron(eye(m), a)")),
        vec=Rule("vec(vec(dA)) = vec(dA)", _passes),
    ),
    ir.Ref: NodeRules(
        "definition",
        d=Rule("d h = d(body)", lambda u, d: d[0],
               Example("W2 h where h = tanh(W1 x)", "x", "W2 diag(ones(n) - h .^ 2) W1 where h = tanh(W1 x)")),
        vjp=Rule("h = body:  ∂f/∂(body) = ∂f/∂h", lambda u, i, G: G,
                 Example("||h||^2 where h = A x", "x", "2 A' h where h = A x")),
        vec=Rule("h = body:  J of h = J of body", _passes),
        bookkeeping=True,
    ),
}

SQUARED_NORM = Fused("squared norm", "reverse", Rule(
    "u = ‖a‖²:  ∂f/∂a = 2 g a", lambda u, a, G: mul(const(2), G, a),
    Example("||A x - b||^2", "x", "2 A' (A x - b)")))
LOG_SOFTMAX = Fused("log-softmax", "reverse", Rule(
    "u = log(softmax(z)):  ∂f/∂z = g − sum(g) softmax(z)",
    lambda u, z, G: sub(G, mul(algebra.sum_(G), algebra.softmax(z))),
    Example("-y' log(softmax(x))", "x", "sum(y) softmax(x) - y")))
FORWARD_LOG_SOFTMAX = Fused("log-softmax", "differential", Rule(
    "d log(softmax(z)) = dz − 1 softmax(z)ᵀ dz",
    lambda u, z, dz: sub(dz, mul(ones(z.shape), inner(algebra.softmax(z), dz))),
    Example("log(softmax(x))", "x", "I - ones(n) softmax(x)'")))
FUSED = (SQUARED_NORM, LOG_SOFTMAX, FORWARD_LOG_SOFTMAX)


def _fused(u: ir.Expr):
    """(reverse rule, inner argument) where two nodes are one rule as a person would use it:
    ‖a‖² rather than 2‖a‖ times a/‖a‖; log∘softmax rather than 1 ./ s through softmax."""
    if isinstance(u, ir.Pow) and u.k == 2 and isinstance(ir.body(u.a), ir.Norm):
        return SQUARED_NORM, ir.body(u.a).a
    if isinstance(u, ir.Func) and u.name == "log" and isinstance(ir.body(u.a), ir.Softmax):
        return LOG_SOFTMAX, ir.body(u.a).a
    return None


# -- reverse mode: G = ∂f/∂U  ->  ∂f/∂(child i) ---------------------------------------------

def _pull(r: NodeRules, u: ir.Expr, i: int, G: ir.Expr) -> ir.Expr:
    if isinstance(r.vjp, Refused):
        raise Unsupported(r.vjp.reason)
    return r.vjp.fn(u, i, G)


def _edges(u: ir.Expr):
    """(child, kid index, rule name, identity, G -> ∂f/∂child) for each edge out of u."""
    fused = _fused(u)
    if fused:
        f, a = fused
        yield a, None, f.name, f.rule.identity, lambda G: f.rule.fn(u, a, G)
        return
    r = RULES[type(u)]
    identity = r.vjp.identity if isinstance(r.vjp, Rule) else r.vjp.reason
    for i, child in enumerate(u.kids):
        yield child, i, r.name, identity, lambda G, i=i: _pull(r, u, i, G)


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
                steps.append(Step(name, identity, u, child, G, part, "reverse", RULES[type(u)].bookkeeping, i))
            adjoint.setdefault(child, []).append(part)
    return add(*adjoint[X])


# -- forward mode: differentials ----------------------------------------------------------

def differential(F: ir.Expr, X: ir.Expr, dX: ir.Expr, steps: list | None = None) -> ir.Expr:
    """dF when X moves by dX (dX = 1 for a scalar X gives dF/dX)."""
    order, depends = _postorder(F, X)
    if F not in depends:
        return zero(F.shape)
    d: dict[ir.Expr, ir.Expr] = {X: dX}
    for u in order:
        if u is X:
            continue
        fused = _fused(u)
        r = RULES[type(u)]
        if fused and fused[0] is LOG_SOFTMAX:
            z = fused[1]
            name, identity = FORWARD_LOG_SOFTMAX.name, FORWARD_LOG_SOFTMAX.rule.identity
            d[u] = FORWARD_LOG_SOFTMAX.rule.fn(u, z, d[z])
        else:
            name, identity = r.name, r.d.identity
            dk = [d.get(k) if k in depends else None for k in u.kids]
            d[u] = r.d.fn(u, dk)
        if steps is not None:  # a sum passing one differential through is bookkeeping
            passing = isinstance(u, ir.Add) and d[u] in dk
            steps.append(Step(name, identity, u, None, None, d[u], "forward", r.bookkeeping or passing))
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
            J[u] = _vec_step(u, [J[k] if k in depends else None for k in u.kids])
    return J[L]


def _vec_step(u: ir.Expr, Jk: list) -> ir.Expr:
    """J of u from its kids' (None where a kid holds no dX): only a sum has several."""
    r = RULES[type(u)]
    if isinstance(r.vec, Refused):  # pragma: no cover - a bug in a differential rule
        raise AssertionError(f"{type(u).__name__}: {r.vec.reason}")
    live = [(i, j) for i, j in enumerate(Jk) if j is not None]
    if isinstance(u, ir.Add):
        return add(*(r.vec.fn(u, i, j) for i, j in live))
    if len(live) != 1:
        raise AssertionError("a differential is linear: one factor of a product holds dX")
    return r.vec.fn(u, *live[0])


def pull(step: Step, G: ir.Expr) -> ir.Expr:
    """A reverse step's rule applied again to another ∂f/∂(node): a trace writes the
    upstream gradient by name (g3) instead of in full."""
    if step.index is None:
        f, a = _fused(step.node)
        return f.rule.fn(step.node, a, G)
    return _pull(RULES[type(step.node)], step.node, step.index, G)


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
        L = RULES[type(u)].d.fn(u, d)
    return vec_jacobian(L, dC)
