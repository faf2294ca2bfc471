"""LaTeX printer: one line of math; vectors bold, matrices upright, ^\\top (SPEC §4).

Parentheses are \\left( \\right), placed by common.py's precedence ladder. Imports ir and
printers.common only.
"""
from __future__ import annotations

import re
from fractions import Fraction

from .. import ir
from .common import SUM, PRODUCT, UNARY, POSTFIX, ATOM, Printer, definitions, split_product, unsized_identities

GREEK = set(ir.GREEK_LOWER) | set(ir.GREEK_UPPER)
UNICODE_GREEK = ir.UNICODE_GREEK
FUNCS = {
    "exp": r"\exp", "log": r"\log", "sin": r"\sin", "cos": r"\cos", "tan": r"\tan",
    "tanh": r"\tanh", "arcsin": r"\arcsin", "arccos": r"\arccos", "arctan": r"\arctan",
    "sigmoid": r"\operatorname{sigmoid}", "softplus": r"\operatorname{softplus}",
    "relu": r"\operatorname{relu}", "sign": r"\operatorname{sign}", "step": r"\operatorname{step}",
}


def _size_subscript(shape) -> str:
    """𝟏ₙ, 𝟎_{m×n}: the size is part of the symbol, so that it reads back."""
    r, c = shape
    return f"_{{{r}}}" if c == 1 else rf"_{{{r} \times {c}}}"


def _juxtapose(words: list[str]) -> str:
    """Factors side by side; σ before a parenthesis takes a cdot, since σ(z) reads as
    the sigmoid."""
    out = ""
    for i, word in enumerate(words):
        sep = r" \cdot " if i and out.endswith(r"\sigma") and word.startswith(r"\left(") else " "
        out += (sep if i else "") + word
    return out


def to_latex(e: ir.Expr) -> str:
    defs = definitions(e)
    p = LatexPrinter(unsized_identities(e, *(r.a for r in defs)))
    text = p.show(e)
    if defs:
        text += r" \quad \text{where } " + r",\ ".join(f"{p.name(r.name, r.shape)} = {p.show(r.a)}" for r in defs)
    return text


