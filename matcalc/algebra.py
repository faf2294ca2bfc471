"""Smart constructors: canonical form, and nothing that needs a name.

Constructors check shapes and bring a node to canonical form: sums and products
flattened, constants folded, zeros, ones and identity matrices dropped, like terms and
like factors merged, scalars in front, transposes resting on names. That is the whole
contract; identities with names (A A⁻¹ = I, the mixed product, tr(a bᵀ) = bᵀ a, ...)
live in simplify.py, where they are recorded. Imports ir only.
"""
from __future__ import annotations

from fractions import Fraction

from .ir import (
    LEAVES, ONE, Q1, SCALAR, Add, Commutation, Const, Det, Dim, Shape, DiagMat, DiagVec, Expr, Func, HadPow, Hadamard,
    Identity, Inverse, Kron, LogDet, LogSumExp, MatPow, Mul, Norm, Ones, Pow, Ref, ShapeError, Softmax,
    Sum, Sym, SymPow, Trace, Transpose, Vec, Zero, dim_mul, scalars_and_chain, show_shape, size, split_coeff,
)


def const(v) -> Const:
    return Const(v if type(v) is Fraction else Fraction(v))


def zero(shape: Shape) -> Expr:
    return const(0) if shape == SCALAR else Zero(tuple(shape))


def ones(shape: Shape) -> Expr:
    return ONE if shape == SCALAR else Ones(tuple(shape))


def eye(n: Dim) -> Expr:
    return ONE if n == 1 else Identity(n)


def is_zero(e: Expr) -> bool:
    return isinstance(e, Zero) or (isinstance(e, Const) and e.value == 0)


def add(*terms: Expr) -> Expr:
    """A sum with like terms merged (x + x = 2 x) and zeros dropped."""
    if len(terms) == 1 and terms[0] is not None and type(terms[0]) is not Add:
        return terms[0]  # a lone term is its own sum (a lone zero too), as the loop below would find
    flat: list[Expr] = []
    for t in terms:
        if t is None:
            continue
        flat.extend(t.terms if isinstance(t, Add) else (t,))
    if not flat:
        raise ValueError("add() of nothing")
    shape = flat[0].shape
    for t in flat[1:]:
        if t.shape != shape:
            raise ShapeError(f"cannot add {show_shape(shape)} and {show_shape(t.shape)}")
    coeffs: dict[Expr, Fraction] = {}
    as_is: dict[Expr, Expr] = {}  # a term met once is kept, not rebuilt: sums grow in O(n)
    for t in flat:
        c, rest = split_coeff(t)
        if c != 0 and not isinstance(rest, Zero):
            if rest in coeffs:
                as_is.pop(rest, None)
            else:
                as_is[rest] = t
            coeffs[rest] = coeffs[rest] + c if rest in coeffs else c
    out = [as_is.get(rest) or mul(const(c), rest) for rest, c in coeffs.items() if c != 0]
    out = _positive_first(_transposes_last(out))
    if not out:
        return zero(shape)
    return out[0] if len(out) == 1 else Add(tuple(out))


def _transposes_last(terms: list[Expr]) -> list[Expr]:
    """Write A + Aᵀ rather than Aᵀ + A: a term's transpose follows right after the term."""
    if len(terms) < 2 or not any(isinstance(split_coeff(t)[1], Transpose) for t in terms):
        return terms
    present = set(terms)
    moved = {t.a: t for t in terms if isinstance(t, Transpose) and t.a in present}
    out = []
    for t in terms:
        if not (isinstance(t, Transpose) and t.a in present):
            out.append(t)
            if t in moved:
                out.append(moved[t])
    return out


def _positive_first(terms: list[Expr]) -> list[Expr]:
    """b - a rather than -a + b: a sum that opens with a negative term puts its positive
    terms first, in their order (one sign fewer to print)."""
    if not terms or split_coeff(terms[0])[0] > 0:
        return terms
    return sorted(terms, key=lambda t: split_coeff(t)[0] < 0)


def sub(a: Expr, b: Expr) -> Expr:
    return add(a, neg(b))


def neg(a: Expr) -> Expr:
    return mul(const(-1), a)


# A product (or an entrywise product) of more factors than this is kept whole inside a
# bigger one: flattening it into every product built from it would make a chain k deep
# cost k² (deep input; issue 11).
MAX_FLAT = 64


