"""Text -> syntax tree: the grammar in grammar/matcalc.lark and one builder (_Build).

The syntax tree (Syntax, Decl, Definition, Parsed) is untyped and keeps columns for
error carets; shapes.py turns it into typed IR. The parser runs on tables that Lark
generates from the grammar at build time (tools/gen_parser.py, lalr.py): no lark here.
"""
from __future__ import annotations

import functools
from fractions import Fraction

from ._parse_table import TABLES
from .ir import MatcalcError
from .lalr import Parser, Token, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

# Other spellings of functions, accepted on input and never printed (SPEC §1).
ALIASES = {"trace": "tr", "ln": "log", "norm": "norm2"}

MAX_LENGTH = 20_000
MAX_DIM_DIGITS = 9  # a size is a count of entries: ten digits would not fit any memory
MAX_DEPTH = 2_500  # syntax levels: a tanh chain 1,000 deep is 2,001


# The syntax tree's records are plain classes, not dataclasses: making a dataclass costs
# most of a millisecond at import, and a frozen one a microsecond per node at run time.

class Syntax:
    """One node of the untyped syntax tree: `kind` names the construct. Two nodes are
    equal when kind and args are (not where they were written)."""

    __slots__ = ("kind", "args", "column", "depth")

    def __init__(self, kind: str, args: tuple, column: int, depth: int = 1):
        self.kind, self.args, self.column, self.depth = kind, args, column, depth

    def __eq__(self, other):
        return isinstance(other, Syntax) and self.kind == other.kind and self.args == other.args

    def __hash__(self):
        return hash((self.kind, self.args))

    def __repr__(self):
        return f"Syntax({self.kind!r}, {self.args!r}, column={self.column})"


class _Record:
    """Equal, hashed and shown by its fields, as a frozen dataclass would be."""

    __slots__ = ()

    def _values(self) -> tuple:
        return tuple(getattr(self, f) for f in self.__slots__)

    def __eq__(self, other):
        return type(other) is type(self) and self._values() == other._values()

    def __hash__(self):
        return hash(self._values())

    def __repr__(self):
        return f"{type(self).__name__}{self._values()!r}"


class Decl(_Record):
    __slots__ = ("name", "shape", "symmetric", "column")

    def __init__(self, name: str, shape: tuple | None, symmetric: bool, column: int):
        # shape: ("scalar",) | ("vector", d) | ("matrix", d1, d2) | None
        self.name, self.shape, self.symmetric, self.column = name, shape, symmetric, column


class Definition(_Record):
    __slots__ = ("name", "expr", "column")

    def __init__(self, name: str, expr: Syntax, column: int):
        self.name, self.expr, self.column = name, expr, column


class Parsed(_Record):
    __slots__ = ("expr", "decls", "defs")

    def __init__(self, expr: Syntax, decls: tuple = (), defs: tuple = ()):
        self.expr, self.decls, self.defs = expr, decls, defs


_OPERAND_END = {"NAME", "NUMBER", "RPAR", "RBRACE", "QUOTE", "RNORM", "NORM_SUB", "T", "INT", "SUPERSCRIPT"}
MAX_DIGITS = 300  # numbers are exact fractions: 1e99999999 would be a hundred-million-digit integer


class _NormBars:
    """Tell opening from closing norm bars, which the grammar alone cannot, and refuse
    a number run into another (`1.2.3`), which the lexer would read as a product.

    A bar closes when a norm is the innermost open bracket and an operand just ended;
    otherwise it opens. So `||a|| ||b||` is a product, and inside a norm a nested
    norm needs an operator or parentheses before it.
    """

    always_accept = ("NORMBAR",)

    def process(self, stream):
        stack, prev, last = [], None, None
        for tok in stream:
            if tok.type == "NUMBER" and last is not None and last.end_pos == tok.start_pos:
                if last.type == "NUMBER":
                    raise MatcalcError(f"malformed number {last.value + tok.value!r}", last.column)
                if tok.value.startswith(".") and last.type in _OPERAND_END:  # x.2: neither a number nor an operator
                    raise MatcalcError(f"malformed number {tok.value!r} right after {last.value!r}: "
                                       f"write 0{tok.value} with a space before it", tok.column)
            if tok.type == "NAME" and tok.value in ("e", "E") and last is not None and last.type == "NUMBER" \
                    and last.end_pos == tok.start_pos:  # 2e, 1e+: an exponent with no digits
                raise MatcalcError(f"malformed number {last.value + tok.value!r}", last.column)
            last = tok
            if tok.type == "NORMBAR":
                if stack and stack[-1] == "norm" and prev in _OPERAND_END:
                    stack.pop()
                    tok = Token.new_borrow_pos("RNORM", tok.value, tok)
                else:
                    stack.append("norm")
                    tok = Token.new_borrow_pos("LNORM", tok.value, tok)
            elif tok.type in ("LPAR", "LBRACE"):
                stack.append(tok.type)
            elif tok.type in ("RPAR", "RBRACE") and stack and stack[-1] != "norm":
                stack.pop()
            prev = tok.type
            yield tok


