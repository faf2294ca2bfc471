"""LaTeX printer: vectors bold, matrices upright, ^{\\top}; results that fit the page.

`to_latex` writes one line (JSON, notebooks, a trace's cells); `display_latex` writes
what `--format latex` prints: that line when it fits a page's text width, else an amsmath
`aligned` broken at top-level operators, with `where` definitions as aligned lines under
the result. Parentheses are \\left( \\right), placed by common.py's precedence ladder.
Imports ir and the other printers only.
"""
from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

from .. import ir
from .common import SUM, PRODUCT, UNARY, POSTFIX, ATOM, Printer, coefficient, definitions, signed_terms, \
    split_product, unsized_identities
from .texwidth import width

GREEK = set(ir.GREEK_LOWER) | set(ir.GREEK_UPPER)
UNICODE_GREEK = ir.UNICODE_GREEK
FUNCS = {
    "exp": r"\exp", "log": r"\log", "sin": r"\sin", "cos": r"\cos", "tan": r"\tan",
    "tanh": r"\tanh", "arcsin": r"\arcsin", "arccos": r"\arccos", "arctan": r"\arctan",
    "sigmoid": r"\operatorname{sigmoid}", "softplus": r"\operatorname{softplus}",
    "relu": r"\operatorname{relu}", "sign": r"\operatorname{sign}", "step": r"\operatorname{step}",
}

# Where a line may break: before + and − of a sum and before ⊙ and ⊗ (BREAK), and between
# the factors of a product (JOIN). Markers live only between printing and layout.
BREAK, JOIN = "\x01", "\x02"

TEXT_WIDTH = 345.0  # article's default \textwidth, in points
BUDGET = 318.0  # what the layout fills, by texwidth's estimate: it errs by up to 8 %
DISPLAY = 295.0  # a result alone leaves room for the ∂f/∂x = an author may set before it
INDENT = r"\quad "


def _dim(d) -> str:
    """A size as a subscript: a product of sizes m*q is written mq."""
    return str(d).replace("*", " ")


def _size_subscript(shape) -> str:
    """𝟏ₙ, 𝟎_{m×n}: the size is part of the symbol, so that it reads back."""
    r, c = shape
    return f"_{{{_dim(r)}}}" if c == 1 else rf"_{{{_dim(r)} \times {_dim(c)}}}"


def _juxtapose(words: list[str]) -> str:
    r"""Factors side by side, each a place to break the line; σ before a parenthesis takes
    a cdot, since σ(z) reads as the sigmoid; a differential stands apart: A \,dX\, B."""
    out = ""
    for i, word in enumerate(words):
        sep = r" \cdot " if i and out.endswith(r"\sigma") and word.startswith(r"\left(") else " "
        if i and (word.startswith(r"\mathrm{d}") or words[i - 1].startswith(r"\mathrm{d}")):
            sep = r" \, "
        coefficient = i and re.fullmatch(r"\d+|\\frac\{\d+\}\{\d+\}", words[i - 1])
        out += ((sep if coefficient else JOIN + sep) if i else "") + word
    return out


def flat(text: str) -> str:
    """Marked LaTeX as it is typeset: the break markers removed."""
    return text.replace(BREAK, "").replace(JOIN, "")


def to_latex(e: ir.Expr) -> str:
    """One line: the expression, then `\\quad \\text{where } h = ...` for its definitions."""
    defs = definitions(e)
    p = LatexPrinter(unsized_identities(e, *(r.a for r in defs)))
    text = p.show(e)
    if defs:
        text += r" \quad \text{where } " + r",\ ".join(f"{p.name(r.name, r.shape)} = {p.show(r.a)}" for r in defs)
    return flat(text)


def to_latex_bare(e: ir.Expr, differentials: frozenset = frozenset()) -> str:
    """The expression alone, definitions by name: a trace states them once, apart."""
    return flat(LatexPrinter(unsized_identities(e), differentials).show(e))


def display_latex(e: ir.Expr, budget: float = DISPLAY) -> str:
    """`--format latex`: the one line when it fits; else an `aligned`, the result broken at
    its top-level operators and each definition on its own line under it."""
    defs = definitions(e)
    p = LatexPrinter(unsized_identities(e, *(r.a for r in defs)))
    lines = break_lines(p.show(e), budget, budget - width(INDENT))
    if len(lines) == 1 and not defs:
        return lines[0]
    rows = ["&" + _unary(lines[0])] + ["&" + INDENT + line for line in lines[1:]]
    if defs:
        rows.append(r"&\text{where } " + where_block(defs, p, budget - width(r"\text{where }")))
    return r"\begin{aligned} " + r" \\ ".join(rows) + r" \end{aligned}"