def _mul_parts(x: Expr, coeff: list, scalars: list, chain: list, eyes: list):
    if isinstance(x, Const):
        if x.value != 1:
            coeff[0] *= x.value
    elif isinstance(x, Mul) and len(x.factors) > MAX_FLAT:
        (scalars if x.shape == SCALAR else chain).append(x)
    elif isinstance(x, Mul):
        inner_chain = [f for f in x.factors if f.shape != SCALAR]
        if x.shape == SCALAR and inner_chain:
            # a scalar-valued chain (x' A x) stays one scalar factor; its scalars come out
            for f in x.factors:
                if f.shape == SCALAR:
                    _mul_parts(f, coeff, scalars, chain, eyes)
            scalars.append(inner_chain[0] if len(inner_chain) == 1 else Mul(tuple(inner_chain)))
        else:
            for f in x.factors:
                _mul_parts(f, coeff, scalars, chain, eyes)
    elif x.shape == SCALAR:
        scalars.append(x)
    elif isinstance(x, Identity):
        eyes.append(x)
    else:
        chain.append(x)


def mul(*factors: Expr) -> Expr:
    """A product: constants multiplied, scalars collected in front, identities dropped."""
    plain = _plain_product(factors)
    if plain is not None:
        return plain[0] if len(plain) == 1 else Mul(plain)
    coeff, scalars, chain, eyes = [Q1], [], [], []
    for f in factors:
        _mul_parts(f, coeff, scalars, chain, eyes)
    for left, right in zip(chain, chain[1:]):
        if left.shape[1] != right.shape[0]:
            raise ShapeError(f"cannot multiply {show_shape(left.shape)} and {show_shape(right.shape)}")
    if chain:  # identities in a chain are absorbed
        shape = (chain[0].shape[0], chain[-1].shape[1])
    elif eyes:
        shape = eyes[0].shape
        chain = [eyes[0]]
    else:
        shape = SCALAR
    c = coeff[0]
    if c == 0 or any(is_zero(f) for f in scalars + chain):
        return zero(shape)
    chain = _lift_scalars(chain, scalars)
    if not chain and shape != SCALAR:
        chain = [eye(shape[0])]
    if shape == SCALAR and chain and scalars:  # α (x' x): a scalar chain among scalars is one factor
        scalars, chain = scalars + [Mul(tuple(chain))], []
    scalars = _merge_powers(scalars)
    if any(is_zero(f) for f in scalars):
        return zero(shape)
    if shape == SCALAR and len(scalars) == 1 and isinstance(scalars[0], Mul):  # 2 x' x, one way only
        scalars, chain = [], list(scalars[0].factors)
    out = ([const(c)] if c != 1 else []) + scalars + chain
    if not out:
        return ONE
    if len(out) == 1:
        return out[0]
    return Mul(tuple(out))


def _plain_product(factors) -> tuple | None:
    """The factors in canonical order where there is nothing more to canonical form: a
    nonzero constant first or none, then matrices (no scalar, identity or zero among
    them, shapes that fit, no 1×1 stretch inside), as most products the typer and the
    rules build are. None for any other, which the general path takes."""
    c = None
    if factors and type(factors[0]) is Const:
        c, factors = factors[0], factors[1:]
        if c.value == 0 or not factors:
            return None
    elif len(factors) < 2:
        return None
    out: list = []
    for f in factors:
        if type(f) is Mul:
            if f.shape == SCALAR or len(f.factors) > MAX_FLAT:
                return None
            for g in f.factors:
                if g.shape == SCALAR or type(g) in _NOT_PLAIN:
                    return None
            out.extend(f.factors)
        elif f.shape == SCALAR or type(f) in _NOT_PLAIN:
            return None
        else:
            out.append(f)
    rows_one = None
    for i, f in enumerate(out):
        if i and out[i - 1].shape[1] != f.shape[0]:
            return None  # the general path says which shapes do not fit
        if rows_one is None and f.shape[0] == 1:
            rows_one = i
        if rows_one is not None and f.shape[1] == 1 and (rows_one, i) != (0, len(out) - 1):
            return None  # x' A x inside a longer chain: a scalar the general path lifts out
    return tuple(out) if c is None or c.value == 1 else (c, *out)


_NOT_PLAIN = (Mul, Identity, Zero)


def _lift_scalars(chain: list[Expr], scalars: list[Expr]) -> list[Expr]:
    """A x (x' y) is A x times a scalar: a 1×1 stretch inside a longer chain commutes,
    so it moves to the scalars, whichever way the product was bracketed."""
    i = 0
    while i < len(chain):
        if chain[i].shape[0] == 1:
            j = next((j for j in range(i, len(chain)) if chain[j].shape[1] == 1), None)
            if j is not None and j - i + 1 < len(chain):
                seg = chain[i:j + 1]
                scalars.append(Mul(tuple(seg)))
                chain = chain[:i] + chain[j + 1:]
                i = 0
                continue
        i += 1
    return chain