@functools.lru_cache(maxsize=1)
def _parser() -> Parser:
    return Parser(TABLES, postlex=_NormBars())


def parse(text: str) -> Parsed:
    """Parse one input line: an expression with an optional `where` clause. LaTeX (any
    backslash) is read as the plain form it stands for, errors pointing into the LaTeX."""
    return _plain_or_latex(text, lambda plain: _parse(plain, "start"))


def _plain_or_latex(text: str, read):
    """Plain text, or LaTeX: any backslash, or braces that the plain language cannot read
    (`{s}^{2}`)."""
    if "\\" not in text:
        try:
            return read(text)
        except MatcalcError:
            if "{" not in text:
                raise
            try:
                return _read_latex(text, read)
            except MatcalcError:
                pass
            raise
    return _read_latex(text, read)


def _read_latex(text: str, read):
    from .latex_input import from_latex

    if len(text) > MAX_LENGTH:
        raise MatcalcError(f"input too long ({len(text)} characters, at most {MAX_LENGTH})", 1)
    plain, columns = from_latex(text)
    try:
        return read(plain)
    except MatcalcError as e:
        if e.column is not None:
            e.column = columns[e.column - 1] if e.column <= len(columns) else len(text) + 1
        e.message += f" (reading the LaTeX as: {plain})"
        raise


def parse_decls(text: str) -> tuple[Decl, ...]:
    """Parse a `--declare` argument: declarations joined by `;`."""
    try:
        return _plain_or_latex(text, lambda plain: _parse(plain, "decls"))
    except MatcalcError as e:
        e.message = f"in the declaration {text!r}: {e.message}"
        raise


# Words that read as properties: a dimension spelled like one is a typo, not a size.
PROPERTIES = ("symmetric", "scalar")
UNSUPPORTED_PROPERTIES = {"positive", "definite", "spd", "psd", "diagonal", "orthogonal", "invertible",
                          "square", "triangular", "sparse", "hermitian", "real"}


def _parse(text: str, start: str):
    """The Syntax of `text`, built as it is parsed: an error in the syntax is reported
    before one in what was built (a misspelt property, an exponent that divides by zero)."""
    if len(text) > MAX_LENGTH:
        raise MatcalcError(f"input too long ({len(text)} characters, at most {MAX_LENGTH})", 1)
    if not text.strip():
        raise MatcalcError("empty expression", 1)
    build = _Build(text)
    try:
        out = _parser().parse(text, start, build)
    except UnexpectedCharacters as e:
        raise MatcalcError(f"unexpected character {text[e.pos_in_stream]!r}", e.column) from None
    except UnexpectedToken as e:
        if e.token.type == "$END":
            raise MatcalcError("unexpected end of input", len(text) + 1) from None
        if e.token.type == "NAME":
            _not_a_property(e.token)
        fn = _function_before(text, e.column)
        if fn:
            raise MatcalcError(f"{fn} needs its argument in parentheses: {fn}(...)", e.column) from None
        raise MatcalcError(f"unexpected {e.token.value!r}", e.column) from None
    except UnexpectedInput as e:  # pragma: no cover - the parser's other errors
        raise MatcalcError("cannot parse the expression", getattr(e, "column", 1)) from None
    if build.error is not None:
        raise build.error
    return out


