"""NumPy printer: the code a numerical programmer would write (SPEC §4 `numpy`, and the
statements of `--format python`). A product chain is planned: each factor is an operand
that knows how it multiplies (a diagonal by broadcasting, a commutation matrix by an index,
kron by the mixed product, an unshared inverse by solve), associated in the cheapest order
for named dimensions taken as large and equal. A subtree printed twice is bound once: it
prints as a marker, and `finish` writes its body where it is first evaluated, as
`(t := ...)` or as a statement. Imports ir and printers.common only; builds no node.
"""
from __future__ import annotations

import keyword
import re
from collections import Counter
from fractions import Fraction

from .. import ir
from .common import SUM, PRODUCT, UNARY, POSTFIX, ATOM, Printer, coefficient, signed_terms

FUNCS = {
    "exp": "np.exp({})", "log": "np.log({})", "sin": "np.sin({})", "cos": "np.cos({})",
    "tan": "np.tan({})", "tanh": "np.tanh({})", "arcsin": "np.arcsin({})", "arccos": "np.arccos({})",
    "arctan": "np.arctan({})", "sqrt": "np.sqrt({})", "abs": "np.abs({})",
    "softplus": "np.logaddexp(0, {})", "relu": "np.maximum({}, 0)", "sign": "np.sign({})",
    "step": "np.heaviside({}, 0.0)",
}
NEGATED_FUNCS = {"sigmoid": "np.exp(-np.logaddexp(0, {}))"}  # σ(z) = exp(-softplus(-z)): no overflow

RESERVED = {"np"}  # names the code itself uses: a variable so named gets a trailing underscore
DEEP = 100  # DAG height from which printing visits children first (deep_first)
CUT = 24  # ... and binds a name every this many levels
BIG = 1000  # the size a named dimension stands for when products are planned
MARK = re.compile("\x00(\\d+)\x00")


def py_name(name: str) -> str:
    """A variable's name in Python: keywords and `np` get a trailing underscore."""
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in RESERVED:
        return name + "_"
    return name


def kind(e: ir.Expr) -> str:
    return kind_of(e.shape)


def kind_of(shape) -> str:
    r, c = shape
    if (r, c) == (1, 1):
        return "scalar"
    if c == 1:
        return "col"
    if r == 1:
        return "row"
    return "mat"


def size_of(d) -> int:
    """A dimension as a number for the cost model: a name is BIG."""
    out = 1
    for part in str(d).split("*"):
        out *= int(part) if part.isdigit() else BIG
    return out


def _elems(shape) -> int:
    return size_of(shape[0]) * size_of(shape[1])


def to_numpy(e: ir.Expr, variables: dict[str, ir.Sym]) -> str:
    return NumpyPrinter(variables).show(e)


class Op:
    """A factor of a product as it multiplies: `form` is dense (code is the array), diag
    (code is the diagonal's vector), eye, ones, perm (parts = (m, n) of a commutation
    matrix), kron (parts = two Ops) or inv (code is the matrix to invert, not yet inverted)."""

    __slots__ = ("code", "prec", "shape", "form", "parts", "node")

    def __init__(self, code, prec, shape, form="dense", parts=(), node=None):
        self.code, self.prec, self.shape, self.form, self.parts, self.node = code, prec, shape, form, parts, node


