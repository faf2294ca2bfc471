"""NumPy printer: one Python expression in `np` and the variables (SPEC §4).

Vectors are 1-D arrays, so a product is written by the kinds of its factors: a column
times a row is np.outer, anything else is @. Sizes come from the variables' shapes.
Definitions are bound first, in order, with := (each then prints as its name).
Imports ir and printers.common only.
"""
from __future__ import annotations

import keyword
from fractions import Fraction

from .. import ir
from .common import SUM, PRODUCT, UNARY, POSTFIX, ATOM, Printer, definitions

FUNCS = {
    "exp": "np.exp({})", "log": "np.log({})", "sin": "np.sin({})", "cos": "np.cos({})",
    "tan": "np.tan({})", "tanh": "np.tanh({})", "arcsin": "np.arcsin({})", "arccos": "np.arccos({})",
    "arctan": "np.arctan({})", "sqrt": "np.sqrt({})", "abs": "np.abs({})",
    "sigmoid": "(1 / (1 + np.exp(-({}))))", "softplus": "np.logaddexp(0, {})",
    "relu": "np.maximum({}, 0)", "sign": "np.sign({})", "step": "np.heaviside({}, 0.0)",
}


def py_name(name: str) -> str:
    return name + "_" if keyword.iskeyword(name) or keyword.issoftkeyword(name) else name


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


def to_numpy(e: ir.Expr, variables: dict[str, ir.Sym]) -> str:
    """One expression; definitions are bound first, in order, with := in a tuple whose last
    item is the value, so that each prints as its name wherever it is used."""
    p = NumpyPrinter(variables)
    code, defs = p.show(e), definitions(e)
    if not defs:
        return code
    binds = ", ".join(f"({py_name(r.name)} := {p.show(r.a)})" for r in defs)
    return f"({binds}, {code})[-1]"