def _base_exp(e: Expr) -> tuple[Expr, Fraction]:
    return (e.a, e.k) if isinstance(e, Pow) else (e, Q1)


def _merge_powers(scalars: list[Expr]) -> list[Expr]:
    """N · N⁻¹ = 1, ‖r‖² ‖r‖⁻¹ = ‖r‖; scalar factors in a stable order."""
    exps: dict[Expr, Fraction] = {}
    for s in scalars:
        b, k = _base_exp(s)
        exps[b] = exps[b] + k if b in exps else k
    out = [power(b, k) for b, k in exps.items() if k != 0]
    return sorted(out, key=lambda s: _base_exp(s)[0].key)


def T(a: Expr) -> Expr:
    """The transpose, pushed through products so that it rests on names."""
    if a.shape == SCALAR:
        return a
    if isinstance(a, Transpose):
        return a.a
    if isinstance(a, Sym) and a.symmetric:
        return a
    if isinstance(a, (Identity, DiagMat)):
        return a
    if isinstance(a, (Ones, Zero)):
        return type(a)((a.shape[1], a.shape[0]))
    if isinstance(a, Commutation):
        return Commutation(a.n, a.m)
    if isinstance(a, Mul):
        scalars, chain = scalars_and_chain(a)
        return mul(*scalars, *(T(f) for f in reversed(chain)))
    if isinstance(a, Inverse):
        return inv(T(a.a))
    if isinstance(a, MatPow):
        return power(T(a.a), a.k)
    if isinstance(a, Hadamard):
        return hadamard(*(T(f) for f in a.factors))
    if isinstance(a, Kron):
        return kron(T(a.a), T(a.b))
    if isinstance(a, Add):
        flipped = [T(t) for t in a.terms]
        if set(flipped) == set(a.terms):
            return a
        if all(isinstance(split_coeff(t)[1], (Sym, Transpose, Identity)) for t in a.terms):
            return add(*flipped)  # (A + Bᵀ)ᵀ = Aᵀ + B; (X W − y)ᵀ stays as written
    return Transpose(a)


def inv(a: Expr) -> Expr:
    if a.shape == SCALAR:
        return power(a, -1)
    if a.shape[0] != a.shape[1]:
        raise ShapeError(f"cannot invert the non-square {show_shape(a.shape)}")
    if isinstance(a, Zero):
        raise ShapeError("cannot invert a zero matrix")
    if isinstance(a, Inverse):
        return a.a
    if isinstance(a, Identity):
        return a
    if isinstance(a, Transpose) and isinstance(a.a, Inverse):
        return T(a.a.a)
    if isinstance(a, Mul) and a.factors[0].shape == SCALAR:
        scalars, chain = scalars_and_chain(a)
        return mul(power(mul(*scalars), -1), inv(mul(*chain)))
    return Inverse(a)


def power(a: Expr, k) -> Expr:
    """a^k: a rational power of a scalar, an integer power of a square matrix."""
    k = k if type(k) is Fraction else Fraction(k)
    if a.shape != SCALAR:
        if a.shape[0] != a.shape[1]:
            raise ShapeError(f"cannot raise the non-square {show_shape(a.shape)} to a power")
        if k.denominator != 1:
            raise ShapeError("a matrix power must be an integer")
        k = int(k)
        if k == 0:
            return eye(a.shape[0])
        if k < 0:
            return power(inv(a), -k)
        if k == 1:
            return a
        if isinstance(a, MatPow):
            return MatPow(a.a, a.k * k)
        if isinstance(a, Identity):
            return a
        return MatPow(a, k)
    if k == 0:
        return ONE
    if k == 1:
        return a
    if isinstance(a, Const):
        if a.value == 0 and k < 0:
            raise ShapeError("division by zero")
        if k.denominator == 1 and _digits(a.value, k) <= MAX_FOLDED_DIGITS:
            return Const(a.value ** int(k))
        return Pow(a, k)  # 2^999999999 stays a power: folding it would never end
    if isinstance(a, Pow) and k.denominator == 1:
        return power(a.a, a.k * k)
    if isinstance(a, Mul) and k.denominator == 1 and all(f.shape == SCALAR for f in a.factors):
        return mul(*(power(f, k) for f in a.factors))
    return Pow(a, k)


MAX_FOLDED_DIGITS = 300


def _digits(v: Fraction, k: Fraction) -> float:
    """About how many digits v^k has: large exponents of numbers are kept, not computed."""
    import math

    big = max(abs(v.numerator), v.denominator)
    return 0 if big <= 1 else abs(k) * math.log10(big)


