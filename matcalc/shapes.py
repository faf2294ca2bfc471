"""Syntax tree -> typed IR: declarations, naming defaults, dimension unification.

Pass 1 gives every name a kind (declared, forced by how it is used, or by the naming
convention of SPEC §2) and walks the tree unifying dimensions, reporting a clash with
the operator's column and both shapes. Pass 2 names the free dimensions (n, m, p, ...)
in order of appearance and builds the IR through the smart constructors.
"""
from __future__ import annotations

import re
from typing import Iterable
from dataclasses import dataclass, field

from . import algebra, ir
from .ir import MatcalcError
from . import parse
from .parse import Decl, Parsed, Syntax

FRESH_NAMES = ["n", "m", "p", "q", "r", "s", "k", "l", "d", "t", "u", "v", "w"]
MATRIX_FUNCS = {"tr", "det", "logdet", "inv", "diag", "sum", "norm2", "kron", "vec", "softmax", "logsumexp"}
SIZE_FUNCS = {"ones", "zeros", "eye", "commutation"}
GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "eps", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi",
    "psi", "omega",
}


def default_kind(name: str) -> str:
    """SPEC §2: x, x_i, w2 are vectors; A, W1 matrices; anything else a scalar."""
    if re.fullmatch(r"[a-z](\d+|_\w*)?", name):
        return "vector"
    if re.fullmatch(r"[A-Z](\d+|_\w*)?", name):
        return "matrix"
    return "scalar"


@dataclass
class Typed:
    """The typed input: its IR, its names and definitions, each subexpression's IR."""

    expr: ir.Expr
    source: str
    names: dict[str, ir.Sym] = field(default_factory=dict)
    defs: dict[str, ir.Ref] = field(default_factory=dict)
    subexpressions: list = field(default_factory=list)  # (Syntax, ir.Expr), in source order


class _Dims:
    """Union-find over dimensions: named or numeric constants, and free variables."""

    def __init__(self):
        self.parent: list[int] = []
        self.value: list = []  # None for a free variable, else a str/int or ("*", i, j)
        self.may_be_one: list[bool] = []  # a matrix's free dimension may turn out to be 1
        self.consts: dict = {}
        self.one = self.const(1)

    def _new(self, value, may_be_one=False) -> int:
        self.parent.append(len(self.parent))
        self.value.append(value)
        self.may_be_one.append(may_be_one)
        return len(self.parent) - 1

    def fresh(self, may_be_one=False) -> int:
        return self._new(None, may_be_one)

    def const(self, d) -> int:
        if d not in self.consts:
            self.consts[d] = self._new(d)
        return self.consts[d]

    def product(self, i: int, j: int) -> int:
        if self.find(i) == self.one:
            return j
        if self.find(j) == self.one:
            return i
        return self._new(("*", i, j))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def unify(self, i: int, j: int) -> bool:
        i, j = self.find(i), self.find(j)
        if i == j:
            return True
        vi, vj = self.value[i], self.value[j]
        if vi is None and vj is None:
            self.parent[j] = i
            self.may_be_one[i] = self.may_be_one[i] and self.may_be_one[j]
            return True
        if vi is None or vj is None:
            var, other = (i, j) if vi is None else (j, i)
            if self.value[other] == 1 and not self.may_be_one[var]:
                return False  # a vector's length is never 1: that would make it a scalar
            self.parent[var] = other
            return True
        if isinstance(vi, tuple) and isinstance(vj, tuple):
            if self.unify(vi[1], vj[1]) and self.unify(vi[2], vj[2]):
                self.parent[j] = i
                return True
            return False
        if isinstance(vi, tuple) or isinstance(vj, tuple):
            a, b = (vi, vj) if isinstance(vi, tuple) else (vj, vi)
            ra, rb = self.resolve(a[1]), self.resolve(a[2])
            return isinstance(ra, int) and isinstance(rb, int) and ra * rb == b
        return False

    def resolve(self, i: int, names: dict | None = None):
        i = self.find(i)
        v = self.value[i]
        if v is None:
            return (names or {}).get(i, f"?{i}")
        if isinstance(v, tuple):
            return ir.dim_mul(self.resolve(v[1], names), self.resolve(v[2], names))
        return v


