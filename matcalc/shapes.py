"""Syntax tree -> typed IR: declarations, dimension unification, the function table.

Pass 1 gives every name a kind (declared, or as readings.py chooses) and walks the tree
unifying dimensions with SHAPE_RULES, one per construct, reporting a clash with the
operator's column and both shapes. Pass 2 names the free dimensions (n, m, p, ...) in
order of appearance and builds the IR with BUILD. FUNCTIONS is the one list of function
names: arity, shape rule, IR constructor. Imports ir, algebra, parse and readings.
"""
from __future__ import annotations

from functools import partial
from typing import Callable, Iterable, NamedTuple

from . import algebra, ir
from .ir import MatcalcError
from . import parse
from .parse import Decl, Parsed, Syntax
from .readings import SQUARE_ARGUMENT, choose_typing, default_kind, surprises, syntax_nodes, syntax_postorder

FRESH_NAMES = ["n", "m", "p", "q", "r", "s", "k", "l", "d", "t", "u", "v", "w"]
_FRESH_POOL = (*FRESH_NAMES, *(f"n{i}" for i in range(1, 1000)))  # built once, not per input


class Typed:
    """The typed input: its IR, its names and definitions, each subexpression's IR."""

    def __init__(self, expr: ir.Expr, source: str):
        self.expr, self.source = expr, source
        self.names: dict[str, ir.Sym] = {}
        self.defs: dict[str, ir.Ref] = {}
        self.subexpressions: list = []  # (Syntax, ir.Expr), in source order
        self.notes: list[str] = []  # defaults given up, declarations unused (SPEC §2)


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
        if isinstance(vi, tuple) or isinstance(vj, tuple):
            return self._unify_products(i, j)
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
        return False

    def _flat(self, i: int) -> tuple[int, list[int]]:
        """i as a number times a multiset of roots (names and free variables): products
        commute and numbers multiply out, so 2*3*n and n*6 flatten alike."""
        coeff, leaves, stack = 1, [], [i]
        while stack:
            r = self.find(stack.pop())
            v = self.value[r]
            if isinstance(v, tuple):
                stack += [v[1], v[2]]
            elif isinstance(v, int):
                coeff *= v
            else:
                leaves.append(r)
        return coeff, leaves

    def _unify_products(self, i: int, j: int) -> bool:
        """Equal products: the factors both sides share cancel; what is left must be equal,
        or one free variable that the rest determines (2*v = 6*n gives v = 3*n). Otherwise
        two products are paired factor by factor in written order, as kron(A, B) + kron(C, D)
        reads: a*a = n*n gives a = n."""
        (ci, li), (cj, lj) = self._flat(i), self._flat(j)
        rest, other = list(li), []
        for x in lj:
            if x in rest:
                rest.remove(x)
            else:
                other.append(x)
        if not rest and not other:
            ok = ci == cj
        elif self._solve(rest, ci, other, cj) or self._solve(other, cj, rest, ci):
            ok = True
        elif all(isinstance(self.value[k], tuple) for k in (i, j)):
            (_, a1, a2), (_, b1, b2) = self.value[i], self.value[j]
            ok = self.unify(a1, b1) and self.unify(a2, b2)
        else:
            ok = False
        a, b = self.find(i), self.find(j)
        if ok and a != b:  # a number or a name stays the root: a product never stands for it
            if isinstance(self.value[a], tuple) and not isinstance(self.value[b], tuple):
                a, b = b, a
            self.parent[b] = a
        return ok

    def _solve(self, left: list[int], cl: int, right: list[int], cr: int) -> bool:
        """cl·v = cr·right for a lone free variable v on the left: v is (cr/cl)·right."""
        if len(left) != 1 or self.value[left[0]] is not None or left[0] in right or cr % cl:
            return False
        v, ids = left[0], ([self.const(cr // cl)] if cr // cl != 1 else []) + right
        if len(ids) <= 1:
            return self.unify(v, ids[0] if ids else self.one)
        target = ids[0]
        for x in ids[1:]:
            target = self._new(("*", target, x))
        self.parent[v] = target
        return True

    def resolve(self, i: int, names: dict | None = None):
        i = self.find(i)
        v = self.value[i]
        if v is None:
            return (names or {}).get(i, f"?{i}")
        if isinstance(v, tuple):
            return ir.dim_mul(self.resolve(v[1], names), self.resolve(v[2], names))
        return v


# -- shape rules: (typer, Syntax node, its arguments' shapes as dim-id pairs) -> shape ----

def _scalar(t, *_):
    return (t.dims.one, t.dims.one)


def _keep(t, e, args):
    """The shape of the (first) argument, unchanged."""
    return args[0]


def _same_shape(t, a, b, message, column):
    t.unify_or(a[0], b[0], message, column)
    t.unify_or(a[1], b[1], message, column)


def _name(t, e, args):
    name = e.args[0]
    if name == "I":
        v = t.fresh()
        return (v, v)
    if name == "𝟙":  # a vector of ones, its length inferred like the size of I
        return (t.fresh(), t.dims.one)
    if name in t.defs:
        return t.shapes[id(t.defs[name])]
    return t.name_shape(name)


def _add(t, e, args):
    a, b = args
    op = "add" if e.kind == "add" else "subtract"
    message = lambda: f"cannot {op} {t.show(a)} and {t.show(b)}"
    if t.is_scalar(a) != t.is_scalar(b):
        raise MatcalcError(message(), e.column)
    _same_shape(t, a, b, message, e.column)
    return a


def _matmul(t, e, args):
    a, b = args
    if t.is_scalar(a):
        return b
    if t.is_scalar(b):
        return a
    t.unify_or(a[1], b[0], lambda: f"cannot multiply {t.show(a)} and {t.show(b)}", e.column)
    return (a[0], b[1])


def _hadamard(t, e, args):
    """A .* B, or a scalar stretched over the other side."""
    a, b = args
    if t.is_scalar(a) or t.is_scalar(b):
        return b if t.is_scalar(a) else a
    _same_shape(t, a, b, lambda: f"cannot multiply entrywise {t.show(a)} and {t.show(b)}", e.column)
    return a


def _hadamard_div(t, e, args):
    """A ./ B, or either side a scalar stretched over the other: 1 ./ x is the vector of
    reciprocals, as in MATLAB."""
    _no_zero_divisor(e)
    a, b = args
    if t.is_scalar(a) or t.is_scalar(b):
        return b if t.is_scalar(a) else a
    _same_shape(t, a, b, lambda: f"cannot multiply entrywise {t.show(a)} and {t.show(b)}", e.column)
    return a


def _no_zero_divisor(e: Syntax):
    if e.args[1].kind == "number" and e.args[1].args[0] == 0:
        raise MatcalcError("division by zero", e.column)


def _div(t, e, args):
    _no_zero_divisor(e)
    a, b = args
    if not t.is_scalar(b):
        raise MatcalcError(f"cannot divide by {t.show(b)}: `/` divides by a scalar (use ./ entrywise)", e.column)
    return a


def _kron(t, e, args):
    a, b = args
    return (t.dims.product(a[0], b[0]), t.dims.product(a[1], b[1]))


def _inverse_transpose(t, e, args):
    t.square(args[0], "an inverse", e.column)
    return args[0]


def _power(t, e, args):
    a, k = args[0], e.args[1]
    if t.is_scalar(a):
        return a
    if k.denominator != 1:
        raise MatcalcError(f"cannot raise {t.show(a)} to the non-integer power {k}", e.column)
    t.square(a, "a matrix power", e.column)
    return a


def _symbolic_power(t, e, args):
    """a^b and a .^ b with a scalar expression b: entrywise on a vector or matrix a."""
    a, b = args
    if not t.is_scalar(b):
        raise MatcalcError(f"an exponent must be a scalar, not {t.show(b)}", e.column)
    if not e.args[2] and not t.is_scalar(a):
        raise MatcalcError(f"a power of {t.show(a)} needs an integer exponent; write .^ for an entrywise power",
                           e.column)
    return a


def _call(t, e, args):
    """A function: its argument count checked, then its own shape rule."""
    fn, n = e.args[0], len(e.args) - 1
    f = FUNCTIONS[fn]
    if n not in f.arity:
        counts = " or ".join(map(str, f.arity))
        raise MatcalcError(f"{fn} takes {counts} argument{'' if f.arity == (1,) else 's'}, not {n}", e.column)
    if f.kind == "size":
        args = [t.size_arg(a) for a in e.args[1:]]
    return f.shape(t, e, args)


SHAPE_RULES = {
    "number": _scalar,
    "name": _name,
    "add": _add,
    "sub": _add,
    "neg": _keep,
    "matmul": _matmul,
    "hadamard": _hadamard,
    "hadamard_div": _hadamard_div,
    "div": _div,
    "kron": _kron,
    "transpose": lambda t, e, args: (args[0][1], args[0][0]),
    "inverse_transpose": _inverse_transpose,
    "power": _power,
    "entrywise_power": _keep,
    "symbolic_power": _symbolic_power,
    "norm": _scalar,
    "call": _call,
}


# -- the functions of the language: one row each -------------------------------------------
# A size function's shape rule gets the dim ids of its size arguments, and its constructor
# their resolved dimensions; any other function gets its arguments' shapes, then their IR.

def _square_to_scalar(t, e, args):
    t.square(args[0], e.args[0], e.column)
    return _scalar(t)


def _square(t, e, args):
    t.square(args[0], e.args[0], e.column)
    return args[0]


def _diag(t, e, args):
    """diag(v) is a square matrix, diag(A) the vector of A's diagonal."""
    a, dims = args[0], t.dims
    if t.is_scalar(a):
        return a
    if dims.find(a[1]) == dims.find(dims.one):
        return (a[0], a[0])
    t.square(a, "diag", e.column)
    return (a[0], dims.one)


def _vector(t, e, args):
    a = args[0]
    if t.dims.find(a[1]) != t.dims.find(t.dims.one) or t.is_scalar(a):
        raise MatcalcError(f"{e.args[0]} needs a vector, not {t.show(a)}", e.column)
    return a


def _vector_to_scalar(t, e, args):
    _vector(t, e, args)
    return _scalar(t)


def _vec(t, e, args):
    return (t.dims.product(*args[0]), t.dims.one)


def _ones(t, e, sizes):
    return (sizes[0], sizes[1] if len(sizes) == 2 else t.dims.one)


def _commutation(t, e, sizes):
    s = t.dims.product(sizes[0], sizes[1])
    return (s, s)


class Function(NamedTuple):
    """A function name of the language: what it is, how many arguments it takes, its
    shape rule and its IR constructor. Matrix-function names cannot be declared."""

    kind: str  # "matrix", "entrywise" or "size" (its arguments are dimensions)
    arity: tuple[int, ...]
    shape: Callable
    build: Callable


def _entrywise(name: str) -> Function:
    """exp, tanh, ...: the shape of the argument, and a Func node."""
    return Function("entrywise", (1,), _keep, partial(algebra.func, name))


FUNCTIONS = {
    "tr":          Function("matrix", (1,), _square_to_scalar, algebra.trace),
    "det":         Function("matrix", (1,), _square_to_scalar, algebra.det),
    "logdet":      Function("matrix", (1,), _square_to_scalar, algebra.logdet),
    "inv":         Function("matrix", (1,), _square, algebra.inv),
    "diag":        Function("matrix", (1,), _diag, algebra.diag),
    "sum":         Function("matrix", (1,), _scalar, algebra.sum_),
    "norm2":       Function("matrix", (1,), _scalar, algebra.norm),
    "kron":        Function("matrix", (2,), _kron, algebra.kron),
    "vec":         Function("matrix", (1,), _vec, algebra.vec),
    "softmax":     Function("matrix", (1,), _vector, algebra.softmax),
    "logsumexp":   Function("matrix", (1,), _vector_to_scalar, algebra.logsumexp),
    "norm1":       Function("matrix", (1,), _scalar, lambda a: algebra.sum_(algebra.func("abs", a))),
    "log_softmax": Function("matrix", (1,), _vector, lambda a: algebra.func("log", algebra.softmax(a))),
    "exp":         _entrywise("exp"),
    "log":         _entrywise("log"),
    "sin":         _entrywise("sin"),
    "cos":         _entrywise("cos"),
    "tan":         _entrywise("tan"),
    "tanh":        _entrywise("tanh"),
    "arcsin":      _entrywise("arcsin"),
    "arccos":      _entrywise("arccos"),
    "arctan":      _entrywise("arctan"),
    "sqrt":        _entrywise("sqrt"),
    "abs":         _entrywise("abs"),
    "sigmoid":     _entrywise("sigmoid"),
    "softplus":    _entrywise("softplus"),
    "relu":        _entrywise("relu"),
    "sign":        _entrywise("sign"),
    "step":        _entrywise("step"),
    "ones":        Function("size", (1, 2), _ones, lambda r, c=1: algebra.ones((r, c))),
    "zeros":       Function("size", (1, 2), _ones, lambda r, c=1: algebra.zero((r, c))),
    "eye":         Function("size", (1,), lambda t, e, sizes: (sizes[0], sizes[0]), algebra.eye),
    "commutation": Function("size", (2,), _commutation, ir.Commutation),
}
RESERVED = {"I", "𝟙"} | {name for name, f in FUNCTIONS.items() if f.kind == "matrix"}


def _sized(e: Syntax) -> bool:
    """A call whose arguments are sizes, not expressions: the walks do not enter them."""
    return e.kind == "call" and FUNCTIONS[e.args[0]].kind == "size"


def _walk(parsed: Parsed, root: Syntax) -> list[Syntax]:
    """root's nodes, children first, a sized call's arguments left out."""
    return syntax_postorder(parsed, root, _sized)


# -- pass 2: each construct's smart constructor, called with the node's arguments as IR -----

BUILD = {
    "number": algebra.const,
    "add": algebra.add,
    "sub": algebra.sub,
    "neg": algebra.neg,
    "matmul": algebra.mul,
    "hadamard": algebra.hadamard,
    "hadamard_div": lambda a, b: algebra.hadamard(a, algebra.hadpow(b, -1)),
    "div": lambda a, b: algebra.mul(a, algebra.power(b, -1)),
    "kron": algebra.kron,
    "transpose": algebra.T,
    "inverse_transpose": lambda a: algebra.inv(algebra.T(a)),
    "power": algebra.power,
    "entrywise_power": algebra.hadpow,
    "symbolic_power": lambda a, b, entrywise: algebra.sympow(a, b),
    "norm": algebra.norm,
}


class _Typer:
    """Pass 1: declarations, each name's kind, and the dimensions unified over the tree."""

    def __init__(self, parsed: Parsed, decls: dict[str, Decl], source: str, kinds: dict[str, str] | None = None):
        self.parsed = parsed
        self.source = source
        self.dims = _Dims()
        self.decls = decls
        self.kinds = kinds or {}  # kinds chosen for undeclared names, over the spelling's default
        self.defs: dict[str, Syntax] = {}
        self.shapes: dict[int, tuple[int, int]] = {}  # id(Syntax) -> dim ids
        self.name_shapes: dict[str, tuple[int, int]] = {}
        self.order: list[str] = []  # names in order of appearance
        self.forced: dict[str, str] = {}
        self.why: dict[str, str] = {}  # what forced each forced name
        self.fresh_order: list[int] = []
        self._final: tuple | None = None

    def _kind_forcing(self, e: Syntax):
        """Names whose use forces their kind, and why: the N of 1/N, the p of x .^ p."""
        def force(name_node: Syntax, kind: str, why: str):
            if name_node.kind == "name" and name_node.args[0] not in self.forced:
                self.forced[name_node.args[0]] = kind
                self.why[name_node.args[0]] = why

        stack = [e]
        while stack:
            node = stack.pop()
            kids = [a for a in node.args if isinstance(a, Syntax)]
            if node.kind == "div":
                force(kids[1], "scalar", "it divides")
            if node.kind == "symbolic_power":
                force(kids[1], "scalar", "it is an exponent")
            if node.kind == "symbolic_power" and not node.args[2] and kids[0].kind == "name":
                name = kids[0].args[0]  # s^t: a vector name is a scalar; X^p stays a matrix, refused
                force(kids[0], "scalar" if default_kind(name) != "matrix" else "matrix", "it has a power")
            if node.kind == "power" and kids[0].kind == "name" and default_kind(kids[0].args[0]) != "matrix":
                k = node.args[1]
                if k.denominator != 1 or default_kind(kids[0].args[0]) == "vector":
                    force(kids[0], "scalar", f"it has the power {k}")
            if node.kind in ("add", "sub"):
                for a, b in ((kids[0], kids[1]), (kids[1], kids[0])):
                    if b.kind == "number":
                        force(a, "scalar", "a number is added to it")
            if node.kind == "call" and node.args[0] in SQUARE_ARGUMENT:
                force(kids[0], "square", f"the argument of {node.args[0]}")
            if _sized(node):
                continue
            stack.extend(kids)

    def name_shape(self, name: str) -> tuple[int, int]:
        if name in self.name_shapes:
            return self.name_shapes[name]
        d = self.decls.get(name)
        shape = d.shape if d else None
        dims = self.dims
        if shape is None:
            kind = self.forced.get(name) or self.kinds.get(name) or default_kind(name)
            if d and d.symmetric:
                kind = "square"
            if kind == "scalar":
                s = (dims.one, dims.one)
            elif kind == "vector":
                s = (self.fresh(), dims.one)
            elif kind == "square":
                v = self.fresh()
                s = (v, v)
            else:
                s = (self.fresh(True), self.fresh(True))
        elif shape[0] == "scalar":
            s = (dims.one, dims.one)
        elif shape[0] == "vector":
            s = (dims.const(shape[1]), dims.one)
        else:
            s = (dims.const(shape[1]), dims.const(shape[2]))
        self.name_shapes[name] = s
        self.order.append(name)
        return s

    def fresh(self, may_be_one=False) -> int:
        v = self.dims.fresh(may_be_one)
        self.fresh_order.append(v)
        return v

    # -- pass 1: shapes --------------------------------------------------------------
    def is_scalar(self, s) -> bool:
        one = self.dims.find(self.dims.one)
        return self.dims.find(s[0]) == one and self.dims.find(s[1]) == one

    def show(self, s) -> str:
        """A shape in a message, its free dimensions named as they would be now."""
        names = self.fresh_names()
        return ir.show_shape(tuple(self.dims.resolve(d, names) for d in s))

    def unify_or(self, a: int, b: int, message, column: int):
        if not self.dims.unify(a, b):
            raise MatcalcError(message(), column)

    def square(self, s, what: str, column: int):
        if self.is_scalar(s):
            return
        self.unify_or(s[0], s[1], lambda: f"{what} needs a square matrix, not {self.show(s)}", column)

    def shape_of(self, e: Syntax):
        """Pass 1 over the tree, in post-order."""
        shapes = self.shapes
        for node in _walk(self.parsed, e):
            args = [] if _sized(node) else [shapes[id(a)] for a in node.args if type(a) is Syntax]
            shapes[id(node)] = SHAPE_RULES[node.kind](self, node, args)
        return shapes[id(e)]

    def size_arg(self, a: Syntax) -> int:
        """The dim id of a size argument: n, 3, or m*q as a vec form prints the size of vec(M)."""
        if a.kind == "number" and a.args[0].denominator == 1 and a.args[0] > 0:
            return self.dims.const(int(a.args[0]))
        if a.kind == "name":
            return self.dims.const(a.args[0])
        if a.kind == "matmul":
            return self.dims.product(*(self.size_arg(b) for b in a.args))
        raise MatcalcError("a size must be a dimension name, a positive integer or a product of them", a.column)

    # -- naming ----------------------------------------------------------------------
    def final(self) -> tuple[dict, dict]:
        """Once typing is done: the free dimensions' names, and each name's shape with
        them (asked for by the reading's cost and then by pass 2)."""
        if self._final is None:
            names = self.fresh_names()
            self._final = names, {n: tuple(self.dims.resolve(d, names) for d in s) for n, s in self.name_shapes.items()}
        return self._final

    def fresh_names(self) -> dict:
        taken = {d for d in self.dims.consts if isinstance(d, str)} | set(self.order)
        names, pool = {}, (n for n in _FRESH_POOL if n not in taken)
        for v in self.fresh_order:
            root = self.dims.find(v)
            if self.dims.value[root] is None and root not in names:
                names[root] = next(pool)
        return names


# Functions people reach for that matcalc does not have; suggesting the entrywise
# namesake (exp for expm) would invite a misreading.
NOT_IN_THE_LANGUAGE = {
    "expm": "the matrix exponential", "logm": "the matrix logarithm", "sqrtm": "the matrix square root",
    "max": "a maximum", "min": "a minimum", "rank": "the rank", "eig": "eigenvalues", "svd": "the SVD",
}


def _unknown_calls(parsed: Parsed):
    """A name directly before `(` is a call (SPEC §1): one that is not a function is an
    error, never a silent product."""
    for node in syntax_nodes(parsed):
        if node.kind == "call" and node.args[0] not in FUNCTIONS:
            name = node.args[0]
            if name in NOT_IN_THE_LANGUAGE:
                raise MatcalcError(f"{name} ({NOT_IN_THE_LANGUAGE[name]}) is not in matcalc's language; "
                                   f"the functions of SPEC §1 are: {', '.join(sorted(FUNCTIONS))}", node.column)
            import difflib

            near = difflib.get_close_matches(name, [*FUNCTIONS, *parse.ALIASES], n=1, cutoff=0.6)
            hint = f"did you mean {near[0]}? " if near else ""
            what = "the identity matrix" if name == "I" else "not a function"
            raise MatcalcError(f"{name}(...) reads as a call, and {name} is {what}: {hint}"
                               f"for a product write `{name} (...)` or `{name} * (...)`", node.column)


def _check_definitions(parsed: Parsed, decls: dict):
    """Each name defined once, from names defined before it, never from itself."""
    defined: set[str] = set()
    for i, d in enumerate(parsed.defs):
        if d.name in defined:
            raise MatcalcError(f"{d.name} is defined twice", d.column)
        if d.name in RESERVED or d.name in FUNCTIONS:
            raise MatcalcError(f"{d.name} is reserved and cannot be defined", d.column)
        if d.name in decls:
            raise MatcalcError(f"{d.name} is both declared and defined", d.column)
        later = {e.name for e in parsed.defs[i + 1:]} - defined
        for node in syntax_nodes(Parsed(d.expr)):
            if node.kind == "name" and node.args[0] == d.name:
                raise MatcalcError(f"{d.name} is defined in terms of itself", node.column)
            if node.kind == "name" and node.args[0] in later:
                raise MatcalcError(f"{node.args[0]} is used before its definition", node.column)
        defined.add(d.name)


def type_input(parsed: Parsed, decls: tuple[Decl, ...] = (), source: str = "", scalar: bool = False,
               keep: str | None = None) -> Typed:
    """Typecheck a parsed input against its declarations and build its IR. `scalar` asks
    for a scalar expression (a gradient or Hessian), a constraint like any operator's;
    `keep` (its variable) is then never made a scalar to fit."""
    _unknown_calls(parsed)
    declared = _declarations((*decls, *parsed.decls))
    _check_definitions(parsed, declared)
    probe = _Typer(parsed, declared, source)
    for e in (*(d.expr for d in parsed.defs), parsed.expr):
        probe._kind_forcing(e)
    try:
        t, notes = choose_typing(parsed, declared, probe,
                                 lambda kinds: _attempt(parsed, declared, source, kinds, probe, scalar), keep)
    except MatcalcError:
        if not scalar:
            raise
        t, _ = choose_typing(parsed, declared, probe, lambda kinds: _attempt(parsed, declared, source, kinds, probe))
        shape = t.show(t.shapes[id(parsed.expr)])
        if t.is_scalar(t.shapes[id(parsed.expr)]):  # scalar only where the variable is a scalar too
            raise MatcalcError(f"no reading of the names makes this a scalar with {keep} not a scalar; "
                               f"declare the shapes you mean (a number and a vector do not add: "
                               f"1 - v is written ones(n) - v)", 1) from None
        raise MatcalcError(f"a gradient or Hessian needs a scalar expression, and this one is {shape}", 1) from None
    typed = _Builder(t).build()
    used = {node.args[0] for node in syntax_nodes(parsed) if node.kind == "name"}
    typed.notes = notes + surprises(parsed, typed, used, FUNCTIONS) + [
        f"{name}: declared but not used in the expression" for name in declared if name not in used] + [
        f"{d.name}: defined but not used in the expression" for d in parsed.defs if d.name not in used]
    return typed


def _declarations(decls) -> dict[str, Decl]:
    """The declarations merged by name, each checked against the others and itself."""
    out: dict[str, Decl] = {}
    for d in decls:
        if d.name in RESERVED or d.name in FUNCTIONS:
            raise MatcalcError(f"{d.name} is reserved and cannot be declared", d.column)
        old = out.get(d.name)
        if old is not None and old.shape is not None and d.shape is not None and old.shape != d.shape:
            raise MatcalcError(f"{d.name} is declared twice with different shapes", d.column)
        if old is not None:
            d = Decl(d.name, d.shape or old.shape, d.symmetric or old.symmetric, d.column)
        if d.shape and d.symmetric and d.shape[0] != "matrix":
            raise MatcalcError(f"{d.name} is declared symmetric but is not a matrix", d.column)
        if d.shape and d.shape[0] == "matrix" and d.symmetric and d.shape[1] != d.shape[2]:
            raise MatcalcError(f"{d.name} is declared symmetric but is not square", d.column)
        out[d.name] = d
    return out


def _attempt(parsed: Parsed, decls: dict[str, Decl], source: str, kinds: dict[str, str], probe: _Typer,
             scalar: bool = False) -> _Typer:
    """Pass 1 with the given kinds for undeclared names; a MatcalcError if they do not fit.
    The kinds the syntax forces are the probe's: they depend on the syntax alone."""
    t = _Typer(parsed, decls, source, kinds)
    t.forced, t.why = dict(probe.forced), dict(probe.why)
    for d in parsed.defs:
        t.shape_of(d.expr)
        t.defs[d.name] = d.expr
    shape = t.shape_of(parsed.expr)
    if scalar and not t.is_scalar(shape):
        raise MatcalcError(f"a gradient or Hessian needs a scalar expression, and this one is {t.show(shape)}", 1)
    for name, s in t.name_shapes.items():
        kind = t.forced.get(name) or kinds.get(name) or default_kind(name)
        if kind != "scalar" and name not in decls and t.is_scalar(s):
            raise MatcalcError(f"{name} is used as a scalar; declare it `{name}: scalar`", 1)
    for name in decls:
        if name not in t.name_shapes:
            t.name_shape(name)
        if decls[name].symmetric:
            t.square(t.name_shapes[name], f"symmetric {name}", decls[name].column)
    return t


class _Builder:
    """Pass 2: resolved dimensions, then IR through the smart constructors."""

    def __init__(self, t: _Typer):
        self.t = t
        fresh, shapes = t.final()
        self.resolve = lambda i: t.dims.resolve(i, fresh)
        self.typed = Typed(ir.ONE, t.source)
        for name in t.order:
            d = t.decls.get(name)
            self.typed.names[name] = ir.Sym(name, shapes[name], bool(d and d.symmetric))
        self.ir: dict[int, ir.Expr] = {}

    def build(self) -> Typed:
        for d in self.t.parsed.defs:
            body = self.expr(d.expr)
            self.typed.defs[d.name] = ir.Ref(d.name, body)
        self.typed.expr = self.expr(self.t.parsed.expr)
        return self.typed

    def expr(self, e: Syntax) -> ir.Expr:
        for node in _walk(self.t.parsed, e):
            try:
                out = self._build(node)
            except ir.ShapeError as err:
                raise MatcalcError(err.message, node.column) from None
            self.ir[id(node)] = out
            self.typed.subexpressions.append((node, out))
        return self.ir[id(e)]

    def _build(self, e: Syntax) -> ir.Expr:
        if e.kind == "name":
            return self._name(e)
        if _sized(e):
            return FUNCTIONS[e.args[0]].build(*(self.resolve(self.t.size_arg(a)) for a in e.args[1:]))
        args = [self.ir[id(a)] if isinstance(a, Syntax) else a for a in e.args]
        if e.kind == "call":
            return FUNCTIONS[args[0]].build(*args[1:])
        return BUILD[e.kind](*args)

    def _name(self, e: Syntax) -> ir.Expr:
        name = e.args[0]
        if name == "I":
            s = self.t.shapes[id(e)]
            return algebra.eye(self.resolve(s[0]))
        if name == "𝟙":
            return algebra.ones((self.resolve(self.t.shapes[id(e)][0]), 1))
        if name in self.typed.defs:
            return self.typed.defs[name]
        return self.typed.names[name]


def analyze(expr: str, declare: Iterable[str] | str = (), scalar: bool = False, keep: str | None = None):
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
        return type_input(parse.parse(expr), tuple(decls), expr, scalar, keep)
    except MatcalcError as e:
        e.source = e.source or expr
        raise