def hadamard(*factors: Expr) -> Expr:
    """An entrywise product: scalar factors become scaling, ones drop, powers merge."""
    scalars, mats = [], []
    todo = list(reversed(factors))
    while todo:
        g = todo.pop()
        if isinstance(g, Hadamard) and len(g.factors) <= MAX_FLAT:  # a longer one stays whole (as mul)
            todo.extend(reversed(g.factors))
        elif isinstance(g, Mul) and g.shape != SCALAR and g.factors[0].shape == SCALAR:
            scalars.extend(x for x in g.factors if x.shape == SCALAR)  # (2 a) ∘ b = 2 (a ∘ b)
            chain = [x for x in g.factors if x.shape != SCALAR]
            todo.append(chain[0] if len(chain) == 1 else Mul(tuple(chain)))
        else:
            (scalars if g.shape == SCALAR else mats).append(g)
    if not mats:
        return mul(*scalars)
    shape = mats[0].shape
    for m in mats[1:]:
        if m.shape != shape:
            raise ShapeError(f"cannot multiply entrywise {show_shape(shape)} and {show_shape(m.shape)}")
    if any(is_zero(m) for m in mats):
        return zero(shape)
    exps: dict[Expr, Fraction] = {}
    for m in mats:
        b, k = (m.a, m.k) if isinstance(m, HadPow) else (m, Q1)
        exps[b] = exps[b] + k if b in exps else k
    mats = [hadpow(b, k) for b, k in exps.items() if k != 0]
    mats = [m for m in mats if not isinstance(m, Ones)]
    if not mats:
        mats = [ones(shape)]
    body = mats[0] if len(mats) == 1 else Hadamard(tuple(mats))
    return mul(*scalars, body)


def hadpow(a: Expr, k) -> Expr:
    k = k if type(k) is Fraction else Fraction(k)
    if a.shape == SCALAR:
        return power(a, k)
    if isinstance(a, Zero) and k < 0:
        raise ShapeError("division by zero")
    if k == 0:
        return ones(a.shape)
    if k == 1 or isinstance(a, Ones):
        return a
    if isinstance(a, HadPow) and k.denominator == 1:
        return hadpow(a.a, a.k * k)
    if isinstance(a, Mul) and len(a.factors) == 2 and a.factors[0].shape == SCALAR:
        return mul(power(a.factors[0], k), hadpow(a.factors[1], k))
    return HadPow(a, k)


def sympow(a: Expr, b: Expr) -> Expr:
    """a .^ b for a scalar b: a number b is an ordinary power."""
    if b.shape != SCALAR:
        raise ShapeError(f"an exponent must be a scalar, not {show_shape(b.shape)}")
    if isinstance(b, Const):
        return hadpow(a, b.value)
    if isinstance(a, Const) and a.value == 1 or isinstance(a, Ones):
        return a
    return SymPow(a, b)


def kron(a: Expr, b: Expr) -> Expr:
    if a.shape == SCALAR or b.shape == SCALAR:
        return mul(a, b)
    if isinstance(a, Identity) and isinstance(b, Identity):
        return Identity(dim_mul(a.n, b.n))
    if is_zero(a) or is_zero(b):
        return zero(Kron(a, b).shape)
    (sa, ca), (sb, cb) = scalars_and_chain(a), scalars_and_chain(b)
    if sa or sb:  # (s A) ⊗ B = s (A ⊗ B): scalars in front
        return mul(*sa, *sb, kron(mul(*ca), mul(*cb)))
    return Kron(a, b)


def func(name: str, a: Expr) -> Expr:
    if is_zero(a) and name in ("sin", "tan", "tanh", "sqrt", "abs", "relu", "sign", "step"):
        return a
    if is_zero(a) and name in ("exp", "cos"):
        return ones(a.shape)
    return Func(name, a)


def trace(a: Expr) -> Expr:
    if a.shape == SCALAR:
        return a
    if a.shape[0] != a.shape[1]:
        raise ShapeError(f"cannot take the trace of the non-square {show_shape(a.shape)}")
    if isinstance(a, Zero):
        return const(0)
    if isinstance(a, Transpose):
        return trace(a.a)
    if isinstance(a, Mul):
        scalars, chain = scalars_and_chain(a)
        if scalars:
            return mul(*scalars, trace(mul(*chain)))
    return Trace(a)


def det(a: Expr) -> Expr:
    if a.shape == SCALAR:
        return a
    if a.shape[0] != a.shape[1]:
        raise ShapeError(f"cannot take the determinant of the non-square {show_shape(a.shape)}")
    if isinstance(a, Transpose):
        return det(a.a)
    if isinstance(a, Identity):
        return ONE
    return Det(a)