class _Typer:
    def __init__(self, parsed: Parsed, decls: tuple[Decl, ...], source: str):
        self.parsed = parsed
        self.source = source
        self.dims = _Dims()
        self.decls: dict[str, Decl] = {}
        for d in (*decls, *parsed.decls):
            self._declare(d)
        self.defs: dict[str, Syntax] = {}
        self.shapes: dict[int, tuple[int, int]] = {}  # id(Syntax) -> dim ids
        self.name_shapes: dict[str, tuple[int, int]] = {}
        self.order: list[str] = []  # names in order of appearance
        self.forced: dict[str, str] = {}
        self.fresh_order: list[int] = []

    # -- declarations --------------------------------------------------------------
    def _declare(self, d: Decl):
        if d.name == "I" or d.name in MATRIX_FUNCS:
            raise MatcalcError(f"{d.name} is reserved and cannot be declared", d.column)
        old = self.decls.get(d.name)
        if old is not None and old.shape is not None and d.shape is not None and old.shape != d.shape:
            raise MatcalcError(f"{d.name} is declared twice with different shapes", d.column)
        if old is not None:
            d = Decl(d.name, d.shape or old.shape, d.symmetric or old.symmetric, d.column)
        if d.shape and d.symmetric and d.shape[0] != "matrix":
            raise MatcalcError(f"{d.name} is declared symmetric but is not a matrix", d.column)
        if d.shape and d.shape[0] == "matrix" and d.symmetric and d.shape[1] != d.shape[2]:
            raise MatcalcError(f"{d.name} is declared symmetric but is not square", d.column)
        self.decls[d.name] = d

    def _kind_forcing(self, e: Syntax):
        """Names whose use forces their kind: the N of 1/N, the s of s^(1/2)."""
        stack = [e]
        while stack:
            node = stack.pop()
            kids = [a for a in node.args if isinstance(a, Syntax)]
            if node.kind == "div" and kids[1].kind == "name":
                self.forced.setdefault(kids[1].args[0], "scalar")
            if node.kind == "power" and kids[0].kind == "name":
                name = kids[0].args[0]
                k = node.args[1]
                if k.denominator != 1 or default_kind(name) == "vector":
                    self.forced.setdefault(name, "scalar")
            if node.kind in ("add", "sub"):
                for a, b in ((kids[0], kids[1]), (kids[1], kids[0])):
                    if a.kind == "name" and b.kind == "number":
                        self.forced.setdefault(a.args[0], "scalar")
            if node.kind == "call" and node.args[0] in SIZE_FUNCS:
                continue
            stack.extend(kids)

    def _name_shape(self, name: str, column: int) -> tuple[int, int]:
        if name in self.name_shapes:
            return self.name_shapes[name]
        d = self.decls.get(name)
        shape = d.shape if d else None
        dims = self.dims
        if shape is None:
            kind = self.forced.get(name) or default_kind(name)
            if d and d.symmetric:
                kind = "square"
            if kind == "scalar":
                s = (dims.one, dims.one)
            elif kind == "vector":
                s = (self._fresh(), dims.one)
            elif kind == "square":
                v = self._fresh()
                s = (v, v)
            else:
                s = (self._fresh(True), self._fresh(True))
        elif shape[0] == "scalar":
            s = (dims.one, dims.one)
        elif shape[0] == "vector":
            s = (dims.const(shape[1]), dims.one)
        else:
            s = (dims.const(shape[1]), dims.const(shape[2]))
        self.name_shapes[name] = s
        self.order.append(name)
        return s

    def _fresh(self, may_be_one=False) -> int:
        v = self.dims.fresh(may_be_one)
        self.fresh_order.append(v)
        return v

    # -- pass 1: shapes --------------------------------------------------------------
    def is_scalar(self, s) -> bool:
        one = self.dims.find(self.dims.one)
        return self.dims.find(s[0]) == one and self.dims.find(s[1]) == one

    def show(self, s) -> str:
        names = self._provisional_names()
        r, c = (self.dims.resolve(d, names) for d in s)
        if (r, c) == (1, 1):
            return "scalar"
        return f"{r}×{c}"

    def _provisional_names(self) -> dict:
        return self._name_fresh()

    def fail(self, message: str, column: int):
        raise MatcalcError(message, column)

    def unify_or(self, a: int, b: int, message, column: int):
        if not self.dims.unify(a, b):
            self.fail(message(), column)

    def square(self, s, what: str, column: int):
        if self.is_scalar(s):
            return
        self.unify_or(s[0], s[1], lambda: f"{what} needs a square matrix, not {self.show(s)}", column)

    def shape_of(self, e: Syntax):
        """Pass 1 over the tree, iteratively in post-order."""
        stack = [(e, False)]
        while stack:
            node, done = stack.pop()
            if done:
                self.shapes[id(node)] = self._rule(node)
                continue
            stack.append((node, True))
            if node.kind == "call" and node.args[0] in SIZE_FUNCS:
                continue
            stack.extend((a, False) for a in reversed(node.args) if isinstance(a, Syntax))
        return self.shapes[id(e)]

    def _rule(self, e: Syntax):
        k, col, dims = e.kind, e.column, self.dims
        sized = k == "call" and e.args[0] in SIZE_FUNCS  # its arguments are sizes, not expressions
        args = [] if sized else [self.shapes[id(a)] for a in e.args if isinstance(a, Syntax)]
        one = dims.one
        if k == "number":
            return (one, one)
        if k == "name":
            name = e.args[0]
            if name == "I":
                v = self._fresh()
                return (v, v)
            if name in self.defs:
                return self.shapes[id(self.defs[name])]
            return self._name_shape(name, col)
        if k in ("add", "sub"):
            a, b = args
            op = "add" if k == "add" else "subtract"
            msg = lambda: f"cannot {op} {self.show(a)} and {self.show(b)}"
            if self.is_scalar(a) != self.is_scalar(b):
                self.fail(msg(), col)
            self.unify_or(a[0], b[0], msg, col)
            self.unify_or(a[1], b[1], msg, col)
            return a
        if k == "neg":
            return args[0]
        if k == "matmul":
            a, b = args
            if self.is_scalar(a):
                return b
            if self.is_scalar(b):
                return a
            self.unify_or(a[1], b[0], lambda: f"cannot multiply {self.show(a)} and {self.show(b)}", col)
            return (a[0], b[1])
        if k in ("hadamard", "hadamard_div"):
            a, b = args
            if self.is_scalar(b) or (k == "hadamard" and self.is_scalar(a)):
                return b if self.is_scalar(a) else a
            msg = lambda: f"cannot multiply entrywise {self.show(a)} and {self.show(b)}"
            if self.is_scalar(a):
                self.fail(f"cannot divide the scalar entrywise by {self.show(b)}", col)
            self.unify_or(a[0], b[0], msg, col)
            self.unify_or(a[1], b[1], msg, col)
            return a
        if k == "div":
            a, b = args
            if not self.is_scalar(b):
                self.fail(f"cannot divide by {self.show(b)}: `/` divides by a scalar (use ./ entrywise)", col)
            return a
        if k == "kron":
            a, b = args
            return (dims.product(a[0], b[0]), dims.product(a[1], b[1]))
        if k == "transpose":
            return (args[0][1], args[0][0])
        if k == "inverse_transpose":
            self.square(args[0], "an inverse", col)
            return args[0]
        if k == "power":
            a, p = args[0], e.args[1]
            if self.is_scalar(a):
                return a
            if p.denominator != 1:
                self.fail(f"cannot raise {self.show(a)} to the non-integer power {p}", col)
            self.square(a, "a matrix power", col)
            return a
        if k == "entrywise_power":
            return args[0]
        if k == "norm":
            return (one, one)
        if k == "call":
            return self._call(e, args)
        raise AssertionError(k)  # pragma: no cover

    def _call(self, e: Syntax, args):
        fn, col, dims, one = e.args[0], e.column, self.dims, self.dims.one
        want = 2 if fn in ("kron", "commutation") else 1 if fn == "eye" else (None if fn in ("ones", "zeros") else 1)
        n = len(e.args) - 1
        if (want is None and n not in (1, 2)) or (want is not None and n != want):
            self.fail(f"{fn} takes {want or '1 or 2'} argument{'s' if want != 1 else ''}, not {n}", col)
        if fn in SIZE_FUNCS:
            ds = [self._size_arg(a) for a in e.args[1:]]
            if fn == "commutation":
                s = dims.product(ds[0], ds[1])
                return (s, s)
            if fn == "eye":
                return (ds[0], ds[0])
            return (ds[0], ds[1] if len(ds) == 2 else one)
        a = args[0]
        if fn in ("tr", "det", "logdet"):
            self.square(a, fn, col)
            return (one, one)
        if fn == "inv":
            self.square(a, "inv", col)
            return a
        if fn in ("sum", "norm2"):
            return (one, one)
        if fn == "kron":
            b = args[1]
            return (dims.product(a[0], b[0]), dims.product(a[1], b[1]))
        if fn == "vec":
            return (dims.product(a[0], a[1]), one)
        if fn == "diag":
            if self.is_scalar(a):
                return a
            if dims.find(a[1]) == dims.find(one):
                return (a[0], a[0])
            self.square(a, "diag", col)
            return (a[0], one)
        if fn in ("softmax", "logsumexp"):
            if dims.find(a[1]) != dims.find(one) or self.is_scalar(a):
                self.fail(f"{fn} needs a vector, not {self.show(a)}", col)
            return a if fn == "softmax" else (one, one)
        return a  # entrywise functions keep the shape

    def _size_arg(self, a: Syntax) -> int:
        if a.kind == "number" and a.args[0].denominator == 1 and a.args[0] > 0:
            return self.dims.const(int(a.args[0]))
        if a.kind == "name":
            return self.dims.const(a.args[0])
        if a.kind == "matmul":  # m*q, as a vec form prints the size of vec(M)
            return self.dims.product(*(self._size_arg(b) for b in a.args))
        self.fail("a size must be a dimension name, a positive integer or a product of them", a.column)

    # -- naming ----------------------------------------------------------------------
    def _name_fresh(self) -> dict:
        taken = {d for d in self.dims.consts if isinstance(d, str)} | set(self.order)
        names, pool = {}, (n for n in FRESH_NAMES + [f"n{i}" for i in range(1, 1000)] if n not in taken)
        for v in self.fresh_order:
            root = self.dims.find(v)
            if self.dims.value[root] is None and root not in names:
                names[root] = next(pool)
        return names