class NumpyPrinter(Printer):
    """Every operand that is not an atom (a name, a number, a call) is parenthesized,
    whatever the operator: the code is evaluated far more often than it is read."""

    term = ATOM

    def __init__(self, variables: dict[str, ir.Sym]):
        self.sizes: dict = {}
        for name, s in variables.items():
            r, c = s.shape
            if c == 1 and r != 1:
                self.sizes.setdefault(r, f"{py_name(name)}.shape[0]")
            elif r == 1 and c != 1:
                self.sizes.setdefault(c, f"{py_name(name)}.shape[0]")
            elif (r, c) != (1, 1):
                self.sizes.setdefault(r, f"{py_name(name)}.shape[0]")
                self.sizes.setdefault(c, f"{py_name(name)}.shape[1]")
        self.temps = 0

    def dim(self, d) -> str:
        if isinstance(d, int):
            return str(d)
        if d in self.sizes:
            return self.sizes[d]
        if "*" in str(d):
            return " * ".join(self.dim(int(p) if p.isdigit() else p) for p in str(d).split("*"))
        raise ir.MatcalcError(f"cannot tell the size {d} from the variables for the numpy output")

    def paren(self, e: ir.Expr) -> str:
        return self.show(e, ATOM)

    # -- leaves --------------------------------------------------------------------
    def v_Sym(self, e):
        return py_name(e.name), ATOM

    def constant(self, v: Fraction):
        """A fraction is a parenthesized quotient, and still a quotient when an operand."""
        if v.denominator != 1:
            return f"({v.numerator} / {v.denominator})", PRODUCT
        return str(v.numerator), (ATOM if v >= 0 else UNARY)

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

    def v_Commutation(self, e):
        m, n = self.dim(e.m), self.dim(e.n)
        return (f"np.eye({m} * {n})[np.arange({m} * {n}).reshape({m}, {n}, order=\"F\")"
                f".T.reshape(-1, order=\"F\")]"), POSTFIX

    def v_Ref(self, e):
        return py_name(e.name), ATOM

    # -- products ----------------------------------------------------------------------
    def product(self, c: Fraction, factors):
        scalars = [self.wrap(self.constant(c), ATOM)] if c != 1 else []
        scalars += [self.paren(f) for f in factors if f.shape == ir.SCALAR]
        chain = [f for f in factors if f.shape != ir.SCALAR]
        if not chain:
            return " * ".join(scalars), PRODUCT
        code, own = self._chain(chain)
        return (" * ".join(scalars + [code]), PRODUCT) if scalars else (code, own)

    def _chain(self, chain: list[ir.Expr]) -> tuple[str, int]:
        code, own = self.visit(chain[0])
        code, shape = self.wrap((code, own), ATOM), chain[0].shape
        for f in chain[1:]:
            k, rhs = kind_of(shape), self.paren(f)
            if k == "scalar":
                code, own = f"({code} * {rhs})", PRODUCT
            elif k == "col" and kind(f) == "row":
                code, own = f"np.outer({code}, {rhs})", ATOM
            else:
                code, own = f"({code} @ {rhs})", PRODUCT
            shape = (shape[0], f.shape[1])
        return code, own

    def v_Hadamard(self, e):
        return " * ".join(self.paren(f) for f in e.factors), PRODUCT

    def v_HadPow(self, e):
        return f"{self.paren(e.a)} ** {self._exponent(e.k)}", POSTFIX

    v_Pow = v_HadPow

    def v_SymPow(self, e):
        return f"{self.paren(e.a)} ** {self.paren(e.b)}", POSTFIX

    def _exponent(self, k: Fraction) -> str:
        if k.denominator == 1:
            return str(k.numerator) if k >= 0 else f"({k.numerator})"
        return f"({k.numerator} / {k.denominator})"

    def v_MatPow(self, e):
        return f"np.linalg.matrix_power({self.show(e.a)}, {e.k})", ATOM

    def v_Kron(self, e):
        def two_d(x):
            code = self.show(x)
            return {"col": f"np.reshape({code}, (-1, 1))", "row": f"np.reshape({code}, (1, -1))"}.get(kind(x), code)

        code = f"np.kron({two_d(e.a)}, {two_d(e.b)})"
        return (f"{code}.ravel()", POSTFIX) if kind(e) in ("col", "row") else (code, ATOM)

    # -- postfix and functions ---------------------------------------------------------
    def v_Transpose(self, e):
        """A 1-D array is its own transpose. A.T of a name is an atom; any other .T is not."""
        if kind(e.a) != "mat":
            return self.visit(e.a)
        code, own = self.visit(e.a)
        named = own == ATOM and isinstance(e.a, (ir.Sym, ir.Ref))
        return f"{self.wrap((code, own), ATOM)}.T", ATOM if named else POSTFIX

    def _call(self, template: str, e: ir.Expr):
        return template.format(self.show(e)), ATOM

    def v_Inverse(self, e):
        return self._call("np.linalg.inv({})", e.a)

    def v_Func(self, e):
        """sigmoid is written as a quotient, every other function as a call."""
        code, _ = self._call(FUNCS[e.name], e.a)
        return code, PRODUCT if e.name == "sigmoid" else ATOM

    def v_Trace(self, e):
        return self._call("np.trace({})", e.a)

    def v_Det(self, e):
        return self._call("np.linalg.det({})", e.a)

    def v_LogDet(self, e):
        return self._call("np.log(np.linalg.det({}))", e.a)

    def v_Sum(self, e):
        return self._call("np.sum({})", e.a)

    def v_Norm(self, e):
        return self._call("np.linalg.norm({})", e.a)

    def v_DiagMat(self, e):
        return self._call("np.diag({})", e.a)

    v_DiagVec = v_DiagMat

    def v_Vec(self, e):
        return self._call('np.reshape({}, -1, order="F")', e.a)

    def v_LogSumExp(self, e):
        return self._call("np.logaddexp.reduce({})", e.a)

    def v_Softmax(self, e):
        self.temps += 1
        t = f"_z{self.temps}"
        return f"np.exp(({t} := {self.show(e.a)}) - np.logaddexp.reduce({t}))", ATOM