def logdet(a: Expr) -> Expr:
    if a.shape == SCALAR:
        return func("log", a)
    if a.shape[0] != a.shape[1]:
        raise ShapeError(f"cannot take the determinant of the non-square {show_shape(a.shape)}")
    if isinstance(a, Transpose):
        return logdet(a.a)
    if isinstance(a, Identity):
        return const(0)
    return LogDet(a)


def sum_(a: Expr) -> Expr:
    if a.shape == SCALAR:
        return a
    if isinstance(a, Transpose):
        return sum_(a.a)
    if isinstance(a, Zero):
        return const(0)
    if isinstance(a, Mul) and a.factors[0].shape == SCALAR:  # scalars in front
        scalars = [f for f in a.factors if f.shape == SCALAR]
        return mul(*scalars, sum_(mul(*(f for f in a.factors if f.shape != SCALAR))))
    return Sum(a)


def norm(a: Expr) -> Expr:
    if a.shape == SCALAR:
        return func("abs", a)
    if isinstance(a, Transpose):
        return norm(a.a)
    return Norm(a)


def diag(a: Expr) -> Expr:
    if a.shape == SCALAR:
        return a
    if isinstance(a, Zero) and (a.shape[1] == 1 or a.shape[0] == a.shape[1]):  # zeros fold, as in products
        return Zero((a.shape[0], a.shape[0])) if a.shape[1] == 1 else Zero((a.shape[0], 1))
    if a.shape[1] == 1:
        if isinstance(a, Ones):
            return Identity(a.shape[0])
        return DiagMat(a)
    if a.shape[0] != a.shape[1]:
        raise ShapeError(f"diag needs a vector or a square matrix, not {show_shape(a.shape)}")
    if isinstance(a, DiagMat):
        return a.a
    if isinstance(a, Mul) and a.factors[0].shape == SCALAR:  # diag(c A) = c diag(A)
        scalars = [f for f in a.factors if f.shape == SCALAR]
        return mul(*scalars, diag(mul(*(f for f in a.factors if f.shape != SCALAR))))
    if isinstance(a, Identity):
        return Ones((a.n, 1))
    return DiagVec(a)


def vec(a: Expr) -> Expr:
    if a.shape[1] == 1:
        return a
    if a.shape[0] == 1:
        return T(a)
    if isinstance(a, Zero):
        return Zero((size(a.shape), 1))
    return Vec(a)


def softmax(a: Expr) -> Expr:
    return Softmax(a)


def logsumexp(a: Expr) -> Expr:
    return LogSumExp(a)


def inner(G: Expr, M: Expr) -> Expr:
    """⟨G, M⟩ = tr(Gᵀ M), written the way a person would for each shape."""
    if G.shape == SCALAR:
        return mul(G, M)
    if G.shape[1] == 1:
        return mul(T(G), M)
    if G.shape[0] == 1:
        return mul(G, T(M))
    return trace(mul(T(G), M))


# -- the same operation on new children -------------------------------------------------------

REBUILD = {
    Add: lambda e, k: add(*k),
    Mul: lambda e, k: mul(*k),
    Hadamard: lambda e, k: hadamard(*k),
    Kron: lambda e, k: kron(*k),
    Transpose: lambda e, k: T(k[0]),
    Inverse: lambda e, k: inv(k[0]),
    MatPow: lambda e, k: power(k[0], e.k),
    Pow: lambda e, k: power(k[0], e.k),
    HadPow: lambda e, k: hadpow(k[0], e.k),
    SymPow: lambda e, k: sympow(*k),
    Func: lambda e, k: func(e.name, k[0]),
    Trace: lambda e, k: trace(k[0]),
    Det: lambda e, k: det(k[0]),
    LogDet: lambda e, k: logdet(k[0]),
    Sum: lambda e, k: sum_(k[0]),
    Norm: lambda e, k: norm(k[0]),
    LogSumExp: lambda e, k: logsumexp(k[0]),
    Softmax: lambda e, k: softmax(k[0]),
    DiagMat: lambda e, k: diag(k[0]),
    DiagVec: lambda e, k: diag(k[0]),
    Vec: lambda e, k: vec(k[0]),
    Ref: lambda e, k: Ref(e.name, k[0]),
    **{leaf: lambda e, k: e for leaf in LEAVES},
}


def rebuild(e: Expr, kids: tuple) -> Expr:
    """The node's operation applied to new children, in canonical form."""
    return e if kids == e.kids else REBUILD[type(e)](e, kids)
