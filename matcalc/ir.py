"""The typed IR: immutable, interned nodes with shapes, their smart constructors, errors.

Every node is hash-consed: building a node equal to an existing one returns that very
object, so equality is identity, hashing is O(1), shared subexpressions are shared
objects and a derivative's DAG stays linear in size. Smart constructors (add, mul, T,
inv, ...) check shapes and apply the cheap local algebra (flattening, constants,
identities, zeros, double transposes) so that differentiation rules stay one line.
Imports nothing beyond the standard library.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Union

Dim = Union[str, int]
Shape = tuple  # (rows, cols); a scalar is (1, 1), a column vector (n, 1)
SCALAR: Shape = (1, 1)


class MatcalcError(Exception):
    """A problem with the user's input: carries the 1-based column it refers to."""

    def __init__(self, message: str, column: int | None = None, source: str | None = None):
        super().__init__(message)
        self.message = message
        self.column = column
        self.source = source

    def render(self) -> str:
        """The message, and the source line with a caret under the column."""
        if self.source is None or self.column is None:
            return f"error: {self.message}"
        caret = " " * (self.column - 1) + "^"
        where = f" at column {self.column}" if f"column {self.column}" not in self.message else ""
        return f"error: {self.message}{where}\n  {self.source}\n  {caret}"


def dim_mul(a: Dim, b: Dim) -> Dim:
    """The product of two dimensions, as a canonical name such as 'm*p'."""
    if isinstance(a, int) and isinstance(b, int):
        return a * b
    if a == 1:
        return b
    if b == 1:
        return a
    parts = sorted(str(a).split("*") + str(b).split("*"), key=lambda s: (not s.isdigit(), s))
    return "*".join(parts)


def show_shape(shape: Shape) -> str:
    r, c = shape
    if shape == SCALAR:
        return "scalar"
    return f"{r}×{c}"


def is_scalar(e: "Expr") -> bool:
    return e.shape == SCALAR


def is_vector(e: "Expr") -> bool:
    return e.shape[1] == 1 and e.shape[0] != 1


def size(shape: Shape) -> Dim:
    return dim_mul(shape[0], shape[1])


# ---------------------------------------------------------------------------------
# Node types
# ---------------------------------------------------------------------------------

_TABLE: dict = {}
_SERIAL = itertools.count()


class Expr:
    """Base of all nodes. `kids` are the child expressions, in order."""

    kids: tuple = ()
    shape: Shape

    def __new__(cls, *args):
        defaults = cls.__dict__.get("_defaults")
        if defaults is None:
            defaults = tuple(f.default for f in cls.__dataclass_fields__.values())
            cls._defaults = defaults
        args = args + defaults[len(args):]
        key = (cls, args)
        node = _TABLE.get(key)
        if node is None:
            node = object.__new__(cls)
            _TABLE[key] = node
        return node

    def __post_init__(self):
        if "serial" not in self.__dict__:
            object.__setattr__(self, "serial", next(_SERIAL))
            object.__setattr__(self, "shape", self._shape())

    def _shape(self) -> Shape:
        raise NotImplementedError

    def rebuild(self, kids: tuple) -> "Expr":
        """The same operation applied to new children (through the smart constructor)."""
        raise NotImplementedError

    def __repr__(self):
        from .printers.text import to_text

        return f"<{type(self).__name__} {to_text(self)}>"


_node = dataclass(frozen=True, eq=False, repr=False)


@_node
class Sym(Expr):
    name: str
    dims: Shape
    symmetric: bool = False

    def _shape(self):
        return self.dims

    def rebuild(self, kids):
        return self


@_node
class Const(Expr):
    value: Fraction

    def _shape(self):
        return SCALAR

    def rebuild(self, kids):
        return self


@_node
class Identity(Expr):
    n: Dim

    def _shape(self):
        return (self.n, self.n)

    def rebuild(self, kids):
        return self


@_node
class Ones(Expr):
    dims: Shape

    def _shape(self):
        return self.dims

    def rebuild(self, kids):
        return self


@_node
class Zero(Expr):
    dims: Shape

    def _shape(self):
        return self.dims

    def rebuild(self, kids):
        return self


@_node
class Commutation(Expr):
    """K with vec(Aᵀ) = K vec(A) for an m×n matrix A."""

    m: Dim
    n: Dim

    def _shape(self):
        s = dim_mul(self.m, self.n)
        return (s, s)

    def rebuild(self, kids):
        return self


