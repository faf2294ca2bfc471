"""NumPy printer: one Python expression in `np` and the variables (SPEC §4).

Vectors are 1-D arrays, so a product is written by the kinds of its factors: a column
times a row is np.outer, anything else is @. Sizes come from the variables' shapes.
Definitions are bound with := where first evaluated, which is where first printed.
"""
from __future__ import annotations

import keyword
from fractions import Fraction

from .. import algebra, ir

FUNCS = {
    "exp": "np.exp({})", "log": "np.log({})", "sin": "np.sin({})", "cos": "np.cos({})",
    "tan": "np.tan({})", "tanh": "np.tanh({})", "sqrt": "np.sqrt({})", "abs": "np.abs({})",
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
    return NumpyPrinter(variables).show(e)


class NumpyPrinter:
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
        self.bound: set[str] = set()
        self.temps = 0

    def dim(self, d) -> str:
        if isinstance(d, int):
            return str(d)
        if d in self.sizes:
            return self.sizes[d]
        if "*" in str(d):
            return " * ".join(self.dim(int(p) if p.isdigit() else p) for p in str(d).split("*"))
        raise ir.MatcalcError(f"cannot tell the size {d} from the variables for the numpy output")

    def show(self, e: ir.Expr) -> str:
        return getattr(self, "v_" + type(e).__name__)(e)

    def paren(self, e: ir.Expr) -> str:
        code = self.show(e)
        simple = code.replace("_", "").replace(".", "").isalnum()
        return code if simple or _is_call(code) else f"({code})"

    # -- leaves --------------------------------------------------------------------
    def v_Sym(self, e):
        return py_name(e.name)

    def v_Const(self, e):
        v = e.value
        return str(v.numerator) if v.denominator == 1 else f"({v.numerator} / {v.denominator})"

    def v_Identity(self, e):
        return f"np.eye({self.dim(e.n)})"

    def _filled(self, fn, e):
        r, c = e.shape
        if kind(e) == "col":
            return f"np.{fn}({self.dim(r)})"
        if kind(e) == "row":
            return f"np.{fn}({self.dim(c)})"
        return f"np.{fn}(({self.dim(r)}, {self.dim(c)}))"

    def v_Ones(self, e):
        return self._filled("ones", e)

    def v_Zero(self, e):
        return self._filled("zeros", e)

    def v_Commutation(self, e):
        m, n = self.dim(e.m), self.dim(e.n)
        return (f"np.eye({m} * {n})[np.arange({m} * {n}).reshape({m}, {n}, order=\"F\")"
                f".T.reshape(-1, order=\"F\")]")

    def v_Ref(self, e):
        name = py_name(e.name)
        if name in self.bound:
            return name
        body = self.show(e.a)
        self.bound.add(name)
        return f"({name} := {body})"

    # -- sums and products -------------------------------------------------------------
    def v_Add(self, e):
        out = self.paren(e.terms[0])
        for t in e.terms[1:]:
            negative = ir.split_coeff(t)[0] < 0
            out += f" - {self.paren(algebra.neg(t))}" if negative else f" + {self.paren(t)}"
        return out

    def v_Mul(self, e):
        parts = [self.paren(f) for f in e.factors if f.shape == ir.SCALAR]
        chain = [f for f in e.factors if f.shape != ir.SCALAR]
        if chain:
            parts.append(self._chain(chain))
        return " * ".join(parts)

    def _chain(self, chain: list[ir.Expr]) -> str:
        code, shape = self.paren(chain[0]), chain[0].shape
        for f in chain[1:]:
            k, rhs = kind_of(shape), self.paren(f)
            if k == "scalar":
                code = f"({code} * {rhs})"
            elif k == "col" and kind(f) == "row":
                code = f"np.outer({code}, {rhs})"
            else:
                code = f"({code} @ {rhs})"
            shape = (shape[0], f.shape[1])
        return code

    def v_Hadamard(self, e):
        return " * ".join(self.paren(f) for f in e.factors)

    def v_HadPow(self, e):
        return f"{self.paren(e.a)} ** {self._exponent(e.k)}"

    def v_Pow(self, e):
        return f"{self.paren(e.a)} ** {self._exponent(e.k)}"

    def _exponent(self, k: Fraction) -> str:
        if k.denominator == 1:
            return str(k.numerator) if k >= 0 else f"({k.numerator})"
        return f"({k.numerator} / {k.denominator})"

    def v_MatPow(self, e):
        return f"np.linalg.matrix_power({self.show(e.a)}, {e.k})"

    def v_Kron(self, e):
        def two_d(x):
            code = self.show(x)
            return {"col": f"np.reshape({code}, (-1, 1))", "row": f"np.reshape({code}, (1, -1))"}.get(kind(x), code)

        code = f"np.kron({two_d(e.a)}, {two_d(e.b)})"
        return f"{code}.ravel()" if kind(e) in ("col", "row") else code

    # -- postfix and functions ---------------------------------------------------------
    def v_Transpose(self, e):
        return self.show(e.a) if kind(e.a) != "mat" else f"{self.paren(e.a)}.T"

    def v_Inverse(self, e):
        return f"np.linalg.inv({self.show(e.a)})"

    def v_Func(self, e):
        return FUNCS[e.name].format(self.show(e.a))

    def v_Trace(self, e):
        return f"np.trace({self.show(e.a)})"

    def v_Det(self, e):
        return f"np.linalg.det({self.show(e.a)})"

    def v_LogDet(self, e):
        return f"np.log(np.linalg.det({self.show(e.a)}))"

    def v_Sum(self, e):
        return f"np.sum({self.show(e.a)})"

    def v_Norm(self, e):
        return f"np.linalg.norm({self.show(e.a)})"

    def v_DiagMat(self, e):
        return f"np.diag({self.show(e.a)})"

    v_DiagVec = v_DiagMat

    def v_Vec(self, e):
        return f"np.reshape({self.show(e.a)}, -1, order=\"F\")"

    def v_LogSumExp(self, e):
        return f"np.logaddexp.reduce({self.show(e.a)})"

    def v_Softmax(self, e):
        self.temps += 1
        t = f"_z{self.temps}"
        return f"np.exp(({t} := {self.show(e.a)}) - np.logaddexp.reduce({t}))"


def _is_call(code: str) -> bool:
    """True for a single call like np.exp(...) whose parentheses close at the end."""
    if not code.endswith(")") or not code[0].isalpha():
        return False
    depth = 0
    for i, ch in enumerate(code):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0 and i != len(code) - 1:
                return False
        elif depth == 0 and not (ch.isalnum() or ch in "._"):
            return False
    return True