def _unary(line: str) -> str:
    """A line that starts with a sign, set as a sign (an aligned cell opens with {}, which
    would make it a binary minus)."""
    return "{" + line[0] + "}" + line[1:] if line[:1] in "-+" else line


def where_block(defs: list[ir.Ref], p: "LatexPrinter", budget: float) -> str:
    """h = ..., one definition a line, = aligned; a long body broken under its own line."""
    rows = []
    for i, r in enumerate(defs):
        name = p.name(r.name, r.shape)
        room = budget - width(name + "=")
        body = break_lines(p.show(r.a), room, room - width(INDENT))
        comma = "," if i + 1 < len(defs) else ""
        rows.append(f"{name} &= {body[0]}" + ("" if len(body) > 1 else comma))  # = then a sign is unary
        rows += ["&" + INDENT + line + (comma if j + 2 == len(body) else "") for j, line in enumerate(body[1:])]
    if len(rows) == 1:
        return rows[0].replace(" &= ", " = ", 1)
    return r"\begin{aligned}[t] " + r" \\ ".join(rows) + r" \end{aligned}"


class LatexPrinter(Printer):
    parens = (r"\left(", r"\right)")

    def __init__(self, unsized: set = frozenset(), differentials: frozenset = frozenset()):
        self.unsized = unsized  # identities that carry their size, I_n: nothing around them gives it
        self.differentials = differentials  # names of directions, dX: set \mathrm{d}X

    def name(self, name: str, shape) -> str:
        if name in self.differentials:
            return r"\mathrm{d}" + self.name(name[1:], shape)
        m = re.fullmatch(r"([A-Za-z]+|[^\W\d_])_?(\w*)", name)
        base, sub = (m.group(1), m.group(2)) if m else (name, "")
        if base in UNICODE_GREEK:
            base = UNICODE_GREEK[base]
        if base in GREEK or base == "eps":
            core = "\\" + ("epsilon" if base == "eps" else base)
            if shape != ir.SCALAR and 1 in shape:
                core = rf"\boldsymbol{{{core}}}"
        elif shape == ir.SCALAR:
            core = base if len(base) == 1 else rf"\mathit{{{base}}}"
        elif 1 in shape:  # a column or a row vector (M1 = (x - mu)' is a row)
            core = rf"\mathbf{{{base}}}"
        else:
            core = rf"\mathrm{{{base}}}"
        return core + (f"_{{{sub}}}" if sub else "")

    def v_Sym(self, e):
        return self.name(e.name, e.shape), ATOM

    def v_Ref(self, e):
        return self.name(e.name, e.shape), ATOM

    def v_Add(self, e):
        if _transposed_sum(e):  # x' - mu' is (x - mu)', as an author writes it
            return rf"\left({self.untransposed(e)}\right)^{{\top}}", POSTFIX
        return "".join((BREAK if i else "") + op + self.wrap(self.scaled(c, factors), self.term)
                       for i, (op, c, factors) in enumerate(signed_terms(e))), SUM

    def untransposed(self, e: ir.Add) -> str:
        """The sum of what each term transposes: A' + B' is (A + B)'."""
        return "".join((BREAK if i else "") + op + self.wrap(self.scaled(c, (factors[0].a,)), self.term)
                       for i, (op, c, factors) in enumerate(signed_terms(e)))

    def scaled(self, c: Fraction, factors) -> tuple[str, int]:
        factors = tuple(factors)
        if not factors:
            return self.constant(c)
        if c == 1 and len(factors) == 1:
            return self.visit(factors[0])
        return self.product(c, factors)

    def constant(self, v: Fraction):
        text = str(abs(v.numerator)) if v.denominator == 1 else rf"\frac{{{abs(v.numerator)}}}{{{v.denominator}}}"
        return ("-" + text, UNARY) if v < 0 else (text, ATOM)

    def v_Identity(self, e):
        return (rf"\mathrm{{I}}_{{{_dim(e.n)}}}" if e in self.unsized else r"\mathrm{I}"), ATOM

    def v_Ones(self, e):
        return r"\mathbf{1}" + _size_subscript(e.shape), ATOM

    def v_Zero(self, e):
        return r"\mathbf{0}" + _size_subscript(e.shape), ATOM

    def v_Commutation(self, e):
        return rf"\mathrm{{K}}_{{{_dim(e.m)},{_dim(e.n)}}}", ATOM

    def product(self, c: Fraction, factors):
        c, num, den, chain = split_product(c, factors)
        top = [str(abs(c.numerator))] if abs(c.numerator) != 1 else []
        bottom = [str(c.denominator)] if c.denominator != 1 else []
        lone = not bottom and len(den) == 1  # the bar groups a lone denominator too
        bottom += [flat(self.wrap(self.visit(b) if k == 1 else self.power(b, k), SUM if lone else POSTFIX))
                   for b, k in den]
        if bottom:  # the bar groups what is above it: no parentheses for a lone factor there
            top += [flat(self.show(f, SUM if len(num) == 1 and not top else POSTFIX)) for f in num]
            words = [rf"\frac{{{' '.join(top) or '1'}}}{{{' '.join(bottom)}}}"]
        else:
            words = top + [self.show(f, POSTFIX) for f in num]
        words += [self.show(f, POSTFIX) for f in chain]
        text = _juxtapose(words) or "1"
        return ("-" + text, UNARY) if c < 0 else (text, PRODUCT)

    def script(self, base: tuple[str, int], sup: str) -> tuple[str, int]:
        """base^{sup}: a name or a parenthesis takes it as it is (W_{2}^{\\top} stacks);
        anything else is braced first."""
        text = self.wrap(base, ATOM)
        if not _bare_base(text):
            text = "{" + text + "}"
        return f"{text}^{{{sup}}}", POSTFIX

    def v_Pow(self, e):
        if e.k < 0:
            return self.product(Fraction(1), (e,))
        return self.power(e.a, e.k)

    def power(self, base: ir.Expr, k: Fraction):
        if k == Fraction(1, 2):
            return rf"\sqrt{{{flat(self.show(base))}}}", ATOM
        return self.script(self.visit(base), str(Fraction(k)))

    def v_MatPow(self, e):
        return self.script(self.visit(e.a), str(e.k))

    def v_HadPow(self, e):
        return self.script(self.visit(e.a), rf"\circ {Fraction(e.k)}")

    def v_SymPow(self, e):
        circ = "" if e.a.shape == ir.SCALAR else r"\circ "
        return self.script(self.visit(e.a), circ + flat(self.show(e.b)))

    def v_Hadamard(self, e):
        return (BREAK + r" \odot ").join(self.show(f, POSTFIX) for f in e.factors), PRODUCT

    def v_Kron(self, e):
        return rf"{self.show(e.a, POSTFIX)}{BREAK} \otimes {self.show(e.b, POSTFIX)}", PRODUCT

    def v_Transpose(self, e):
        return self.script(self.visit(e.a), r"\top")

    def v_Inverse(self, e):
        if isinstance(e.a, ir.Transpose):
            return self.script(self.visit(e.a.a), r"-\top")
        if isinstance(e.a, ir.Add) and _transposed_sum(e.a):
            return rf"\left({self.untransposed(e.a)}\right)^{{-\top}}", POSTFIX
        return self.script(self.visit(e.a), "-1")

    def _op(self, op, arg):
        return rf"{op}\left({self.show(arg)}\right)", ATOM

    def v_Func(self, e):
        if e.name == "sqrt":
            return rf"\sqrt{{{flat(self.show(e.a))}}}", ATOM
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
        return self._op(r"\operatorname{vec}", e.a)

    def v_Softmax(self, e):
        return self._op(r"\operatorname{softmax}", e.a)

    def v_LogSumExp(self, e):
        return self._op(r"\operatorname{logsumexp}", e.a)