def _function_before(text: str, column: int) -> str | None:
    """The function name written just before a column, as in `sigmoid x`."""
    import re

    m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s+$", text[:column - 1])
    if not m:
        return None
    pattern = _parser().terminal_pattern("FUNC")
    return m.group(1) if re.fullmatch(pattern, m.group(1)) else None


def _number(tok) -> Fraction:
    mantissa, _, exponent = str(tok).lower().partition("e")
    if len(mantissa) > MAX_DIGITS or (exponent and abs(int(exponent)) > MAX_DIGITS):
        raise MatcalcError(f"number {str(tok)[:20]}{'...' if len(tok) > 20 else ''} is too large "
                           f"(at most {MAX_DIGITS} digits or 1e{MAX_DIGITS})", tok.column)
    return Fraction(str(tok))


def _col(item) -> int:
    return item.column  # a Syntax node's or a token's


class _Build:
    """Grammar rule -> Syntax, called by the parser as it reduces each rule (bottom-up,
    so deep input needs no recursion): nearly a table from grammar aliases to node kinds.
    The first error is kept and the rest of the input only parsed, so that a syntax error
    after it is still the one reported."""

    def __init__(self, text: str):
        self.text = text
        self.error: MatcalcError | None = None

    def __call__(self, rule: str, kids: list):
        if self.error is not None:
            return None
        try:
            return getattr(self, rule)(None, *kids)
        except MatcalcError as e:
            self.error = e
            return None

    # -- helpers -----------------------------------------------------------------
    def _node(self, kind, args, column, chain: bool = False):
        """A node; a left operand of a sum or product is its chain going on (a + b + c + ...),
        not nesting, so a long flat sum is as shallow as its terms."""
        depths = [a.depth + (0 if chain and i == 0 else 1) for i, a in enumerate(args) if isinstance(a, Syntax)]
        depth = max(depths, default=1)
        if depth > MAX_DEPTH:
            raise MatcalcError(f"expression nested too deeply (more than {MAX_DEPTH} levels)", column)
        return Syntax(kind, tuple(args), column, depth)

    def _binary(kind):
        def rule(self, meta, a, op, b):
            return self._node(kind, (a, b), op.column, chain=True)

        return rule

    # -- top level ---------------------------------------------------------------
    def start(self, meta, expr, where=((), ())):
        return Parsed(expr, *where)

    def where(self, meta, *items):
        return (
            tuple(i for i in items if isinstance(i, Decl)),
            tuple(i for i in items if isinstance(i, Definition)),
        )

    def decls(self, meta, *items):
        return tuple(items)

    def definition(self, meta, name, expr):
        return Definition(str(name), expr, name.column)

    def decl(self, meta, name, *rest):
        shape = next((r for r in rest if isinstance(r, tuple)), None)
        symmetric = any(getattr(r, "type", None) == "SYMMETRIC" for r in rest)
        if shape is None and not symmetric:
            raise MatcalcError(f"declaration of {name} needs a shape or `symmetric`", name.column)
        return Decl(str(name), shape, symmetric, name.column)

    def scalar_shape(self, meta):
        return ("scalar",)

    def vector_shape(self, meta, d):
        return ("vector", _dim(d))

    def matrix_shape(self, meta, d1, _times, d2=None):
        if d2 is None:  # "(" d1 "," d2 ")" has no TIMES token
            d1, d2 = d1, _times
        return ("matrix", _dim(d1), _dim(d2))

    # -- expressions -------------------------------------------------------------
    add = _binary("add")
    sub = _binary("sub")
    matmul = _binary("matmul")
    hadamard = _binary("hadamard")
    div = _binary("div")
    hadamard_div = _binary("hadamard_div")
    kron = _binary("kron")

    def juxtapose(self, meta, a, b):
        return self._node("matmul", (a, b), _col(b), chain=True)

    def neg(self, meta, op, a):
        return self._node("neg", (a,), op.column)

    def transpose(self, meta, a, op):
        return self._node("transpose", (a,), op.column)

    def power(self, meta, a, op, p):
        kind, k = p
        if kind == "T":
            return self._node("transpose", (a,), op.column)
        if kind == "-T":
            return self._node("inverse_transpose", (a,), op.column)
        if kind == "e":
            return self._node("symbolic_power", (a, k, False), op.column)
        return self._node("power", (a, k), op.column)

    def superscript(self, meta, a, sup):
        if sup.value == "⁻ᵀ":
            return self._node("inverse_transpose", (a,), sup.column)
        k = int(sup.value.translate(_SUPERSCRIPT_DIGITS))
        return self._node("power", (a, Fraction(k)), sup.column)

    def entrywise_power(self, meta, a, op, p):
        kind, k = p
        if kind == "e":
            return self._node("symbolic_power", (a, k, True), op.column)
        if kind != "k":
            raise MatcalcError("`.^` needs an exponent: a number or a scalar expression", op.column)
        return self._node("entrywise_power", (a, k), op.column)

    def pow_transpose(self, meta, *_):
        return ("T", None)

    def pow_inverse_transpose(self, meta, *_):
        return ("-T", None)

    def pow_number(self, meta, n):
        return ("k", _number(n))

    def pow_negative(self, meta, _minus, n):
        return ("k", -_number(n))

    def pow_expr(self, meta, e):
        """A constant exponent is a number (x^{1/3}); anything else a symbolic one (x^(p+1))."""
        try:
            return ("k", _constant(e))
        except MatcalcError:
            return ("e", e)

    def pow_name(self, meta, tok):
        return ("e", self.name(meta, tok))

    def pow_atom(self, meta, e):
        return ("e", e)

    def number(self, meta, tok):
        return self._node("number", (_number(tok),), tok.column)

    def name(self, meta, tok):
        return self._node("name", (str(tok),), tok.column)

    def call(self, meta, fn, *args):
        name = ALIASES.get(str(fn), str(fn))
        return self._node("call", (name, *args), fn.column)

    def norm(self, meta, _open, e, _close, sub=None):
        if sub is not None and "1" in sub:  # ‖x‖₁: the sum of absolute values
            return self._node("call", ("norm1", e), _open.column)
        return self._node("norm", (e,), _open.column)