@_node
class Add(Expr):
    terms: tuple

    @property
    def kids(self):
        return self.terms

    def _shape(self):
        return self.terms[0].shape

    def rebuild(self, kids):
        return add(*kids)


@_node
class Mul(Expr):
    """A product: an optional Const, scalar factors, then a chain of matrix factors."""

    factors: tuple

    @property
    def kids(self):
        return self.factors

    def _shape(self):
        chain = [f for f in self.factors if f.shape != SCALAR]
        if not chain:
            return SCALAR
        return (chain[0].shape[0], chain[-1].shape[1])

    def rebuild(self, kids):
        return mul(*kids)


@_node
class Hadamard(Expr):
    factors: tuple

    @property
    def kids(self):
        return self.factors

    def _shape(self):
        return self.factors[0].shape

    def rebuild(self, kids):
        return hadamard(*kids)


class _Unary(Expr):
    @property
    def kids(self):
        return (self.a,)

    def _shape(self):
        return self.a.shape

    def rebuild(self, kids):
        return type(self)(kids[0])


@_node
class Transpose(_Unary):
    a: Expr

    def _shape(self):
        return (self.a.shape[1], self.a.shape[0])

    def rebuild(self, kids):
        return T(kids[0])


@_node
class Inverse(_Unary):
    a: Expr

    def rebuild(self, kids):
        return inv(kids[0])


@_node
class MatPow(_Unary):
    a: Expr
    k: int

    def rebuild(self, kids):
        return power(kids[0], self.k)


@_node
class Pow(_Unary):
    """A scalar raised to a rational power."""

    a: Expr
    k: Fraction

    def rebuild(self, kids):
        return power(kids[0], self.k)


@_node
class HadPow(_Unary):
    a: Expr
    k: Fraction

    def rebuild(self, kids):
        return hadpow(kids[0], self.k)


@_node
class Func(_Unary):
    """An entrywise function: exp, log, tanh, sigmoid, ..."""

    name: str
    a: Expr

    def rebuild(self, kids):
        return func(self.name, kids[0])


@_node
class Kron(Expr):
    a: Expr
    b: Expr

    @property
    def kids(self):
        return (self.a, self.b)

    def _shape(self):
        (p, q), (r, s) = self.a.shape, self.b.shape
        return (dim_mul(p, r), dim_mul(q, s))

    def rebuild(self, kids):
        return kron(*kids)


def _scalar_valued(cls):
    cls._shape = lambda self: SCALAR
    return cls


@_node
@_scalar_valued
class Trace(_Unary):
    a: Expr

    def rebuild(self, kids):
        return trace(kids[0])


@_node
@_scalar_valued
class Det(_Unary):
    a: Expr

    def rebuild(self, kids):
        return det(kids[0])


@_node
@_scalar_valued
class LogDet(_Unary):
    a: Expr

    def rebuild(self, kids):
        return logdet(kids[0])


@_node
@_scalar_valued
class Sum(_Unary):
    a: Expr

    def rebuild(self, kids):
        return sum_(kids[0])


@_node
@_scalar_valued
class Norm(_Unary):
    """The Euclidean norm of a vector, the Frobenius norm of a matrix."""

    a: Expr

    def rebuild(self, kids):
        return norm(kids[0])


@_node
@_scalar_valued
class LogSumExp(_Unary):
    a: Expr

    def rebuild(self, kids):
        return logsumexp(kids[0])


@_node
class Softmax(_Unary):
    a: Expr

    def rebuild(self, kids):
        return softmax(kids[0])


@_node
class DiagMat(_Unary):
    """diag(v): the square matrix with the vector v on its diagonal."""

    a: Expr

    def _shape(self):
        return (self.a.shape[0], self.a.shape[0])

    def rebuild(self, kids):
        return diag(kids[0])


@_node
class DiagVec(_Unary):
    """diag(A): the vector of the diagonal of a square matrix."""

    a: Expr

    def _shape(self):
        return (self.a.shape[0], 1)

    def rebuild(self, kids):
        return diag(kids[0])


@_node
class Vec(_Unary):
    a: Expr

    def _shape(self):
        return (size(self.a.shape), 1)

    def rebuild(self, kids):
        return vec(kids[0])


@_node
class Ref(_Unary):
    """A named subexpression: a `where` definition, or one a result names to share it."""

    name: str
    a: Expr

    def rebuild(self, kids):
        return Ref(self.name, kids[0])


