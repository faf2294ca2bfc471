"""IR -> SymPy (SPEC §5): a matrix expression over MatrixSymbols with symbolic dimensions.

A view of the IR, like a printer: it reads ir and builds SymPy objects, never IR nodes.
It imports sympy at the top, so only Result.to_sympy and `check --exact` import it, on use.
A scalar node becomes a SymPy scalar, and a product that is 1×1 (x' A x) the Trace of that
product. Every node has a symbolic form: entrywise functions are ElementwiseApplyFunction,
softmax is exp∘(a) / (1ᵀ exp∘(a)), and vec and the commutation matrix, which SymPy lacks,
are the two small MatrixExpr classes below, defined by their entries. A where-name is
replaced by its definition. `explicit` evaluates the result at concrete sizes and values.
"""
from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalOf

from . import ir


def dim(d: ir.Dim) -> sp.Expr:
    """A dimension: a positive integer Symbol, a number, or a product ('m*q')."""
    out = sp.Integer(1)
    for part in str(d).split("*"):
        out *= sp.Integer(int(part)) if part.isdigit() else sp.Symbol(part, integer=True, positive=True)
    return out


def symbol(s: ir.Sym):
    """The SymPy name of a variable: a real Symbol for a scalar, else a MatrixSymbol."""
    if s.shape == ir.SCALAR:
        return sp.Symbol(s.name, real=True)
    return sp.MatrixSymbol(s.name, dim(s.shape[0]), dim(s.shape[1]))


