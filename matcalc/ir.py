"""The typed IR: immutable, interned nodes with shapes, and the error types. Data only.

Every node is hash-consed: building a node equal to a live one returns that very object,
so equality is identity, hashing is O(1) and a derivative's DAG stays linear in size.
The table holds nodes weakly, so a long session's memory stays bounded. Each node has a
structural `key` (type, payload, children's keys) that orders nodes the same way in
every process. Nodes are built raw here; algebra.py holds the smart constructors.
Imports nothing from matcalc.

    Expr ::= Sym | Const | Identity | Ones | Zero | Commutation           (leaves)
           | Add(terms) | Mul(factors) | Hadamard(factors) | Kron(a, b)
           | Transpose a | Inverse a | MatPow(a, k) | Pow(a, k) | HadPow(a, k) | SymPow(a, b)
           | Func(name, a) | Trace a | Det a | LogDet a | Sum a | Norm a
           | LogSumExp a | Softmax a | DiagMat a | DiagVec a | Vec a | Ref(name, a)
"""
from __future__ import annotations

import weakref
from fractions import Fraction
from typing import Union

Dim = Union[str, int]
Shape = tuple  # (rows, cols); a scalar is (1, 1), a column vector (n, 1)
SCALAR: Shape = (1, 1)


SHOWN = 100  # characters of a long input shown above an error's caret


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
        source, column = self.source, self.column
        if len(source) > SHOWN:  # a long line: the part around the column, marked where cut
            start = max(0, min(column - 1 - SHOWN // 2, len(source) - SHOWN))
            cut = source[start:start + SHOWN]
            source = ("…" if start else "") + cut + ("…" if start + SHOWN < len(source) else "")
            column = column - start + (1 if start else 0)
        caret = " " * (column - 1) + "^"
        where = f" at column {self.column}" if f"column {self.column}" not in self.message else ""
        return f"error: {self.message}{where}\n  {source}\n  {caret}"

    def _render_traceback_(self) -> list[str]:
        """What IPython and Jupyter show for this error instead of a traceback."""
        return self.render().splitlines()

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(self.render())


class ShapeError(MatcalcError):
    """Shapes that do not fit; raised by constructors (shapes.py reports them first)."""


# -- the Greek letters: one list for typing, the LaTeX printer and the LaTeX reader -----------

GREEK_LOWER = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho "
               "sigma tau upsilon phi chi psi omega").split()
GREEK_UPPER = "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split()  # the rest look Latin
UNICODE_GREEK = dict(zip("αβγδεζηθικλμνξπρστυφχψωΓΔΘΛΞΠΣΥΦΨΩ", GREEK_LOWER + GREEK_UPPER))


# -- shapes and dimensions ------------------------------------------------------------------

def dim_mul(a: Dim, b: Dim) -> Dim:
    """The product of two dimensions in one canonical form, so that equal sizes are equal
    values: numbers multiplied out in front, names sorted (2*3*n is 6*n, n*m is m*n)."""
    coeff, names = 1, []
    for part in str(a).split("*") + str(b).split("*"):
        if part.isdigit():
            coeff *= int(part)
        else:
            names.append(part)
    if not names:
        return coeff
    return "*".join(([str(coeff)] if coeff != 1 else []) + sorted(names))


def size(shape: Shape) -> Dim:
    return dim_mul(shape[0], shape[1])


def is_vector(e: "Expr") -> bool:
    return e.shape[1] == 1 and e.shape[0] != 1


def show_shape(shape: Shape, times: str = "×") -> str:
    """`scalar`, `n×1`, `m×n`: a shape in a message or a table."""
    if shape == SCALAR:
        return "scalar"
    r, c = shape
    return f"{r}{times}{c}"


def show_dims(dims: list, times: str = " × ") -> str:
    """The JSON form of a shape for people: `scalar`, `n`, `m × n`."""
    return "scalar" if not dims else times.join(str(d) for d in dims)


def dims_json(shape: Shape) -> list:
    """SPEC §4: [] for a scalar, ["n"] for a column vector, ["m", "n"] otherwise."""
    r, c = shape
    if (r, c) == (1, 1):
        return []
    if c == 1:
        return [r]
    return [r, c]


# -- nodes ------------------------------------------------------------------------------------

_TABLE: "weakref.WeakValueDictionary" = weakref.WeakValueDictionary()

# Keys nest no deeper than this: comparing two keys recurses in C as deep as they nest, so
# below it a deep child is written as its own rank, payload and a digest of its structure
# (deterministic, so the order of terms never depends on the run or on earlier input).
KEY_DEPTH = 48


def _cut(e: "Expr") -> tuple:
    """In a key's place: ranks (-1) before any child, so it never meets a key's bytes."""
    cut = e.__dict__.get("_cut")
    if cut is None:
        cut = (e._rank, e._payload(), ((-1, _digest(e)),))
        object.__setattr__(e, "_cut", cut)
    return cut


_DIGESTS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _digest(root: "Expr") -> bytes:
    """A structural digest of root, each node's computed once."""
    import hashlib  # only deep input needs it: off the start-up path

    def digest(node):
        h = hashlib.blake2b(repr((node._rank, node._payload())).encode(), digest_size=12)
        for k in node.kids:
            h.update(_DIGESTS[k])
        return h.digest()

    return fold(root, _DIGESTS, digest)


def fold(root, memo, fn):
    """memo[node] = fn(node) for root and every node under it not in memo yet, children
    first (fn reads its kids' values in memo), without recursion: a chain 1,000 deep is
    as cheap as a wide one."""
    stack = [root]
    while stack:
        node = stack[-1]
        if node in memo:
            stack.pop()
            continue
        todo = [k for k in node.kids if k not in memo]
        if todo:
            stack.extend(todo)
            continue
        stack.pop()
        memo[node] = fn(node)
    return memo[root]


def _payload(v):
    """A field that is not a child, in a form that compares across types."""
    if isinstance(v, (bool, int, Fraction)):
        return (0, v)
    if isinstance(v, str):
        return (1, v)
    return (2, tuple(_payload(x) for x in v))


class Expr:
    """Base of all nodes: positional fields only, each hashable; `kids` are the children.

    `Sym("x", ("n", 1))` returns the live node equal to it if there is one. A node is
    built whole in __new__ (fields, kids, shape, height stored once), since every rule
    and rewrite builds them by the thousand; its key when first asked for."""

    kids: tuple = ()
    shape: Shape
    key: tuple  # see _Key
    height: int
    holds: int  # HOLDS_IDENTITY | HOLDS_REF: what the node has at or under it, for printers to skip work
    _holds: int = 0

    _fields: tuple = ()  # the node's own fields, in order: set by @_node
    _defaults: tuple = ()
    _kid_fields: tuple = ()  # (index, is a tuple of children) for each field that holds children
    _payload_fields: tuple = ()  # the indices of the fields that are not children

    def __new__(cls, *args):
        n = len(cls._fields)
        if len(args) != n:
            if len(args) > n:
                raise TypeError(f"{cls.__name__} takes {n} fields, not {len(args)}")
            args = args + cls._defaults[len(args) - n:]
            if len(args) != n:
                raise TypeError(f"{cls.__name__} needs {', '.join(cls._fields[len(args):])}")
        ref = _LIVE.get((cls, args))
        node = ref() if ref is not None else None
        if node is not None:
            return node
        node = object.__new__(cls)
        d = node.__dict__
        for name, value in zip(cls._fields, args):
            d[name] = value
        kids = ()
        for i, many in cls._kid_fields:
            kids = kids + args[i] if many else kids + (args[i],)
        d["kids"] = kids
        d["shape"] = node._shape()
        height, holds = 1, cls._holds
        for k in kids:
            if k.height >= height:
                height = k.height + 1
            holds |= k.holds
        d["height"], d["holds"] = height, holds
        _TABLE[(cls, args)] = node
        return node

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    __delattr__ = __setattr__

    def _payload(self) -> tuple:
        return tuple(_payload(getattr(self, self._fields[i])) for i in self._payload_fields)

    def _shape(self) -> Shape:
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join(repr(getattr(self, f)) for f in self._fields)
        return f"{type(self).__name__}({args})"


class _Key:
    """Expr.key: (rank, payload, the kids' keys), made when first read and then kept in
    the node (most nodes are never sorted, so most never need one)."""

    def __get__(self, node, cls=None):
        if node is None:
            return self
        key = node.__dict__["key"] = (node._rank, node._payload(),
                                      tuple(k.key if k.height < KEY_DEPTH else _cut(k) for k in node.kids))
        return key


Expr.key = _Key()


_LIVE = _TABLE.data  # the table's own dict of weak references: read without a method call


_NO_DEFAULT = object()


def _node(cls):
    """A node type: its own annotations are its fields, positional, immutable (a frozen
    dataclass without the cost of generating one at import; its rank in the structural
    order is set below). A field annotated Expr holds a child, one annotated tuple a
    sequence of them; any other is payload, part of the key."""
    annotations = cls.__dict__.get("__annotations__", {})
    fields = tuple(annotations)
    defaults = [cls.__dict__.get(f, _NO_DEFAULT) for f in fields]
    for f in fields:  # a default is a class attribute no more: the instance holds the field
        if f in cls.__dict__:
            delattr(cls, f)
    first = next((i for i, d in enumerate(defaults) if d is not _NO_DEFAULT), len(fields))
    cls._fields, cls._defaults, cls.__match_args__ = fields, tuple(defaults[first:]), fields
    cls._kid_fields = tuple((i, annotations[f] == "tuple") for i, f in enumerate(fields)
                            if annotations[f] in ("Expr", "tuple"))
    cls._payload_fields = tuple(i for i, f in enumerate(fields) if annotations[f] not in ("Expr", "tuple"))
    return cls


@_node
class Sym(Expr):
    """A variable or constant name of the input."""

    name: str
    dims: Shape
    symmetric: bool = False

    def _shape(self):
        return self.dims


@_node
class Const(Expr):
    value: Fraction

    def _shape(self):
        return SCALAR


@_node
class Identity(Expr):
    n: Dim

    def _shape(self):
        return (self.n, self.n)


@_node
class Ones(Expr):
    dims: Shape

    def _shape(self):
        return self.dims


@_node
class Zero(Expr):
    dims: Shape

    def _shape(self):
        return self.dims


@_node
class Commutation(Expr):
    """K with vec(Aᵀ) = K vec(A) for an m×n matrix A."""

    m: Dim
    n: Dim

    def _shape(self):
        s = dim_mul(self.m, self.n)
        return (s, s)


LEAVES = (Sym, Const, Identity, Ones, Zero, Commutation)


@_node
class Add(Expr):
    terms: tuple

    def _shape(self):
        return self.terms[0].shape


@_node
class Mul(Expr):
    """A product: an optional Const, scalar factors, then a chain of matrix factors."""

    factors: tuple

    def _shape(self):
        chain = [f for f in self.factors if f.shape != SCALAR]
        if not chain:
            return SCALAR
        return (chain[0].shape[0], chain[-1].shape[1])


@_node
class Hadamard(Expr):
    factors: tuple

    def _shape(self):
        return self.factors[0].shape


class _Binary(Expr):
    """Two children, `a` and `b`."""


@_node
class Kron(_Binary):
    a: Expr
    b: Expr

    def _shape(self):
        (p, q), (r, s) = self.a.shape, self.b.shape
        return (dim_mul(p, r), dim_mul(q, s))


class _Unary(Expr):
    """One child, `a`; the shape of the child unless the node says otherwise."""

    def _shape(self):
        return self.a.shape


class _ScalarUnary(_Unary):
    def _shape(self):
        return SCALAR


@_node
class Transpose(_Unary):
    a: Expr

    def _shape(self):
        return (self.a.shape[1], self.a.shape[0])


@_node
class Inverse(_Unary):
    a: Expr


@_node
class MatPow(_Unary):
    """A square matrix to a positive integer power."""

    a: Expr
    k: int


@_node
class Pow(_Unary):
    """A scalar raised to a rational power."""

    a: Expr
    k: Fraction


@_node
class HadPow(_Unary):
    a: Expr
    k: Fraction


@_node
class SymPow(_Binary):
    """a raised entrywise to a scalar expression b: x .^ p, s^t, 2^x."""

    a: Expr
    b: Expr

    def _shape(self):
        return self.a.shape


@_node
class Func(_Unary):
    """An entrywise function: exp, log, tanh, sigmoid, ..."""

    name: str
    a: Expr


@_node
class Trace(_ScalarUnary):
    a: Expr


@_node
class Det(_ScalarUnary):
    a: Expr


@_node
class LogDet(_ScalarUnary):
    a: Expr


@_node
class Sum(_ScalarUnary):
    a: Expr


@_node
class Norm(_ScalarUnary):
    """The Euclidean norm of a vector, the Frobenius norm of a matrix."""

    a: Expr


@_node
class LogSumExp(_ScalarUnary):
    a: Expr


@_node
class Softmax(_Unary):
    a: Expr


@_node
class DiagMat(_Unary):
    """diag(v): the square matrix with the vector v on its diagonal."""

    a: Expr

    def _shape(self):
        return (self.a.shape[0], self.a.shape[0])


@_node
class DiagVec(_Unary):
    """diag(A): the vector of the diagonal of a square matrix."""

    a: Expr

    def _shape(self):
        return (self.a.shape[0], 1)


@_node
class Vec(_Unary):
    a: Expr

    def _shape(self):
        return (size(self.a.shape), 1)


@_node
class Ref(_Unary):
    """A named subexpression: a `where` definition, or one a result names to share it."""

    name: str
    a: Expr


# The structural order: constants and names first, sums last, as factors are written.
for _rank, _cls in enumerate((
    Const, Sym, Ref, Identity, Ones, Zero, Commutation, Det, LogDet, Trace, Sum, Norm, LogSumExp, Func,
    Softmax, DiagVec, DiagMat, Vec, Transpose, Inverse, MatPow, Pow, HadPow, SymPow, Hadamard, Kron, Mul, Add,
)):
    _cls._rank = _rank

HOLDS_IDENTITY, HOLDS_REF = 1, 2
Identity._holds, Ref._holds = HOLDS_IDENTITY, HOLDS_REF

ONE = Const(Fraction(1))
Q0, Q1 = Fraction(0), Fraction(1)  # made once: a Fraction costs a microsecond to build


def split_coeff(e: Expr) -> tuple[Fraction, Expr]:
    """e = c · rest, with c the numeric coefficient."""
    if isinstance(e, Const):
        return e.value, ONE
    if isinstance(e, Mul) and isinstance(e.factors[0], Const):
        rest = e.factors[1:]
        return e.factors[0].value, rest[0] if len(rest) == 1 else Mul(rest)
    return Q1, e


def body(e: Expr) -> Expr:
    """What a `where` name stands for: rules and identities match through definitions."""
    while isinstance(e, Ref):
        e = e.a
    return e


def scalars_and_chain(e: Expr) -> tuple[tuple, tuple]:
    """e as a product: its scalar factors and its chain of matrix factors, in order (a
    node that is not a product is its own one factor). A product keeps its split: rules
    and factoring ask for it again and again. (Any other node is not kept: the split
    would hold the node itself, a cycle only the garbage collector frees.)"""
    if not isinstance(e, Mul):
        return ((e,), ()) if e.shape == SCALAR else ((), (e,))
    parts = e.__dict__.get("_parts")
    if parts is None:
        fs = e.factors
        parts = (tuple(f for f in fs if f.shape == SCALAR), tuple(f for f in fs if f.shape != SCALAR))
        e.__dict__["_parts"] = parts
    return parts


def postorder(root: Expr):
    """Every node of the DAG once, children before parents, without recursion."""
    seen, stack = set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            yield node
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        stack.extend((k, False) for k in reversed(node.kids) if k not in seen)


def nodes(root: Expr) -> set:
    """Every node of the DAG, in no order: cheaper than postorder where order is not needed."""
    seen, stack = {root}, [root]
    while stack:
        for k in stack.pop().kids:
            if k not in seen:
                seen.add(k)
                stack.append(k)
    return seen


def tree_size(e: Expr, cap: int) -> int:
    """The printed size of e, roughly, up to `cap`: its tree's nodes (shared ones each time
    they print), a definition counting as its name."""
    count, stack = 0, [e]
    while stack and count < cap:
        node = stack.pop()
        count += 1
        if not isinstance(node, Ref):
            stack.extend(node.kids)
    return count


def env_limit(name: str, default: int) -> int:
    """A limit from the environment: a whole number, else an error that names the variable
    (not a crash where the module is imported)."""
    import os

    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        value = -1
    if value < 1:
        raise MatcalcError(f"{name} must be a whole number of at least 1, not {raw!r}")
    return value


def fresh_name(prefix: str, taken: set[str]) -> str:
    """prefix1, prefix2, ...: the first not in `taken`, which it joins."""
    k = 1
    while f"{prefix}{k}" in taken:
        k += 1
    taken.add(f"{prefix}{k}")
    return f"{prefix}{k}"