LEAVES = (Sym, Const, Identity, Ones, Zero, Commutation)


# ---------------------------------------------------------------------------------
# Smart constructors
# ---------------------------------------------------------------------------------


class ShapeError(MatcalcError):
    """Shapes that do not fit; raised by constructors (shapes.py reports them first)."""


def const(v) -> Const:
    return Const(Fraction(v))


ONE = const(1)


def zero(shape: Shape) -> Expr:
    return const(0) if shape == SCALAR else Zero(tuple(shape))


def ones(shape: Shape) -> Expr:
    return ONE if shape == SCALAR else Ones(tuple(shape))


def eye(n: Dim) -> Expr:
    return ONE if n == 1 else Identity(n)


def is_zero(e: Expr) -> bool:
    return isinstance(e, Zero) or (isinstance(e, Const) and e.value == 0)


def split_coeff(e: Expr) -> tuple[Fraction, Expr]:
    """e = c · rest, with c the numeric coefficient."""
    if isinstance(e, Const):
        return e.value, ONE
    if isinstance(e, Mul) and isinstance(e.factors[0], Const):
        rest = e.factors[1:]
        return e.factors[0].value, rest[0] if len(rest) == 1 else Mul(rest)
    return Fraction(1), e


def add(*terms: Expr) -> Expr:
    """A sum with like terms merged (x + x = 2 x) and zeros dropped."""
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
            coeffs[rest] = coeffs.get(rest, Fraction(0)) + c
    out = [as_is.get(rest) or mul(const(c), rest) for rest, c in coeffs.items() if c != 0]
    out = _transposes_last(out)
    if not out:
        return zero(shape)
    return out[0] if len(out) == 1 else Add(tuple(out))


def _transposes_last(terms: list[Expr]) -> list[Expr]:
    """Write A + Aᵀ rather than Aᵀ + A: a term's transpose follows the term."""
    if len(terms) < 2 or not any(isinstance(split_coeff(t)[1], Transpose) for t in terms):
        return terms
    present = set(terms)
    return sorted(terms, key=lambda t: (1 if (isinstance(t, Transpose) and t.a in present) else 0))


def sub(a: Expr, b: Expr) -> Expr:
    return add(a, neg(b))


def neg(a: Expr) -> Expr:
    return mul(const(-1), a)


def _mul_parts(x: Expr, coeff: list, scalars: list, chain: list, eyes: list):
    if isinstance(x, Const):
        coeff[0] *= x.value
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
    coeff, scalars, chain, eyes = [Fraction(1)], [], [], []
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
    chain = _simplify_chain(chain)
    if any(isinstance(f, Mul) for f in chain):  # diag(v) w became a scaled v ∘ w: flatten again
        return mul(const(c), *scalars, *chain)
    chain = _lift_scalars(chain, scalars)
    if not chain and shape != SCALAR:
        chain = [eye(shape[0])]
    scalars = _merge_powers(scalars)
    if any(is_zero(f) for f in scalars):
        return zero(shape)
    out = ([const(c)] if c != 1 else []) + scalars + chain
    if not out:
        return ONE
    if len(out) == 1:
        return out[0]
    return Mul(tuple(out))


