"""The input language printer: ASCII for pipes (parses back), Unicode for terminals.

One method per node type on common.py's precedence ladder; a node printed looser than
its place allows gets parentheses. Imports ir and printers.common only.
"""
from __future__ import annotations

from fractions import Fraction

from .. import ir
from .common import PRODUCT, UNARY, POSTFIX, ATOM, Printer, definitions, split_product, unsized_identities

ASCII = {"T": "'", "inv": "^-1", "invT": "^-T", "had": " .* ", "hdiv": " ./ ", "norm": ("||", "||")}
UNICODE = {"T": "ᵀ", "inv": "⁻¹", "invT": "⁻ᵀ", "had": " ∘ ", "hdiv": " ./ ", "norm": ("‖", "‖")}

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def to_text(e: ir.Expr, unicode: bool = False) -> str:
    """The expression alone (definitions it uses are printed by name)."""
    return TextPrinter(unicode, unsized_identities(e)).show(e)


def to_text_where(e: ir.Expr, unicode: bool = False) -> str:
    """The expression and a `where` clause for every definition it uses: one line."""
    defs = definitions(e)
    p = TextPrinter(unicode, unsized_identities(e, *(r.a for r in defs)))
    text = p.show(e)
    if not defs:
        return text
    return text + " where " + "; ".join(f"{r.name} = {p.show(r.a)}" for r in defs)


def number(v: Fraction) -> str:
    if v.denominator == 1:
        return str(v.numerator)
    return f"{v.numerator}/{v.denominator}"


def dim(d) -> str:
    return str(d)


# A lone matrix factor over a fraction bar would extend its exponent: 1/2 x .^ -1, never x .^ -1/2.
_EXPONENTS = (ir.HadPow, ir.Pow, ir.MatPow, ir.Inverse)