class LatexPrinter(Printer):
    parens = (r"\left(", r"\right)")

    def __init__(self, unsized: set = frozenset()):
        self.unsized = unsized  # identities that carry their size, I_n: nothing around them gives it

    def name(self, name: str, shape) -> str:
        m = re.fullmatch(r"([A-Za-z]+|[^\W\d_])_?(\w*)", name)
        base, sub = (m.group(1), m.group(2)) if m else (name, "")
        if base in UNICODE_GREEK:
            base = UNICODE_GREEK[base]
        if base in GREEK or base == "eps":
            core = "\\" + ("epsilon" if base == "eps" else base)
            if shape != ir.SCALAR and shape[1] == 1:
                core = rf"\boldsymbol{{{core}}}"
        elif shape == ir.SCALAR:
            core = base if len(base) == 1 else rf"\mathit{{{base}}}"
        elif shape[1] == 1:
            core = rf"\mathbf{{{base}}}"
        else:
            core = rf"\mathrm{{{base}}}"
        return core + (f"_{{{sub}}}" if sub else "")

    def v_Sym(self, e):
        return self.name(e.name, e.shape), ATOM

    def v_Ref(self, e):
        return self.name(e.name, e.shape), ATOM

    def constant(self, v: Fraction):
        text = str(abs(v.numerator)) if v.denominator == 1 else rf"\frac{{{abs(v.numerator)}}}{{{v.denominator}}}"
        return ("-" + text, UNARY) if v < 0 else (text, ATOM)

    def v_Identity(self, e):
        return (rf"\mathrm{{I}}_{{{e.n}}}" if e in self.unsized else r"\mathrm{I}"), ATOM

    def v_Ones(self, e):
        return r"\mathbf{1}" + _size_subscript(e.shape), ATOM

    def v_Zero(self, e):
        return r"\mathbf{0}" + _size_subscript(e.shape), ATOM

    def v_Commutation(self, e):
        return rf"\mathrm{{K}}_{{{e.m},{e.n}}}", ATOM

    def product(self, c: Fraction, factors):
        c, num, den, chain = split_product(c, factors)
        top = [str(abs(c.numerator))] if abs(c.numerator) != 1 else []
        top += [self.show(f, POSTFIX) for f in num]
        bottom = [str(c.denominator)] if c.denominator != 1 else []
        bottom += [self.wrap(self.visit(b) if k == 1 else self.power(b, k), POSTFIX) for b, k in den]
        words = [rf"\frac{{{' '.join(top) or '1'}}}{{{' '.join(bottom)}}}"] if bottom else top
        words += [self.show(f, POSTFIX) for f in chain]
        text = _juxtapose(words) or "1"
        return ("-" + text, UNARY) if c < 0 else (text, PRODUCT)

    def _power(self, base: str, k) -> str:
        return f"{{{base}}}^{{{Fraction(k)}}}"

    def v_Pow(self, e):
        if e.k < 0:
            return self.product(Fraction(1), (e,))
        return self.power(e.a, e.k)

    def power(self, base: ir.Expr, k: Fraction):
        if k == Fraction(1, 2):
            return rf"\sqrt{{{self.show(base)}}}", ATOM
        return self._power(self.show(base, ATOM), k), POSTFIX

    def v_MatPow(self, e):
        return self._power(self.show(e.a, ATOM), e.k), POSTFIX

    def v_HadPow(self, e):
        return rf"{{{self.show(e.a, ATOM)}}}^{{\circ {Fraction(e.k)}}}", POSTFIX

    def v_SymPow(self, e):
        circ = "" if e.a.shape == ir.SCALAR else r"\circ "
        return rf"{{{self.show(e.a, ATOM)}}}^{{{circ}{self.show(e.b)}}}", POSTFIX

    def v_Hadamard(self, e):
        return r" \odot ".join(self.show(f, POSTFIX) for f in e.factors), PRODUCT

    def v_Kron(self, e):
        return rf"{self.show(e.a, POSTFIX)} \otimes {self.show(e.b, POSTFIX)}", PRODUCT

    def v_Transpose(self, e):
        return rf"{{{self.show(e.a, ATOM)}}}^\top", POSTFIX

    def v_Inverse(self, e):
        if isinstance(e.a, ir.Transpose):
            return rf"{{{self.show(e.a.a, ATOM)}}}^{{-\top}}", POSTFIX
        return rf"{{{self.show(e.a, ATOM)}}}^{{-1}}", POSTFIX

    def _op(self, op, arg):
        return rf"{op}\left({self.show(arg)}\right)", ATOM

    def v_Func(self, e):
        if e.name == "sqrt":
            return rf"\sqrt{{{self.show(e.a)}}}", ATOM
        if e.name == "abs":
            return rf"\left|{self.show(e.a)}\right|", ATOM
        return self._op(FUNCS[e.name], e.a)

    def v_Trace(self, e):
        return self._op(r"\operatorname{tr}", e.a)

    def v_Det(self, e):
        return self._op(r"\det", e.a)

    def v_LogDet(self, e):
        return self._op(r"\log\det", e.a)

    def v_Sum(self, e):
        return self._op(r"\operatorname{sum}", e.a)

    def v_Norm(self, e):
        return rf"\left\|{self.show(e.a)}\right\|", ATOM

    def v_DiagMat(self, e):
        return self._op(r"\operatorname{diag}", e.a)

    v_DiagVec = v_DiagMat

    def v_Vec(self, e):
        return rf"\operatorname{{vec}}\left({self.show(e.a, SUM)}\right)", ATOM

    def v_Softmax(self, e):
        return self._op(r"\operatorname{softmax}", e.a)

    def v_LogSumExp(self, e):
        return self._op(r"\operatorname{logsumexp}", e.a)