_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def _not_a_property(tok) -> None:
    """`A: symetric` is a misspelt property, not a vector of length symetric."""
    import difflib

    word = str(tok)
    if word.lower() in UNSUPPORTED_PROPERTIES:
        raise MatcalcError(f"the property {word!r} is not supported (only `symmetric`)", tok.column)
    near = difflib.get_close_matches(word.lower(), PROPERTIES, n=1, cutoff=0.75)
    if near:
        raise MatcalcError(f"unknown property {word!r}: did you mean {near[0]}?", tok.column)


def _dim(tok):
    if tok.type == "INT":
        if len(tok) > MAX_DIM_DIGITS:
            raise MatcalcError(f"a dimension has at most {MAX_DIM_DIGITS} digits", tok.column)
        return int(tok)
    _not_a_property(tok)
    return str(tok)


def _constant(e: Syntax) -> Fraction:
    """Evaluate a constant exponent such as `1/3` or `-1/2`; anything else is an error."""
    if e.kind == "number":
        return e.args[0]
    if e.kind == "neg":
        return -_constant(e.args[0])
    if e.kind in ("add", "sub", "matmul", "div"):
        a, b = (_constant(x) for x in e.args)
        if e.kind == "div" and b == 0:
            raise MatcalcError("division by zero in an exponent", e.column)
        return {"add": a + b, "sub": a - b, "matmul": a * b, "div": a / b if b else a}[e.kind]
    if e.kind == "power":
        base, k = _constant(e.args[0]), e.args[1]
        if k.denominator != 1:
            raise MatcalcError("an exponent must be rational", e.column)
        if abs(k) > MAX_DIGITS or (abs(base.numerator) > 1 and abs(k) * len(str(base.numerator)) > MAX_DIGITS):
            raise MatcalcError(f"the exponent is too large to compute (at most {MAX_DIGITS} digits)", e.column)
        if base == 0 and k < 0:
            raise MatcalcError("division by zero in an exponent (0 to a negative power)", e.column)
        return base ** int(k)
    raise MatcalcError("an exponent must be a number or a constant numeric expression", e.column)