class TextPrinter(Printer):
    def __init__(self, unicode: bool = False, unsized: set = frozenset()):
        self.unicode = unicode
        self.sym = UNICODE if unicode else ASCII
        self.unsized = unsized  # identities printed eye(n): nothing around them gives their size

    # -- leaves --------------------------------------------------------------------
    def v_Sym(self, e):
        return e.name, ATOM

    def constant(self, v: Fraction):
        text = number(abs(v))
        own = ATOM if v.denominator == 1 else PRODUCT
        return ("-" + text, UNARY) if v < 0 else (text, own)

    def v_Identity(self, e):
        return (f"eye({dim(e.n)})" if e in self.unsized else "I"), ATOM

    def v_Ones(self, e):
        return self._sized("ones", e.shape), ATOM

    def v_Zero(self, e):
        return self._sized("zeros", e.shape), ATOM

    def v_Commutation(self, e):
        return f"commutation({dim(e.m)}, {dim(e.n)})", ATOM

    def _sized(self, name, shape):
        r, c = shape
        return f"{name}({dim(r)})" if c == 1 else f"{name}({dim(r)}, {dim(c)})"

    def v_Ref(self, e):
        return e.name, ATOM

    # -- products and powers -------------------------------------------------------
    def product(self, c: Fraction, factors):
        """c · num/den · chain; a lone matrix factor sits on the bar: exp(x)/sum(exp(x))."""
        c, num, den, chain = split_product(c, factors)
        top = [str(abs(c.numerator))] if abs(c.numerator) != 1 else []
        top += [self.show(f, POSTFIX) for f in num]
        bottom = [str(c.denominator)] if c.denominator != 1 else []
        bottom += [self.wrap(self.visit(b) if k == 1 else self.power(b, k), POSTFIX) for b, k in den]
        words = [self.show(f, POSTFIX) for f in chain]
        if _trailing_chain(num, den, chain):  # alpha x' x, as typed: one scalar chain, last
            top[-1] = self.show(num[-1], PRODUCT)
        if bottom:
            under = "/" + (bottom[0] if len(bottom) == 1 else "(" + " ".join(bottom) + ")")
            if not top and len(chain) == 1 and not isinstance(chain[0], _EXPONENTS):
                words[0] += under
            else:
                top = [(" ".join(top) or "1") + under]
        text = " ".join(top + words) or "1"
        return ("-" + text, UNARY) if c < 0 else (text, PRODUCT)

    def v_Pow(self, e):
        if e.k < 0:
            return self.product(Fraction(1), (e,))
        return self.power(e.a, e.k)

    def power(self, base: ir.Expr, k: Fraction):
        return self.show(base, POSTFIX + 1) + self._exponent(k), POSTFIX

    def v_MatPow(self, e):
        return self.power(e.a, Fraction(e.k))

    def _exponent(self, k: Fraction) -> str:
        if self.unicode and k.denominator == 1:
            return str(k.numerator).translate(_SUPERSCRIPT)
        if k.denominator == 1:
            return f"^{k.numerator}"
        return f"^({number(k)})"

    def v_Hadamard(self, e):
        """a ./ b for a ∘ b .^ -1, the way it is typed."""
        parts = []
        for i, f in enumerate(e.factors):
            if i and isinstance(f, ir.HadPow) and f.k < 0:
                divisor = self.visit(f.a) if f.k == -1 else self.entrywise_power(f.a, -f.k)
                parts.append(self.sym["hdiv"] + self.wrap(divisor, POSTFIX))
            else:
                parts.append((self.sym["had"] if i else "") + self.show(f, POSTFIX))
        return "".join(parts), PRODUCT

    def v_HadPow(self, e):
        return self.entrywise_power(e.a, e.k)

    def entrywise_power(self, base: ir.Expr, k: Fraction):
        ks = str(k.numerator) if k.denominator == 1 else f"({number(k)})"
        return f"{self.show(base, POSTFIX + 1)} .^ {ks}", POSTFIX

    def v_SymPow(self, e):
        op = "^" if e.a.shape == ir.SCALAR else " .^ "
        b = self.show(e.b) if isinstance(e.b, (ir.Sym, ir.Ref)) else f"({self.show(e.b)})"
        return f"{self.show(e.a, POSTFIX + 1)}{op}{b}", POSTFIX

    def v_Kron(self, e):
        if self.unicode:
            return f"{self.show(e.a, PRODUCT)} ⊗ {self.show(e.b, POSTFIX)}", PRODUCT
        return f"kron({self.show(e.a)}, {self.show(e.b)})", ATOM

    # -- postfix -------------------------------------------------------------------
    def v_Transpose(self, e):
        return self.show(e.a, POSTFIX + 1) + self.sym["T"], POSTFIX

    def v_Inverse(self, e):
        if isinstance(e.a, ir.Transpose):
            return self.show(e.a.a, POSTFIX + 1) + self.sym["invT"], POSTFIX
        return self.show(e.a, POSTFIX + 1) + self.sym["inv"], POSTFIX

    # -- functions -----------------------------------------------------------------
    def _call(self, name, *args):
        return f"{name}({', '.join(self.show(a) for a in args)})", ATOM

    def v_Func(self, e):
        return self._call(e.name, e.a)

    def v_Trace(self, e):
        return self._call("tr", e.a)

    def v_Det(self, e):
        return self._call("det", e.a)

    def v_LogDet(self, e):
        return self._call("logdet", e.a)

    def v_Sum(self, e):
        return self._call("sum", e.a)

    def v_DiagMat(self, e):
        return self._call("diag", e.a)

    v_DiagVec = v_DiagMat

    def v_Vec(self, e):
        return f"vec({self.show(e.a)})", ATOM

    def v_Softmax(self, e):
        return self._call("softmax", e.a)

    def v_LogSumExp(self, e):
        return self._call("logsumexp", e.a)

    def v_Norm(self, e):
        left, right = self.sym["norm"]
        inner = self.show(e.a)
        if right in inner and not (inner.startswith(left) and inner.endswith(right)):
            inner = f"({inner})"  # ||2 ||x||^2 x|| would not read back: bars inside bars
        return f"{left}{inner}{right}", ATOM


def _trailing_chain(num, den, chain) -> bool:
    """A product of scalars whose last factor, and only that one, is a scalar chain (x' A x):
    it needs no parentheses, and reads back as the same product."""
    return bool(num) and not den and not chain and isinstance(num[-1], ir.Mul) \
        and not any(isinstance(f, ir.Mul) for f in num[:-1])