def _simplify_chain(chain: list[Expr]) -> list[Expr]:
    """Cancel A A⁻¹, and turn diag(v) w into v ∘ w."""
    out: list[Expr] = []
    for f in chain:
        if out and (
            (isinstance(f, Inverse) and f.a is out[-1]) or (isinstance(out[-1], Inverse) and out[-1].a is f)
        ):
            out.pop()
            continue
        if out and isinstance(out[-1], Kron) and isinstance(f, Kron) and \
                out[-1].a.shape[1] == f.a.shape[0] and out[-1].b.shape[1] == f.b.shape[0]:
            out[-1] = kron(mul(out[-1].a, f.a), mul(out[-1].b, f.b))  # mixed product
            continue
        if out and f.shape[0] == f.shape[1] != 1 and _mat_base(out[-1])[0] is _mat_base(f)[0]:
            k = _mat_base(out[-1])[1] + _mat_base(f)[1]  # Aʲ Aᵏ = Aʲ⁺ᵏ, inverses as negative powers
            if k == 0:
                out.pop()
            else:
                out[-1] = power(_mat_base(f)[0], k)
            continue
        if out and _is_vec_row(out[-1]) and isinstance(f, Kron) and \
                f.b.shape[0] == out[-1].a.a.shape[0] and f.a.shape[0] == out[-1].a.a.shape[1]:
            out[-1] = T(vec(mul(T(f.b), out[-1].a.a, f.a)))  # vec(M)ᵀ (P ⊗ Q) = vec(Qᵀ M P)ᵀ
            continue
        if out and isinstance(out[-1], Kron) and isinstance(f, Vec) and \
                out[-1].b.shape[1] == f.a.shape[0] and out[-1].a.shape[1] == f.a.shape[1]:
            out[-1] = vec(mul(out[-1].b, f.a, T(out[-1].a)))  # (P ⊗ Q) vec(M) = vec(Q M Pᵀ)
            continue
        if out and f.shape[1] == 1 and f.shape[0] != 1 and out[-1].shape[0] == 1 and (
                isinstance(f, Ones) or isinstance(out[-1], Ones)):
            out[-1] = sum_(f if isinstance(out[-1], Ones) else out[-1])  # vᵀ 1 = 1ᵀ v = sum(v)
            continue
        if out and isinstance(out[-1], DiagMat) and f.shape[1] == 1:
            out[-1] = hadamard(out[-1].a, f)
            continue
        if out and isinstance(f, DiagMat) and out[-1].shape[0] == 1:
            out[-1] = T(hadamard(T(out[-1]), f.a))
            continue
        out.append(f)
    return out


def _mat_base(e: Expr) -> tuple[Expr, int]:
    """A square factor as (A, k) with the factor = Aᵏ: A⁻¹ is (A, −1), (A⁻¹)² is (A, −2)."""
    base, k = (e.a, e.k) if isinstance(e, MatPow) else (e, 1)
    return (base.a, -k) if isinstance(base, Inverse) else (base, k)


def _is_vec_row(e: Expr) -> bool:
    return isinstance(e, Transpose) and isinstance(e.a, Vec)


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
    return (e.a, e.k) if isinstance(e, Pow) else (e, Fraction(1))


def _merge_powers(scalars: list[Expr]) -> list[Expr]:
    """N · N⁻¹ = 1, ‖r‖² ‖r‖⁻¹ = ‖r‖; scalar factors in a stable order."""
    exps: dict[Expr, Fraction] = {}
    for s in scalars:
        b, k = _base_exp(s)
        exps[b] = exps.get(b, Fraction(0)) + k
    out = [power(b, k) for b, k in exps.items() if k != 0]
    return sorted(out, key=lambda s: _base_exp(s)[0].serial)


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
        scalars = [f for f in a.factors if f.shape == SCALAR]
        chain = [f for f in a.factors if f.shape != SCALAR]
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
    if isinstance(a, Inverse):
        return a.a
    if isinstance(a, Identity):
        return a
    if isinstance(a, Transpose) and isinstance(a.a, Inverse):
        return T(a.a.a)
    if isinstance(a, Mul) and a.factors[0].shape == SCALAR:
        scalars = [f for f in a.factors if f.shape == SCALAR]
        chain = [f for f in a.factors if f.shape != SCALAR]
        return mul(power(mul(*scalars), -1), inv(mul(*chain)))
    return Inverse(a)


def power(a: Expr, k) -> Expr:
    """a^k: a rational power of a scalar, an integer power of a square matrix."""
    k = Fraction(k)
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
        if k.denominator == 1 and (a.value != 0 or k > 0):
            return Const(a.value ** int(k))
        return Pow(a, k)
    if isinstance(a, Pow) and k.denominator == 1:
        return power(a.a, a.k * k)
    if isinstance(a, Mul) and k.denominator == 1 and all(f.shape == SCALAR for f in a.factors):
        return mul(*(power(f, k) for f in a.factors))
    return Pow(a, k)


def hadamard(*factors: Expr) -> Expr:
    """An entrywise product: scalar factors become scaling, ones drop, powers merge."""
    scalars, mats = [], []
    todo = list(reversed(factors))
    while todo:
        g = todo.pop()
        if isinstance(g, Hadamard):
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
        b, k = (m.a, m.k) if isinstance(m, HadPow) else (m, Fraction(1))
        exps[b] = exps.get(b, Fraction(0)) + k
    mats = [hadpow(b, k) for b, k in exps.items() if k != 0]
    mats = [m for m in mats if not isinstance(m, Ones)]
    if not mats:
        mats = [ones(shape)]
    body = mats[0] if len(mats) == 1 else Hadamard(tuple(mats))
    return mul(*scalars, body)