class NumpyPrinter(Printer):
    """`show(e)` is the whole expression; `statements(roots)` the same as Python lines."""

    term = PRODUCT

    def __init__(self, variables: dict[str, ir.Sym], dims: dict | None = None):
        self.sizes: dict = dict(dims or {})
        for name, s in variables.items():
            r, c = s.shape
            if c == 1 and r != 1:
                self.sizes.setdefault(r, f"{py_name(name)}.shape[0]")
            elif r == 1 and c != 1:
                self.sizes.setdefault(c, f"{py_name(name)}.shape[0]")
            elif (r, c) != (1, 1):
                self.sizes.setdefault(r, f"{py_name(name)}.shape[0]")
                self.sizes.setdefault(c, f"{py_name(name)}.shape[1]")
        self.taken = {py_name(n) for n in variables} | RESERVED
        self.uses: Counter = Counter()
        self.hints: dict = {}
        self.nodes: dict = {}  # synthetic key -> the node it is built from
        self.temps: list = []  # [name, body] per marker
        self.marker: dict = {}  # key -> marker text
        self.done: set = set()
        self.built: dict = {}
        self.operands: dict = {}
        self.refnames: set = set()
        self.assigned: set = set()
        self.fresh = 0
        self.cut = False  # deep input: a name every CUT levels

    # -- entry points ----------------------------------------------------------------
    def show(self, e: ir.Expr, prec: int = SUM) -> str:
        self.plan([e])
        if self.deep_first([e]):  # bound in order at the top, so no line nests past Python's parser
            lines, (code,) = self.statements([e], planned=True)
            binds = ", ".join("({} := {})".format(*line.split(" = ", 1)) for line in lines)
            return f"({binds}, {code})[-1]" if lines else code
        return self.finish(self.expr(e, prec))

    def statements(self, roots: list[ir.Expr], planned: bool = False) -> tuple[list[str], list[str]]:
        """(lines binding the shared temporaries, one expression per root)."""
        if not planned:
            self.plan(roots)
            self.deep_first(roots)
        codes = [self.expr(r) for r in roots]
        lines: list[str] = []
        return lines, [self.finish(c, lines) for c in codes]

    def deep_first(self, roots) -> None:
        """Deep input (a chain 1,000 long): every node visited children first, so that
        printing the root finds each child printed and needs no deep recursion; and every
        CUT levels a node is bound to a name, so that no line of code nests deeper than
        Python's parser reads (200 parentheses). Shallow input is printed straight from the
        root, in the order its code reads. Says whether the input was deep."""
        if all(r.height <= DEEP for r in roots):
            return False
        self.cut = True
        for r in roots:
            for e in ir.postorder(r):
                self.visit(e)
        return True

    # -- sharing -----------------------------------------------------------------------
    def key(self, e: ir.Expr):
        """What a reference to e computes: a definition is its body; inv(A) and inv(Aᵀ)
        are one inverse."""
        while isinstance(e, ir.Ref):
            self.hints.setdefault(e.a, py_name(e.name))
            e = e.a
        if isinstance(e, ir.Inverse):
            a = ir.body(e.a)
            a = ir.body(a.a) if isinstance(a, ir.Transpose) else a
            k = ("inv", self.key(a))
            self.nodes[k] = a
            return k
        return e

    @staticmethod
    def trivial(k) -> bool:
        """Printed where used, never bound: names, views and wrappers of a bound child."""
        return isinstance(k, (*ir.LEAVES, ir.Transpose, ir.DiagMat, ir.Vec))

    def refs(self, k) -> list:
        if isinstance(k, tuple):
            return [self.key(self.nodes[k])]
        return [self.key(kid) for kid in k.kids]

    def plan(self, roots):
        """How many places print each key (DAG in-degree, through the trivial nodes)."""
        for r in roots:
            for e in ir.postorder(r):
                if isinstance(e, ir.Ref):
                    self.refnames.add(py_name(e.name))
        expanded, stack = set(), [self.key(r) for r in roots]
        while stack:
            k = stack.pop()
            if not self.trivial(k):
                self.uses[k] += 1
                if k in expanded:
                    continue
                expanded.add(k)
            stack.extend(self.refs(k))

    def visit(self, e: ir.Expr) -> tuple[str, int]:
        k = self.key(e)
        if isinstance(k, tuple):  # an inverse, perhaps of a transpose
            return self.v_Inverse(ir.body(e))
        if k in self.marker:
            return self.marker[k], ATOM
        if (self.uses[k] >= 2 or self.cut and e.height % CUT == 0) and not self.trivial(k):
            return self.bind(k), ATOM
        return self.build(k)

    def build(self, k) -> tuple[str, int]:
        """k's code: a node prints the same wherever it is, so each is printed once."""
        if k not in self.built:
            self.built[k] = self._build(k)
        return self.built[k]

    def _build(self, k) -> tuple[str, int]:
        if isinstance(k, tuple):
            return f"np.linalg.inv({self.expr(self.nodes[k])})", ATOM
        return getattr(self, "v_" + type(k).__name__)(k)

    def bind(self, k, body: str | None = None) -> str:
        """A marker for k, whose body is printed once."""
        if k not in self.marker:
            if body is None:
                body = self.wrap(self.build(k), SUM)
            self.marker[k] = f"\x00{len(self.temps)}\x00"
            self.temps.append([self.name_for(k), body])
        return self.marker[k]

    def shared(self, e: ir.Expr) -> str:
        """e bound to a name even if used once (it is about to be used twice)."""
        k = self.key(e)
        if self.trivial(k) and isinstance(k, (ir.Sym, ir.Const)):
            return self.expr(e, ATOM)
        return self.bind(k)

    def name_for(self, k) -> str:
        """A definition's own name where it is free, else t1, t2, ... clear of every name."""
        hint = self.hints.get(k)
        if hint and hint not in self.taken and hint not in self.assigned:
            self.assigned.add(hint)
            return hint
        while True:
            self.fresh += 1
            name = f"t{self.fresh}"
            if name not in self.taken | self.assigned | self.refnames:
                self.assigned.add(name)
                return name

    def finish(self, code: str, lines: list | None = None) -> str:
        """Markers to code: the first one evaluated carries the body, as `(t := body)`
        or, given `lines`, as a statement before them; the others are the name. A body
        holds markers of its own: each frame of the stack is one body being written, so
        bindings nested a thousand deep need no recursion."""
        stack = [[code, 0, [], None]]  # text, where the scan is, what is written, the marker awaited
        while True:
            frame = stack[-1]
            text, pos, out, _ = frame
            m = MARK.search(text, pos)
            if m is None:
                out.append(text[pos:])
                stack.pop()
                value = "".join(out)
                if not stack:
                    return value
                parent = stack[-1]
                name = self.temps[parent[3]][0]
                if lines is None:
                    parent[2].append(f"({name} := {value})")
                else:
                    lines.append(f"{name} = {value}")
                    parent[2].append(name)
                continue
            out.append(text[pos:m.start()])
            frame[1] = m.end()
            i = int(m.group(1))
            if i in self.done:
                out.append(self.temps[i][0])
                continue
            self.done.add(i)
            frame[3] = i
            stack.append([self.temps[i][1], 0, [], None])

    # -- helpers -----------------------------------------------------------------------
    def expr(self, e: ir.Expr, prec: int = SUM) -> str:
        return self.wrap(self.visit(e), prec)

    def dim(self, d) -> str:
        if isinstance(d, int):
            return str(d)
        if d in self.sizes:
            return self.sizes[d]
        if "*" in str(d):
            return " * ".join(self.dim(int(p) if p.isdigit() else p) for p in str(d).split("*"))
        raise ir.MatcalcError(f"cannot tell the size {d} from the variables for the numpy output")

    def constant(self, v: Fraction):
        if v.denominator != 1:
            return f"{v.numerator} / {v.denominator}", PRODUCT
        return str(v.numerator), (ATOM if v >= 0 else UNARY)

    def scale(self, printed: tuple[str, int], c: Fraction, scalars: list[str]) -> tuple[str, int]:
        """c · scalars · printed, the coefficient first, -1 as a minus sign."""
        parts = ([] if abs(c) == 1 else [self.wrap(self.constant(abs(c)), PRODUCT)]) + scalars
        inner = (" * ".join(parts + [self.wrap(printed, UNARY)]), PRODUCT) if parts else printed
        if c < 0:  # -a * b is (-a) * b, the same number
            return ("-" + inner[0], PRODUCT) if inner[1] == PRODUCT else ("-" + self.wrap(inner, UNARY), UNARY)
        return inner

    def negated(self, e: ir.Expr) -> str:
        """-e without a double minus: -(-y .* z) is y * z."""
        k = self.key(e)
        c, factors = coefficient(ir.body(e))
        if c < 0 and k not in self.marker and self.uses[k] < 2:
            return self.wrap(self.scaled(-c, factors), SUM)
        return "-" + self.expr(e, UNARY)

    # -- leaves --------------------------------------------------------------------
    def v_Sym(self, e):
        return py_name(e.name), ATOM

    def v_Identity(self, e):
        return f"np.eye({self.dim(e.n)})", ATOM

    def _filled(self, fn, e):
        r, c = e.shape
        if kind(e) == "col":
            return f"np.{fn}({self.dim(r)})", ATOM
        if kind(e) == "row":
            return f"np.{fn}({self.dim(c)})", ATOM
        return f"np.{fn}(({self.dim(r)}, {self.dim(c)}))", ATOM

    def v_Ones(self, e):
        return self._filled("ones", e)

    def v_Zero(self, e):
        return self._filled("zeros", e)

    def perm(self, m, n) -> str:
        """The row order p with K(m, n) = I[p]: K @ B is B[p], and A @ K is A[:, perm(n, m)]."""
        m, n = self.dim(m), self.dim(n)
        return f'np.arange({m} * {n}).reshape({m}, {n}, order="F").T.reshape(-1, order="F")'

    def v_Commutation(self, e):
        return f"np.eye({self.dim(e.m)} * {self.dim(e.n)})[{self.perm(e.m, e.n)}]", POSTFIX

    def v_Ref(self, e):
        return self.visit(e.a)

    # -- sums ------------------------------------------------------------------------
    def v_Add(self, e):
        """A sum; a ones term beside an array is the number (1 - v, not np.ones(n) - v);
        diagonal matrices are summed as their diagonals."""
        diag = self.diagonal_sum(e) if kind(e) == "mat" else None
        if diag is not None:
            return f"np.diag({diag})", ATOM
        broadcast = any(not isinstance(ir.body(t), (ir.Ones, ir.Zero)) for t in e.terms)
        out = []
        for op, c, factors in signed_terms(e):
            if broadcast and len(factors) == 1 and isinstance(ir.body(factors[0]), ir.Ones):
                printed = self.constant(c)
            else:
                printed = self.scaled(c, factors)
            out.append(op + self.wrap(printed, self.term if op != " - " else PRODUCT))
        return "".join(out), SUM

    # -- products ----------------------------------------------------------------------
    def product(self, c: Fraction, factors):
        scalars = [self.expr(f, UNARY) for f in factors if f.shape == ir.SCALAR]
        chain = [f for f in factors if f.shape != ir.SCALAR]
        if not chain:
            if not scalars:
                return self.constant(c)
            return self.scale((scalars[-1], UNARY), c, scalars[:-1])
        ops = [self.operand(f) for f in chain]
        shape = (chain[0].shape[0], chain[-1].shape[1])
        if c != 1 or scalars:
            ops = self.place_scale(ops, shape, c, scalars)
            if ops is None:  # no factor smaller than the result: scale the result
                ops = [self.operand(f) for f in chain]
                return self.scale(self.materialize(self.plan_chain(ops)), c, scalars)
        return self.materialize(self.plan_chain(ops))

    def place_scale(self, ops, shape, c, scalars):
        """Put the scalars on the smallest factor, when it is smaller than the result."""
        best, where = _elems(shape), None
        for i, op in enumerate(ops):
            n = self.scalable(op)
            if n is not None and n < best:
                best, where = n, i
        if where is None:
            return None
        ops = list(ops)
        ops[where] = self.scaled_op(ops[where], c, scalars)
        return ops

    def scalable(self, op: Op):
        if op.form == "dense":
            return _elems(op.shape)
        if op.form == "diag":
            return size_of(op.shape[0])
        if op.form == "kron":
            sizes = [self.scalable(p) for p in op.parts]
            return min((s for s in sizes if s is not None), default=None)
        return None

    def scaled_op(self, op: Op, c, scalars) -> Op:
        if op.form == "kron":
            a, b = op.parts
            sa, sb = self.scalable(a), self.scalable(b)
            if sb is None or (sa is not None and sa <= sb):
                a = self.scaled_op(a, c, scalars)
            else:
                b = self.scaled_op(b, c, scalars)
            return Op(None, ATOM, op.shape, "kron", (a, b))
        code, prec = self.scale((op.code, op.prec), c, scalars)
        return Op(code, prec, op.shape, op.form, op.parts)

    def operand(self, f: ir.Expr) -> Op:
        """A factor of a chain as it multiplies (Ops are never changed, so each is made once)."""
        if f not in self.operands:
            self.operands[f] = self._operand(f)
        return self.operands[f]

    def _operand(self, f: ir.Expr) -> Op:
        k, b = self.key(f), ir.body(f)
        if isinstance(b, ir.Inverse):
            if k in self.marker or self.uses[k] >= 2:
                return Op(*self.v_Inverse(b), b.shape)
            return Op(self.expr(b.a), SUM, b.shape, "inv", node=ir.body(b.a))
        if k in self.marker or (self.uses[k] >= 2 and not self.trivial(k)):
            code, prec = self.visit(f)
            return Op(code, prec, f.shape, node=b)
        if isinstance(b, ir.DiagMat):
            return Op(*self.visit(b.a), b.shape, "diag")
        if isinstance(b, ir.Identity):
            return Op(None, ATOM, b.shape, "eye")
        if isinstance(b, ir.Ones):
            return Op(None, ATOM, b.shape, "ones")
        if isinstance(b, ir.Commutation):
            return Op(None, ATOM, b.shape, "perm", (b.m, b.n))
        if isinstance(b, ir.Kron):
            return Op(None, ATOM, b.shape, "kron", (self.operand(b.a), self.operand(b.b)))
        if isinstance(b, ir.Add):
            diag = self.diagonal_sum(b)
            if diag is not None:
                return Op(diag, SUM, b.shape, "diag")
            terms = self.sum_operand(b)
            if terms is not None:
                return terms
        code, prec = self.visit(f)
        return Op(code, prec, f.shape, node=b)

    def diagonal_sum(self, e: ir.Add):
        """diag(a) - 2 diag(b) + I as the vector a - 2 b + 1, or None."""
        out, broadcast = [], False
        for op, c, factors in signed_terms(e):
            scalars = [self.expr(f, UNARY) for f in factors if f.shape == ir.SCALAR]
            chain = [ir.body(f) for f in factors if f.shape != ir.SCALAR]
            if len(chain) != 1 or not isinstance(chain[0], (ir.DiagMat, ir.Identity)):
                return None
            if isinstance(chain[0], ir.Identity):
                printed = self.scale(("1", ATOM), c, scalars)
            else:
                broadcast = True
                printed = self.scale(self.visit(chain[0].a), c, scalars)
            out.append(op + self.wrap(printed, PRODUCT if op else SUM))
        return "".join(out) if broadcast else None

    def plan_chain(self, ops: list[Op]) -> Op:
        """The cheapest association (matrix-chain order) of the operands."""
        return self.chain_cost(ops)[0]

    def chain_cost(self, ops: list[Op]) -> tuple[Op, int]:
        """plan_chain, and its cost."""
        n = len(ops)
        if n == 1:
            return ops[0], 0
        if n > 12:
            acc, total = ops[0], 0
            for op in ops[1:]:
                acc, cost = self.multiply(acc, op)
                total += cost
            return acc, total
        best = {(i, i): (0, ops[i]) for i in range(n)}
        for length in range(2, n + 1):
            for i in range(n - length + 1):
                j = i + length - 1
                choice = None
                for s in range(i, j):
                    (cl, left), (cr, right) = best[(i, s)], best[(s + 1, j)]
                    op, cost = self.multiply(left, right)
                    if choice is None or cl + cr + cost < choice[0]:
                        choice = (cl + cr + cost, op)
                best[(i, j)] = choice
        cost, op = best[(0, n - 1)]
        return op, cost

    def sum_operand(self, b: ir.Add):
        """A sum in a chain, kept as its terms when one of them is a diagonal matrix, so
        that (diag(p) - p pᵀ) W may be p[:, None] * W - np.outer(p, p @ W)."""
        terms, diagonal = [], False
        if len(b.terms) > 4:
            return None
        for op, c, factors in signed_terms(b):
            scalars = [self.expr(f, UNARY) for f in factors if f.shape == ir.SCALAR]
            chain = [f for f in factors if f.shape != ir.SCALAR]
            if not chain:
                return None
            ops = [self.operand(f) for f in chain]
            if any(o.form == "sum" for o in ops):
                return None  # one level: the choice stays linear in the chain
            diagonal |= len(ops) == 1 and ops[0].form in ("diag", "eye")
            terms.append((op, c, scalars, ops))
        return Op(None, SUM, b.shape, "sum", tuple(terms), node=b) if diagonal else None

    def distribute(self, S: Op, other: Op, left: bool) -> tuple[Op, int]:
        """S other (or other S) as the sum of each term times other."""
        out, total = [], _elems((S.shape[0], other.shape[1]) if left else (other.shape[0], S.shape[1]))
        for op, c, scalars, ops in S.parts:
            planned, cost = self.chain_cost(ops + [other] if left else [other] + ops)
            total += cost + (0 if planned.form == "dense" else _elems(planned.shape))
            printed = self.scale(self.materialize(planned), c, scalars)
            out.append(op + self.wrap(printed, PRODUCT if op else SUM))
        shape = (S.shape[0], other.shape[1]) if left else (other.shape[0], S.shape[1])
        return Op("".join(out), SUM, shape), total

    def sum_cost(self, S: Op) -> int:
        """What building the sum as an array costs."""
        total = 0
        for _, _, _, ops in S.parts:
            planned, cost = self.chain_cost(ops)
            total += cost + _elems(S.shape)
        return total

    def multiply(self, L: Op, R: Op) -> tuple[Op, int]:
        """L R as an operand, and what it costs."""
        shape = (L.shape[0], R.shape[1])
        if L.form == "eye":
            return R, 0
        if R.form == "eye":
            return L, 0
        if L.form == "kron" or R.form == "kron":
            mixed = self.mixed_product(L, R)
            if mixed is not None:
                return mixed
            L, R = (self.dense(op) if op.form == "kron" else op for op in (L, R))
        if L.form == "sum" or R.form == "sum":
            return self.sum_product(L, R)
        if L.form == "diag" and R.form == "diag":
            return Op(f"{self.wrap((L.code, L.prec), PRODUCT)} * {self.wrap((R.code, R.prec), UNARY)}",
                      PRODUCT, shape, "diag"), size_of(shape[0])
        if L.form == "diag":
            R = self.dense(R)
            v = self.wrap((L.code, L.prec), ATOM)
            code = f"{v} * {self.wrap((R.code, R.prec), UNARY)}" if kind_of(R.shape) == "col" \
                else f"{v}[:, None] * {self.wrap((R.code, R.prec), UNARY)}"
            return Op(code, PRODUCT, shape), _elems(R.shape)
        if R.form == "diag":
            L = self.dense(L)
            return Op(f"{self.wrap((L.code, L.prec), PRODUCT)} * {self.wrap((R.code, R.prec), UNARY)}",
                      PRODUCT, shape), _elems(L.shape)
        if L.form == "perm" and R.form != "perm":
            R = self.dense(R)
            return Op(f"{self.wrap((R.code, R.prec), ATOM)}[{self.perm(*L.parts)}]", POSTFIX, shape), _elems(R.shape)
        if R.form == "perm" and L.form != "perm":
            L = self.dense(L)
            index = "" if kind_of(L.shape) == "row" else ":, "
            m, n = R.parts
            return Op(f"{self.wrap((L.code, L.prec), ATOM)}[{index}{self.perm(n, m)}]", POSTFIX, shape), _elems(L.shape)
        if L.form == "ones" and kind_of(L.shape) == "row" and R.form == "dense":
            axis = "" if kind_of(R.shape) == "col" else ", axis=0"
            return Op(f"np.sum({R.code}{axis})", ATOM, shape), _elems(R.shape)
        if R.form == "ones" and kind_of(R.shape) == "col" and L.form == "dense":
            axis = "" if kind_of(L.shape) == "row" else ", axis=1"
            return Op(f"np.sum({L.code}{axis})", ATOM, shape), _elems(L.shape)
        if L.form == "inv" and R.form in ("dense", "ones", "sum") and kind_of(R.shape) in ("col", "mat"):
            R = self.dense(R)
            return (Op(f"np.linalg.solve({L.code}, {R.code})", ATOM, shape),
                    _elems(L.shape) * size_of(R.shape[1]))
        if R.form == "inv" and L.form in ("dense", "ones", "sum") and kind_of(L.shape) in ("row", "mat"):
            L = self.dense(L)  # L B⁻¹ = (B⁻ᵀ Lᵀ)ᵀ
            BT = self.expr(R.node.a, SUM) if isinstance(R.node, ir.Transpose) and kind(R.node.a) == "mat" \
                else f"{self.wrap((R.code, R.prec), ATOM)}.T"
            if kind_of(L.shape) == "row":
                return Op(f"np.linalg.solve({BT}, {L.code})", ATOM, shape), _elems(R.shape)
            return (Op(f"np.linalg.solve({BT}, {self.wrap((L.code, L.prec), ATOM)}.T).T", ATOM, shape),
                    _elems(R.shape) * size_of(L.shape[0]))
        return self.dense_product(self.dense(L), self.dense(R))

    def sum_product(self, L: Op, R: Op) -> tuple[Op, int]:
        """The cheaper of distributing over the sum and building it first."""
        options = []
        if L.form == "sum" and R.form != "sum":
            options.append(self.distribute(L, R, left=True))
        if R.form == "sum" and L.form != "sum":
            options.append(self.distribute(R, L, left=False))
        built = sum(self.sum_cost(op) for op in (L, R) if op.form == "sum")
        op, cost = self.multiply(self.dense(L), self.dense(R))
        options.append((op, cost + built))
        return min(options, key=lambda option: option[1])

    def dense_product(self, L: Op, R: Op) -> tuple[Op, int]:
        shape = (L.shape[0], R.shape[1])
        kl, kr = kind_of(L.shape), kind_of(R.shape)
        left, right = self.wrap((L.code, L.prec), PRODUCT), self.wrap((R.code, R.prec), UNARY)
        if "scalar" in (kl, kr):
            return Op(f"{left} * {right}", PRODUCT, shape), _elems(shape)
        if kl == "col" and kr == "row":
            return Op(f"np.outer({L.code}, {R.code})", ATOM, shape), _elems(shape)
        cost = _elems(L.shape) * size_of(R.shape[1])
        if L.node is not None and R.node is not None and (
                L.node is _transposed(R.node) or R.node is _transposed(L.node)):
            cost //= 2  # Aᵀ A: a symmetric rank-k update
        return Op(f"{left} @ {right}", PRODUCT, shape), cost

    def mixed_product(self, L: Op, R: Op):
        """(A ⊗ B)(C ⊗ D) = (A C) ⊗ (B D), a plain factor being 1 ⊗ F or F ⊗ 1."""
        pairs = []
        if L.form == "kron" and R.form == "kron":
            pairs.append((L.parts, R.parts))
        elif L.form == "kron":
            one = Op("1", ATOM, ir.SCALAR)
            pairs += [(L.parts, (one, R)), (L.parts, (R, one))]
        else:
            one = Op("1", ATOM, ir.SCALAR)
            pairs += [((one, L), R.parts), ((L, one), R.parts)]
        for (a, b), (c, d) in pairs:
            if a.shape[1] == c.shape[0] and b.shape[1] == d.shape[0]:
                ac, cost1 = self.factor_product(a, c)
                bd, cost2 = self.factor_product(b, d)
                return Op(None, ATOM, (L.shape[0], R.shape[1]), "kron", (ac, bd)), cost1 + cost2
        return None

    def factor_product(self, a: Op, b: Op):
        if a.shape == ir.SCALAR and a.code == "1":
            return b, 0
        if b.shape == ir.SCALAR and b.code == "1":
            return a, 0
        return self.multiply(a, b)

    def dense(self, op: Op) -> Op:
        if op.form == "dense":
            return op
        code, prec = self.materialize(op)
        return Op(code, prec, op.shape)

    def materialize(self, op: Op) -> tuple[str, int]:
        """An operand as an array."""
        if op.form == "dense":
            return op.code, op.prec
        if op.form == "diag":
            return f"np.diag({op.code})", ATOM
        if op.form == "eye":
            return f"np.eye({self.dim(op.shape[0])})", ATOM
        if op.form == "ones":
            return self._ones(op.shape)
        if op.form == "perm":
            m, n = op.parts
            return f"np.eye({self.dim(m)} * {self.dim(n)})[{self.perm(m, n)}]", POSTFIX
        if op.form == "inv":
            return f"np.linalg.inv({op.code})", ATOM
        if op.form == "sum":
            return self.build(op.node)
        a, b = op.parts
        code = f"np.kron({self.two_d(a)}, {self.two_d(b)})"
        return (f"{code}.ravel()", POSTFIX) if kind_of(op.shape) in ("col", "row") else (code, ATOM)

    def _ones(self, shape):
        r, c = shape
        k = kind_of(shape)
        if k == "col":
            return f"np.ones({self.dim(r)})", ATOM
        if k == "row":
            return f"np.ones({self.dim(c)})", ATOM
        return f"np.ones(({self.dim(r)}, {self.dim(c)}))", ATOM

    def two_d(self, op: Op) -> str:
        code, prec = self.materialize(op)
        k = kind_of(op.shape)
        if k == "col":
            return f"np.reshape({code}, (-1, 1))"
        if k == "row":
            return f"np.reshape({code}, (1, -1))"
        if k == "scalar":
            return f"np.reshape({code}, (1, 1))"
        return code

    def v_Kron(self, e):
        return self.materialize(self.operand_kron(e))

    def operand_kron(self, e):
        return Op(None, ATOM, e.shape, "kron", (self.operand(e.a), self.operand(e.b)))

    def v_Hadamard(self, e):
        return " * ".join(self.expr(f, PRODUCT if i == 0 else UNARY) for i, f in enumerate(e.factors)), PRODUCT

    def v_HadPow(self, e):
        k = e.k
        if k == Fraction(1, 2):
            return f"np.sqrt({self.expr(e.a)})", ATOM
        if k == -1:
            return f"1 / {self.expr(e.a, UNARY)}", PRODUCT
        return f"{self.expr(e.a, ATOM)} ** {self._exponent(k)}", POSTFIX

    v_Pow = v_HadPow

    def v_SymPow(self, e):
        return f"{self.expr(e.a, ATOM)} ** {self.expr(e.b, UNARY)}", POSTFIX

    def _exponent(self, k: Fraction) -> str:
        if k.denominator == 1:
            return str(k.numerator)
        return f"({k.numerator} / {k.denominator})"

    def v_MatPow(self, e):
        return f"np.linalg.matrix_power({self.expr(e.a)}, {e.k})", ATOM

    # -- postfix and functions ---------------------------------------------------------
    def v_Transpose(self, e):
        """A 1-D array is its own transpose."""
        if kind(e.a) != "mat":
            return self.visit(e.a)
        return f"{self.expr(e.a, ATOM)}.T", ATOM

    def v_Inverse(self, e):
        a = ir.body(e.a)
        k = self.key(e)
        transposed = isinstance(a, ir.Transpose)
        if k in self.marker or self.uses[k] >= 2:
            code = self.bind(k)
            return (f"{code}.T", ATOM) if transposed else (code, ATOM)
        return f"np.linalg.inv({self.expr(e.a)})", ATOM

    def v_Func(self, e):
        if e.name in NEGATED_FUNCS:
            return NEGATED_FUNCS[e.name].format(self.negated(e.a)), ATOM
        return FUNCS[e.name].format(self.expr(e.a)), ATOM

    def v_Trace(self, e):
        """tr(A B) is sum(A .* B'): no product is formed only for its diagonal."""
        b = ir.body(e.a)
        if isinstance(b, ir.Mul) and self.uses[self.key(e.a)] < 2:
            c, factors = coefficient(b)
            chain = [f for f in factors if f.shape != ir.SCALAR]
            if len(chain) >= 2:
                scalars = [self.expr(f, UNARY) for f in factors if f.shape == ir.SCALAR]
                left = self.materialize(self.plan_chain([self.operand(f) for f in chain[:-1]]))
                right = self.operand(chain[-1])
                if right.form == "dense" and kind_of(right.shape) == "mat":
                    code = f"np.sum({self.wrap(left, PRODUCT)} * {self.wrap((right.code, right.prec), ATOM)}.T)"
                    return self.scale((code, ATOM), c, scalars)
                if right.form == "dense" and kind_of(right.shape) == "row":
                    code = f"{self.wrap(left, PRODUCT)} @ {self.wrap((right.code, right.prec), UNARY)}"
                    return self.scale((code, PRODUCT), c, scalars)
                whole = self.materialize(self.plan_chain([self.operand(f) for f in chain]))
                return self.scale((f"np.trace({whole[0]})", ATOM), c, scalars)
        return f"np.trace({self.expr(e.a)})", ATOM

    def v_Det(self, e):
        return f"np.linalg.det({self.expr(e.a)})", ATOM

    def v_LogDet(self, e):
        return f"np.linalg.slogdet({self.expr(e.a)})[1]", POSTFIX

    def v_Sum(self, e):
        return f"np.sum({self.expr(e.a)})", ATOM

    def v_Norm(self, e):
        return f"np.linalg.norm({self.expr(e.a)})", ATOM

    def v_DiagMat(self, e):
        return f"np.diag({self.expr(e.a)})", ATOM

    v_DiagVec = v_DiagMat

    def v_Vec(self, e):
        return f'np.reshape({self.expr(e.a)}, -1, order="F")', ATOM

    def v_LogSumExp(self, e):
        """max-shifted: m + log(sum(exp(z - m)))."""
        z = self.shared(e.a)
        m = self.bind(("max", self.key(e.a)), f"np.max({z})")
        return f"{m} + np.log(np.sum(np.exp({z} - {m})))", SUM

    def v_Softmax(self, e):
        z = self.shared(e.a)
        t = self.bind(("expshift", self.key(e.a)), f"np.exp({z} - np.max({z}))")
        return f"{t} / np.sum({t})", PRODUCT


def _transposed(node):
    return node.a if isinstance(node, ir.Transpose) else None