def _transposed_sum(e: ir.Add) -> bool:
    """Every term a multiple of a transpose: printed as the transpose of a sum."""
    return all(len(f) == 1 and isinstance(f[0], ir.Transpose) for _, f in map(coefficient, e.terms))


_NAME = re.compile(r"(\\(mathbf|mathrm|mathit|boldsymbol)\{\\?\w+\}|\\?[A-Za-z]+|\d+)(_\{[^{}]*\})?")


def is_name(text: str) -> bool:
    """Whether printed LaTeX is one name (subscript and all) or a number."""
    return bool(_NAME.fullmatch(text))


def _bare_base(text: str) -> bool:
    """Whether ^ may follow `text` directly: a name (subscript and all), a number, or one
    parenthesis or norm around all of it (which may then break across lines)."""
    if _NAME.fullmatch(text):
        return True
    return bool(re.search(r"\\right(\\\||.)$", text)) and _matching_open(text) == 0


def _matching_open(text: str) -> int:
    """The index of the \\left that the final \\right closes."""
    depth = 0
    for m in reversed(list(re.finditer(r"\\(left|right)", text))):
        depth += 1 if m.group(1) == "right" else -1
        if depth == 0:
            return m.start()
    return -1


# -- breaking a line -----------------------------------------------------------------------------

_PIECE = re.compile(r"\\left(\\\||.)|\\right(\\\||.)|[{}]|[\x01\x02]|\\.|[^\\{}\x01\x02]+", re.S)
_SIZES = [r"\Big", r"\bigg", r"\Bigg"]


class _Group:
    """\\left( ... \\right): its two delimiters and what is between them."""

    def __init__(self, open_: str, close: str, items: list):
        self.open, self.close, self.items = open_, close, items

    def text(self) -> str:
        return rf"\left{self.open}{_text(self.items)}\right{self.close}"