def hadpow(a: Expr, k) -> Expr:
    k = Fraction(k)
    if a.shape == SCALAR:
        return power(a, k)
    if k == 0:
        return ones(a.shape)
    if k == 1 or isinstance(a, Ones):
        return a
    if isinstance(a, HadPow) and k.denominator == 1:
        return hadpow(a.a, a.k * k)
    if isinstance(a, Mul) and len(a.factors) == 2 and a.factors[0].shape == SCALAR:
        return mul(power(a.factors[0], k), hadpow(a.factors[1], k))
    return HadPow(a, k)


def kron(a: Expr, b: Expr) -> Expr:
    if a.shape == SCALAR or b.shape == SCALAR:
        return mul(a, b)
    if isinstance(a, Identity) and isinstance(b, Identity):
        return Identity(dim_mul(a.n, b.n))
    if is_zero(a) or is_zero(b):
        return zero(Kron(a, b).shape)
    ca, ra = split_coeff(a)
    cb, rb = split_coeff(b)
    if ca * cb != 1:
        return mul(const(ca * cb), kron(ra, rb))
    return Kron(a, b)


ENTRYWISE = (
    "exp", "log", "sin", "cos", "tan", "tanh", "sqrt", "abs",
    "sigmoid", "softplus", "relu", "sign", "step",
)


def func(name: str, a: Expr) -> Expr:
    if name == "log" and isinstance(a, Softmax):  # log softmax(z) = z − logsumexp(z) 1
        return sub(a.a, mul(logsumexp(a.a), ones(a.shape)))
    if is_zero(a) and name in ("sin", "tan", "tanh", "sqrt", "abs", "relu", "sign", "step"):
        return a
    if is_zero(a) and name in ("exp", "cos"):
        return ones(a.shape)
    if name == "exp" and isinstance(a, Func) and a.name == "log":
        return a.a
    return Func(name, a)


def trace(a: Expr) -> Expr:
    if a.shape == SCALAR:
        return a
    if a.shape[0] != a.shape[1]:
        raise ShapeError(f"cannot take the trace of the non-square {show_shape(a.shape)}")
    if isinstance(a, Zero):
        return const(0)
    if isinstance(a, Add):
        return add(*(trace(t) for t in a.terms))
    if isinstance(a, Transpose):
        return trace(a.a)
    if isinstance(a, Mul):
        scalars = [f for f in a.factors if f.shape == SCALAR]
        chain = [f for f in a.factors if f.shape != SCALAR]
        if scalars:
            return mul(*scalars, trace(mul(*chain)))
        if chain[0].shape[1] == 1:  # tr(a bᵀ ...) = bᵀ ... a, a scalar
            return mul(*chain[1:], chain[0])
    if isinstance(a, DiagMat):
        return sum_(a.a)
    if isinstance(a, Kron):  # tr(A ⊗ B) = tr(A) tr(B)
        return mul(trace(a.a), trace(a.b))
    return Trace(a)


def det(a: Expr) -> Expr:
    if a.shape == SCALAR:
        return a
    if a.shape[0] != a.shape[1]:
        raise ShapeError(f"cannot take the determinant of the non-square {show_shape(a.shape)}")
    if isinstance(a, Transpose):
        return det(a.a)
    if isinstance(a, Inverse):
        return power(det(a.a), -1)
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
    if isinstance(a, Inverse):
        return neg(logdet(a.a))
    if isinstance(a, Identity):
        return const(0)
    return LogDet(a)


def sum_(a: Expr) -> Expr:
    if a.shape == SCALAR:
        return a
    if isinstance(a, Transpose):
        return sum_(a.a)
    if isinstance(a, Kron):
        return mul(sum_(a.a), sum_(a.b))
    return Sum(a)


def norm(a: Expr) -> Expr:
    if a.shape == SCALAR:
        return func("abs", a)
    if isinstance(a, Transpose):
        return norm(a.a)
    if isinstance(a, Kron):
        return mul(norm(a.a), norm(a.b))
    return Norm(a)


def diag(a: Expr) -> Expr:
    if a.shape == SCALAR:
        return a
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
    if isinstance(a, Mul) and len(a.factors) == 2 and is_vector(a.factors[0]):
        return hadamard(a.factors[0], T(a.factors[1]))  # diag(a bᵀ) = a ∘ b
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