class Vec(sp.MatrixExpr):
    """vec(A): the columns of A stacked, entry i is A[i mod rows, i div rows]."""

    def __new__(cls, A):
        return super().__new__(cls, sp.sympify(A))

    @property
    def shape(self):
        r, c = self.args[0].shape
        return (r * c, sp.Integer(1))

    def _entry(self, i, j, **kw):
        A = self.args[0]
        r = A.shape[0]
        return A[i % r, i // r]

    def doit(self, **hints):
        A = self.args[0].doit(**hints) if hints.get("deep", True) else self.args[0]
        if isinstance(A, sp.MatrixBase):
            return sp.ImmutableMatrix(A.T.reshape(A.rows * A.cols, 1))
        return Vec(A)


class Commutation(sp.MatrixExpr):
    """K(m, n), with K vec(A) = vec(Aᵀ) for an m×n A: row j + n i, column i + m j is 1."""

    def __new__(cls, m, n):
        return super().__new__(cls, sp.sympify(m), sp.sympify(n))

    @property
    def shape(self):
        m, n = self.args
        return (m * n, m * n)

    def _entry(self, i, j, **kw):
        m, n = self.args
        return sp.KroneckerDelta(i, j // m + n * (j % m))

    def doit(self, **hints):
        m, n = self.args
        if m.is_Integer and n.is_Integer:
            return sp.ImmutableMatrix(self.as_explicit())
        return self


def _sigmoid(z):
    return 1 / (1 + sp.exp(-z))


FUNCS = {
    "exp": sp.exp, "log": sp.log, "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "tanh": sp.tanh,
    "arcsin": sp.asin, "arccos": sp.acos, "arctan": sp.atan, "sqrt": sp.sqrt, "abs": sp.Abs,
    "sign": sp.sign, "sigmoid": _sigmoid, "softplus": lambda z: sp.log(1 + sp.exp(z)),
    "relu": lambda z: sp.Max(z, 0), "step": lambda z: sp.Heaviside(z, 0),
}


def to_sympy(e: ir.Expr):
    """The SymPy form of an IR expression (a DAG: each shared node converted once)."""
    done: dict = {}
    for node in ir.postorder(e):
        done[node] = _convert(node, [done[k] for k in node.kids])
    return done[e]


def _scalar(M):
    """A 1×1 matrix expression as a scalar."""
    return sp.Trace(M)


def _entrywise(f, a, shape):
    return f(a) if shape == ir.SCALAR else a.applyfunc(sp.Lambda(_T, f(_T)))


_T = sp.Dummy("t", real=True)


def _total(M, shape):
    """The sum of all entries, 1ᵀ M 1."""
    r, c = (dim(d) for d in shape)
    ones = [sp.OneMatrix(1, r), M] + ([sp.OneMatrix(c, 1)] if c != 1 else [])
    return _scalar(sp.MatMul(*ones))


def _convert(e: ir.Expr, kids: list):
    scalar = e.shape == ir.SCALAR
    kid_scalar = [k.shape == ir.SCALAR for k in e.kids]
    match e:
        case ir.Sym():
            return symbol(e)
        case ir.Const(value=v):
            return sp.Rational(v.numerator, v.denominator)
        case ir.Identity(n=n):
            return sp.Integer(1) if scalar else sp.Identity(dim(n))
        case ir.Ones():
            return sp.Integer(1) if scalar else sp.OneMatrix(*(dim(d) for d in e.shape))
        case ir.Zero():
            return sp.Integer(0) if scalar else sp.ZeroMatrix(*(dim(d) for d in e.shape))
        case ir.Commutation(m=m, n=n):
            return Commutation(dim(m), dim(n))
        case ir.Add():
            return sp.Add(*kids) if scalar else sp.MatAdd(*kids)
        case ir.Mul():
            scalars = [k for k, s in zip(kids, kid_scalar) if s]
            chain = [k for k, s in zip(kids, kid_scalar) if not s]
            if not chain:
                return sp.Mul(*scalars)
            M = chain[0] if len(chain) == 1 else sp.MatMul(*chain)
            return sp.Mul(*scalars) * (_scalar(M) if scalar else M)
        case ir.Hadamard():
            return sp.Mul(*kids) if scalar else sp.HadamardProduct(*kids)
        case ir.Kron():
            a, b = kids
            if any(kid_scalar):
                return a * b
            return sp.KroneckerProduct(a, b)
        case ir.Transpose():
            return kids[0] if scalar else sp.Transpose(kids[0])
        case ir.Inverse():
            return 1 / kids[0] if scalar else sp.Inverse(kids[0])
        case ir.MatPow(k=k):
            return kids[0] ** k if scalar else sp.MatPow(kids[0], k)
        case ir.Pow(k=k) | ir.HadPow(k=k):
            k = sp.Rational(k.numerator, k.denominator)
            return kids[0] ** k if scalar else sp.HadamardPower(kids[0], k)
        case ir.SymPow():
            a, b = kids
            return a ** b if scalar else sp.HadamardPower(a, b)
        case ir.Func(name=name):
            return _entrywise(FUNCS[name], kids[0], e.shape)
        case ir.Trace():
            return kids[0] if kid_scalar[0] else sp.Trace(kids[0])
        case ir.Det():
            return kids[0] if kid_scalar[0] else sp.Determinant(kids[0])
        case ir.LogDet():
            return sp.log(kids[0] if kid_scalar[0] else sp.Determinant(kids[0]))
        case ir.Sum():
            return kids[0] if kid_scalar[0] else _total(kids[0], e.a.shape)
        case ir.Norm():
            a = kids[0]
            return sp.Abs(a) if kid_scalar[0] else sp.sqrt(_scalar(sp.MatMul(sp.Transpose(a), a)))
        case ir.LogSumExp():
            return kids[0] if kid_scalar[0] else sp.log(_total(_entrywise(sp.exp, kids[0], e.a.shape), e.a.shape))
        case ir.Softmax():
            if kid_scalar[0]:
                return sp.Integer(1)
            z = _entrywise(sp.exp, kids[0], e.a.shape)
            return sp.MatMul(1 / _total(z, e.a.shape), z)
        case ir.DiagMat():
            return kids[0] if kid_scalar[0] else DiagMatrix(kids[0])
        case ir.DiagVec():
            return kids[0] if kid_scalar[0] else DiagonalOf(kids[0])
        case ir.Vec():
            return kids[0] if kid_scalar[0] else Vec(kids[0])
        case ir.Ref():
            return kids[0]
    raise ir.MatcalcError(f"no SymPy form for {type(e).__name__}")  # pragma: no cover - every node is above


# -- evaluation at concrete sizes ----------------------------------------------------------------

def substitution(names: dict[str, ir.Sym], sizes: dict[str, int], values: dict[str, object]) -> dict:
    """What `explicit` replaces: each dimension Symbol by its size, each name by its value
    (a SymPy scalar, or a matrix as a nested list or any SymPy matrix; a vector as a column)."""
    out = {dim(d): sp.Integer(v) for d, v in sizes.items()}
    for name, s in names.items():
        if name not in values:
            continue
        v = values[name]
        if s.shape == ir.SCALAR:
            out[symbol(s)] = sp.sympify(v)
        else:
            r, c = (int(dim(d).xreplace(out)) for d in s.shape)
            out[symbol(s)] = sp.ImmutableMatrix(sp.Matrix(v).reshape(r, c))
    return out


def explicit(expr, replace: dict, canonical: bool = False):
    """expr with `replace` done, evaluated bottom-up: a SymPy scalar, or an ImmutableMatrix.
    With `canonical`, every value that holds a symbol is brought to one quotient of
    polynomials as it is made (sympy.cancel), so that a rational function of a few symbols
    stays small through products and inverses."""
    done: dict = {}
    tidy = _cancelled if canonical else (lambda v: v)
    stack = [(sp.sympify(expr), False)]
    while stack:  # children before parents, without recursion
        node, ready = stack.pop()
        if node in done:
            continue
        if node in replace or not node.args or isinstance(node, sp.MatrixBase):
            done[node] = replace.get(node, node)
            continue
        if not ready:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if a not in done)
            continue
        args = [done[a] for a in node.args]
        if type(node) in _EXPLICIT and isinstance(args[0], sp.MatrixBase):  # Inverse's args: (M, -1)
            done[node] = tidy(_EXPLICIT[type(node)](args[0]))
        else:
            out = node.func(*args) if any(a is not b for a, b in zip(args, node.args)) else node
            done[node] = tidy(_evaluated(out))
    return done[sp.sympify(expr)]


def _cancelled(v):
    if isinstance(v, (sp.Lambda, sp.Tuple)) or not getattr(v, "free_symbols", None):
        return v
    if isinstance(v, sp.MatrixBase):
        return v.applyfunc(sp.cancel)
    return sp.cancel(v) if isinstance(v, sp.Expr) and not isinstance(v, sp.MatrixExpr) else v


def _inverse(M):
    """Over rational functions, through SymPy's DomainMatrix (fast, exact); with Floats,
    adj(M)/det(M), which does not pivot and keeps their precision."""
    if not M.has(sp.Float):
        return sp.ImmutableMatrix(M.inv(method="DM"))
    return sp.ImmutableMatrix(M.adjugate(method="berkowitz") / M.det(method="berkowitz"))


def _det(M):
    return M.det(method="berkowitz" if M.has(sp.Float) else "domain-ge")


# SymPy 1.14 cannot take the shape of DiagonalOf and DiagMatrix over an explicit matrix (its
# sizes are ints); its own inverse of a matrix with a symbol in it pivots, slowly.
_EXPLICIT = {
    DiagonalOf: lambda M: sp.ImmutableMatrix(M.diagonal()).T,
    DiagMatrix: lambda v: sp.ImmutableMatrix(sp.diag(*v)),
    sp.Inverse: _inverse,
    sp.Determinant: _det,
}


def _evaluated(node):
    """One node whose children are explicit, evaluated: a matrix node becomes an
    ImmutableMatrix, a scalar node (Trace, Determinant, exp, ...) its value."""
    if isinstance(node, (sp.Lambda, sp.Tuple)) or not hasattr(node, "doit"):
        return node
    out = node.doit(deep=False)
    if isinstance(out, sp.MatrixExpr) and not isinstance(out, sp.MatrixBase):
        out = sp.ImmutableMatrix(out.as_explicit())
    return out