def _parse(text: str) -> list:
    """Pieces of marked LaTeX: strings (braced groups whole, so nothing breaks inside a
    superscript or a fraction), markers, and _Groups."""
    stack: list = [[]]
    opens: list = []
    brace, buf = 0, ""
    for m in _PIECE.finditer(text):
        piece = m.group(0)
        if brace:
            buf += piece
            brace += piece == "{"
            brace -= piece == "}"
            if not brace:
                stack[-1].append(buf)
                buf = ""
            continue
        if piece == "{":
            brace, buf = 1, "{"
        elif piece.startswith(r"\left"):
            opens.append(m.group(1))
            stack.append([])
        elif piece.startswith(r"\right") and opens:
            items = stack.pop()
            stack[-1].append(_Group(opens.pop(), m.group(2), items))
        else:
            stack[-1].append(piece)
    return stack[0] + ([buf] if buf else [])


def _text(items: list) -> str:
    return "".join(i.text() if isinstance(i, _Group) else flat(i) for i in items)


MAX_NESTED = 60  # parentheses within parentheses past which a display stays one line


@lru_cache(maxsize=2048)
def _break_lines(marked: str, first: float, rest: float) -> tuple[str, ...]:
    if _nesting(marked) > MAX_NESTED:  # no page holds it anyway: one line, and no deep recursion
        return (flat(marked).strip(),)
    return tuple(line.strip() for line in _lay(_parse(marked), first, rest)[0])


def _nesting(text: str) -> int:
    depth = deepest = 0
    for m in re.finditer(r"\\(left|right)", text):
        depth += 1 if m.group(1) == "left" else -1
        deepest = max(deepest, depth)
    return deepest


def break_lines(marked: str, first: float, rest: float) -> list[str]:
    """Lines of at most `first` points (the first) and `rest` (the others), broken at the
    loosest operators that make them fit: + and − first, then ⊙ and ⊗, then between
    factors, and inside a parenthesis only when its content must break."""
    return list(_break_lines(marked, first, rest))


def _lay(items: list, first: float, rest: float) -> tuple[list[str], int]:
    """The lines, and how many broken parentheses nest in them (their size grows with it)."""
    whole = _text(items)
    if width(whole) <= first:
        return [whole], 0
    for marker in (BREAK, JOIN):
        chunks = _split(items, marker)
        if len(chunks) > 1:
            return _pack(chunks, first, rest, fill=marker == JOIN)
    groups = [i for i, item in enumerate(items) if isinstance(item, _Group)]
    if not groups:
        return [whole], 0
    k = max(groups, key=lambda i: width(items[i].text()))
    g, before, after = items[k], _text(items[:k]), _text(items[k + 1:])
    room = first - width(before) - 6
    if room < 0.4 * rest:  # W' ((W' ((W' (( ...: too little of this line is left for what is inside
        inner, depth = _lay(g.items, rest - 6, rest - 6)
        inner = ["", *inner]  # the parenthesis opens here, its content starts on the next line
    else:
        inner, depth = _lay(g.items, room, rest - 6)
    size = _SIZES[min(depth, len(_SIZES) - 1)]
    inner[0] = f"{before}{size}l{g.open}{inner[0]}"
    inner[-1] = f"{inner[-1]}{size}r{g.close}{after}"
    return inner, depth + 1


def _split(items: list, marker: str) -> list[list]:
    chunks = [[]]
    for item in items:
        if item == marker:
            chunks.append([])
        else:
            chunks[-1].append(item)
    return chunks


def _pack(chunks: list[list], first: float, rest: float, fill: bool = False) -> tuple[list[str], int]:
    """Chunks filled into lines greedily; a chunk too wide for what is left of its line is
    laid out in turn, starting there when a fair part of the line is left. A term of a sum
    that fits a line of its own takes one; a factor of a product (`fill`) that can break
    inside its parentheses goes on where the line is."""
    lines: list[str] = []
    depth = 0
    for chunk in chunks:
        text = _text(chunk)
        budget = first if len(lines) <= 1 else rest
        left = budget - width(lines[-1]) if lines else first
        breakable = fill and left > 0.4 * budget and any(isinstance(i, _Group) for i in chunk)
        if width(text) <= left:
            lines[-1:] = [(lines[-1] if lines else "") + text]
        elif lines and width(text) <= rest and not breakable:
            lines.append(text)
        else:  # the first chunk must keep to the first line's width
            here = not lines or left > 0.4 * budget
            sub, d = _lay(chunk, left if here else rest, rest)
            depth = max(depth, d)
            if here and lines:
                lines[-1] += sub[0]
                sub = sub[1:]
            lines += sub
    return lines, depth