def type_input(parsed: Parsed, decls: tuple[Decl, ...] = (), source: str = "") -> Typed:
    """Typecheck a parsed input against its declarations and build its IR."""
    t = _Typer(parsed, decls, source)
    for d in parsed.defs:
        if d.name in t.defs or d.name == "I":
            raise MatcalcError(f"{d.name} is defined twice" if d.name in t.defs else "I is reserved", d.column)
        if d.name in t.decls:
            raise MatcalcError(f"{d.name} is both declared and defined", d.column)
        t._kind_forcing(d.expr)
    t._kind_forcing(parsed.expr)
    for d in parsed.defs:
        t.shape_of(d.expr)
        t.defs[d.name] = d.expr
    t.shape_of(parsed.expr)
    for name, s in t.name_shapes.items():
        kind = t.forced.get(name) or default_kind(name)
        if kind != "scalar" and name not in t.decls and t.is_scalar(s):
            raise MatcalcError(f"{name} is used as a scalar; declare it `{name}: scalar`", 1)
    for name in t.decls:
        if name not in t.name_shapes:
            t._name_shape(name, 1)
        if t.decls[name].symmetric:
            t.square(t.name_shapes[name], f"symmetric {name}", t.decls[name].column)
    return _Builder(t).build()


class _Builder:
    """Pass 2: resolved dimensions, then IR through the smart constructors."""

    def __init__(self, t: _Typer):
        self.t = t
        fresh = t._name_fresh()
        self.resolve = lambda i: t.dims.resolve(i, fresh)
        self.typed = Typed(ir.ONE, t.source)
        for name in t.order:
            r, c = (self.resolve(i) for i in t.name_shapes[name])
            d = t.decls.get(name)
            self.typed.names[name] = ir.Sym(name, (r, c), bool(d and d.symmetric))
        self.ir: dict[int, ir.Expr] = {}

    def build(self) -> Typed:
        for d in self.t.parsed.defs:
            body = self.expr(d.expr)
            self.typed.defs[d.name] = ir.Ref(d.name, body)
        self.typed.expr = self.expr(self.t.parsed.expr)
        return self.typed

    def expr(self, e: Syntax) -> ir.Expr:
        stack = [(e, False)]
        while stack:
            node, done = stack.pop()
            if done:
                try:
                    out = self._build(node)
                except ir.ShapeError as err:
                    raise MatcalcError(err.message, node.column) from None
                self.ir[id(node)] = out
                self.typed.subexpressions.append((node, out))
                continue
            stack.append((node, True))
            if node.kind == "call" and node.args[0] in SIZE_FUNCS:
                continue
            stack.extend((a, False) for a in reversed(node.args) if isinstance(a, Syntax))
        return self.ir[id(e)]

    def _build(self, e: Syntax) -> ir.Expr:
        k = e.kind
        if k == "call" and e.args[0] in SIZE_FUNCS:
            return self._call(e, [])
        a = [self.ir[id(x)] for x in e.args if isinstance(x, Syntax)]
        if k == "number":
            return algebra.const(e.args[0])
        if k == "name":
            name = e.args[0]
            if name == "I":
                s = self.t.shapes[id(e)]
                return algebra.eye(self.resolve(s[0]))
            if name in self.typed.defs:
                return self.typed.defs[name]
            return self.typed.names[name]
        simple = {
            "add": lambda: algebra.add(a[0], a[1]),
            "sub": lambda: algebra.sub(a[0], a[1]),
            "neg": lambda: algebra.neg(a[0]),
            "matmul": lambda: algebra.mul(a[0], a[1]),
            "hadamard": lambda: algebra.hadamard(a[0], a[1]),
            "hadamard_div": lambda: algebra.hadamard(a[0], algebra.hadpow(a[1], -1)),
            "div": lambda: algebra.mul(a[0], algebra.power(a[1], -1)),
            "kron": lambda: algebra.kron(a[0], a[1]),
            "transpose": lambda: algebra.T(a[0]),
            "inverse_transpose": lambda: algebra.inv(algebra.T(a[0])),
            "power": lambda: algebra.power(a[0], e.args[1]),
            "entrywise_power": lambda: algebra.hadpow(a[0], e.args[1]),
            "norm": lambda: algebra.norm(a[0]),
        }
        if k in simple:
            return simple[k]()
        return self._call(e, a)

    def _call(self, e: Syntax, a: list[ir.Expr]) -> ir.Expr:
        fn = e.args[0]
        if fn in SIZE_FUNCS:
            s = self.t.shapes[id(e)]
            if fn == "commutation":
                m, n = (self.t.dims.const(x.args[0] if x.kind == "name" else int(x.args[0])) for x in e.args[1:])
                return ir.Commutation(self.resolve(m), self.resolve(n))
            shape = (self.resolve(s[0]), self.resolve(s[1]))
            if fn == "eye":
                return algebra.eye(shape[0])
            return algebra.ones(shape) if fn == "ones" else algebra.zero(shape)
        table = {
            "tr": algebra.trace, "det": algebra.det, "logdet": algebra.logdet, "inv": algebra.inv, "diag": algebra.diag,
            "sum": algebra.sum_, "norm2": algebra.norm, "vec": algebra.vec, "softmax": algebra.softmax,
            "logsumexp": algebra.logsumexp,
        }
        if fn == "kron":
            return algebra.kron(a[0], a[1])
        if fn in table:
            return table[fn](a[0])
        return algebra.func(fn, a[0])


def analyze(expr: str, declare: Iterable[str] | str = ()):
    """Parse and type an input: the Typed IR of shapes.py (errors carry the source)."""
    if isinstance(declare, str):
        declare = [declare]
    decls = []
    for d in declare:
        try:
            decls.extend(parse.parse_decls(d))
        except MatcalcError as e:
            e.source = e.source or d
            raise
    try:
        return type_input(parse.parse(expr), tuple(decls), expr)
    except MatcalcError as e:
        e.source = e.source or expr
        raise
