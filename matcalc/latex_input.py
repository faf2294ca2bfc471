"""LaTeX math -> matcalc's plain input language (SPEC §1), with a map back to the columns.

A tokenizer, tables of control words and one small recursive reader, so that a formula
pasted from a paper, or printed by printers/latex.py, reads as its plain form. A construct
outside the language is a MatcalcError that names it. Imports only matcalc.ir.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .ir import GREEK_LOWER, GREEK_UPPER, MatcalcError

GREEK = {name: name for name in GREEK_LOWER + GREEK_UPPER} | {"varepsilon": "epsilon", "vartheta": "theta", "varphi": "phi", "varrho": "rho",
              "varpi": "pi", "varsigma": "sigma"}

# Control words that are functions: LaTeX's own, and macros papers commonly define.
FUNCTIONS = {
    "exp": "exp", "log": "log", "ln": "log", "sin": "sin", "cos": "cos", "tan": "tan",
    "tanh": "tanh", "arcsin": "arcsin", "arccos": "arccos", "arctan": "arctan", "det": "det",
    "tr": "tr", "Tr": "tr", "trace": "tr", "diag": "diag", "sgn": "sign", "logdet": "logdet",
}

# Words that name a function in \operatorname{}, \mathrm{}, \text{} or written bare.
OPERATOR_NAMES = {name: name for name in (
    "tr det logdet inv diag sum vec exp log sin cos tan tanh arcsin arccos arctan sqrt abs "
    "sign sigmoid softplus relu step softmax log_softmax logsumexp norm2 kron ones zeros eye "
    "commutation"
).split()} | {"trace": "tr", "ln": "log", "sgn": "sign"}

# Commands whose argument is a name in some typeface (\vec is an arrow: still the name).
FONTS = {"mathbf", "boldsymbol", "bm", "pmb", "mathrm", "mathit", "mathsf", "mathnormal",
         "text", "textbf", "textit", "textrm", "textsf", "operatorname", "vec"}

BINARY = {"cdot": "*", "times": "*", "ast": "*", "div": "/", "odot": ".*", "circ": ".*",
          "oslash": "./", "otimes": "⊗", "coloneqq": "="}
CHAR_OPERATORS = {"+": "+", "-": "-", "*": "*", "/": "/", "=": "=", ",": ",", ";": ";",
                  ":": ":", "·": "*", "×": "*", "⊙": ".*", "∘": ".*", "⊗": "⊗"}

# Spacing, style and math-mode delimiters: they change how a formula looks, not what it is.
IGNORED = {",", ";", ":", "!", " ", ">", "quad", "qquad", "enspace", "thinspace", "displaystyle",
           "textstyle", "limits", "nolimits", "(", ")", "[", "]"}

SIZERS = {size + side for size in ("big", "Big", "bigg", "Bigg") for side in ("", "l", "r", "m")}
DELIMITERS = {"(": "(", "[": "(", ")": ")", "]": ")", ".": "", "|": "|", "‖": "‖",
              "\\|": "‖", "\\Vert": "‖", "\\vert": "|", "\\lVert": "‖", "\\rVert": "‖",
              "\\lvert": "|", "\\rvert": "|", "\\{": "(", "\\}": ")"}

TRANSPOSES = {("\\top",), ("\\intercal",), ("T",), ("\\prime",)}
# A bare run of letters that spells a Greek letter is that name (X beta), not b e t a.
SPELLED = set(GREEK.values()) | {"eps"}
SIZED = {"I": "eye", "1": "ones", "0": "zeros", "K": "commutation"}

HINTS = {
    "sum": " (sum(x) adds up the entries of x)",
    "partial": " (give the function itself and name the variable with --wrt)",
    "nabla": " (give the function itself and name the variable with --wrt)",
    "mathbb": r" (\mathbb{R} is read in a where clause: \text{where } A \in \mathbb{R}^{n \times n})",
    "in": r" outside a where clause (\text{where } A \in \mathbb{R}^{n \times n})",
}

MAX_DEPTH = 100  # groups within groups: deeper input is refused before Python's stack is

_CONTROL = re.compile(r"\\([A-Za-z]+|.)", re.S)
_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)")


def from_latex(text: str) -> tuple[str, list[int]]:
    """The plain form of a LaTeX formula, and for each of its characters the 1-based
    column of the LaTeX character it came from (an error at the end of the plain text
    belongs at the end of the LaTeX)."""
    reader = _Reader(text)
    reader.sequence()
    pieces = [(s, c) for s, c in reader.out if s]
    plain = "".join(s for s, _ in pieces)
    cols = [c for s, c in pieces for _ in s]
    start, stop = len(plain) - len(plain.lstrip()), len(plain.rstrip())
    return plain[start:stop], cols[start:stop]


def _layer_index(sig: tuple) -> bool:
    """^{(2)} or ^{[l]}: how papers number layers and samples, never a power."""
    return len(sig) == 3 and sig[0] in ("(", "[") and sig[2] in (")", "]") \
        and bool(re.fullmatch(r"\d+|[A-Za-z]", sig[1]))


@dataclass(frozen=True)
class Tok:
    kind: str  # "cmd", "char", "{", "}", "bar", "open" or "close"
    text: str  # control word without its backslash, the character, or the delimiter
    col: int   # 1-based column of its first character
    end: int   # 0-based index just past it


# A display's layout: aligned lines (as --format latex breaks a long result), its column
# marks and line ends, and a sign set apart at the start of a line ({-}). Blanked in place,
# so that every other character keeps its column.
_LAYOUT = re.compile(r"\\(begin|end)\{(aligned|split|gathered|multline\*?)\}(\[[tcb]\])?|\\\\|&|\{(?=[-+]\})|(?<=[-+])\}")


def _tokenize(text: str) -> list[Tok]:
    text = _LAYOUT.sub(lambda m: " " * len(m.group()), text)
    toks, i = [], 0
    while i < len(text):
        c = text[i]
        if c.isspace() or c in "$~":
            i += 1
        elif c == "\\":
            m = _CONTROL.match(text, i)
            if not m:
                raise MatcalcError("a lone backslash ends the formula", i + 1, text)
            toks.append(Tok("cmd", m.group(1), i + 1, m.end()))
            i = m.end()
        elif text.startswith("||", i):
            toks.append(Tok("bar", "‖", i + 1, i + 2))
            i += 2
        else:
            kind = {"{": "{", "}": "}", "|": "bar", "‖": "bar"}.get(c, "char")
            toks.append(Tok(kind, c, i + 1, i + 1))
            i += 1
    toks = _delimiters(toks, text)
    while toks and toks[-1].kind == "char" and toks[-1].text in ".,":  # a display's full stop
        toks.pop()
    return toks


def _delimiter(t: Tok) -> str | None:
    key = "\\" + t.text if t.kind == "cmd" else t.text
    return DELIMITERS.get(key) if t.kind in ("cmd", "char", "bar") else None


def _delimiters(toks: list[Tok], text: str) -> list[Tok]:
    """\\left( and \\bigl( open, \\right) and \\bigr) close, \\big( is a plain (; \\| and
    \\Vert are norm bars, \\lVert opens one; \\{ \\} are parentheses."""
    out, i = [], 0
    while i < len(toks):
        t = toks[i]
        if _is(t, "cmd", "left", "right", *SIZERS):
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            d = _delimiter(nxt) if nxt else None
            if d is None:
                what = f"{text[t.col - 1:nxt.end]} is not part of matcalc's language" if nxt \
                    else f"\\{t.text} needs a delimiter after it"
                raise MatcalcError(what, t.col, text)
            side = "open" if t.text == "left" or t.text.endswith("l") else \
                "close" if t.text == "right" or t.text.endswith("r") else None
            if side is None:  # \big( is a ( in a larger size
                i += 1
                continue
            if d in ("(", ")"):
                d = "(" if side == "open" else ")"
            out.append(Tok(side, d, t.col, nxt.end))
            i += 2
            continue
        d = _delimiter(t) if t.kind == "cmd" else None
        if d is not None:  # \| \Vert \lVert \rVert \vert \lvert \rvert \{ \}
            kind = "open" if t.text in ("lVert", "lvert") else "close" if t.text in ("rVert", "rvert") \
                else "char" if d in ("(", ")") else "bar"
            t = Tok(kind, d, t.col, t.end)
        out.append(t)
        i += 1
    return out


def _match_braces(toks: list[Tok], text: str) -> dict[int, int]:
    match, stack = {}, []
    for i, t in enumerate(toks):
        if t.kind == "{":
            stack.append(i)
        elif t.kind == "}":
            if not stack:
                raise MatcalcError("} closes no {", t.col, text)
            match[stack.pop()] = i
    if stack:
        raise MatcalcError("{ is not closed", toks[stack[-1]].col, text)
    return match


def _is(t: Tok | None, kind: str, *texts: str) -> bool:
    return t is not None and t.kind == kind and (not texts or t.text in texts)


def _opening(t: Tok | None) -> str | None:
    """The group a token opens at an operand: "(" parentheses, "|" abs, "‖" norm."""
    if _is(t, "char", "(", "["):
        return "("
    if _is(t, "open") or _is(t, "bar"):
        return t.text or "("
    return None


def _starts_operand(t: Tok | None) -> bool:
    return t is not None and (_opening(t) is not None or t.kind == "{"
                              or t.kind == "cmd" and t.text not in BINARY
                              or t.kind == "char" and (t.text.isalnum() or t.text == "."))


def _closes(kind: str):
    if kind == "(":
        return lambda t: _is(t, "char", ")", "]") or _is(t, "close", ")", "")
    return lambda t: t.kind in ("bar", "close") and t.text == kind


class _Reader:
    """Reads tokens left to right, writing plain text pieces, each with its column."""

    def __init__(self, text: str):
        self.text = text
        self.toks = _tokenize(text)
        self.brace = _match_braces(self.toks, text)
        self.i, self.end = 0, len(self.toks)
        self.out: list[tuple[str, int]] = []
        self.glue = True              # the next operand needs no space before it
        self.expect_operand = True    # so a - here is a negation
        self.depth = 0
        self.where = self.declaring = False

    # -- tokens and output -------------------------------------------------------------
    def peek(self) -> Tok | None:
        """The next significant token: spacing commands are skipped."""
        while self.i < self.end and _is(self.toks[self.i], "cmd", *IGNORED):
            self.i += 1
        return self.toks[self.i] if self.i < self.end else None

    def take(self) -> Tok:
        t = self.peek()
        self.i += 1
        return t

    def error(self, message: str, col: int) -> MatcalcError:
        return MatcalcError(message, col, self.text)

    def raw(self, a: int, b: int) -> str:
        return self.text[self.toks[a].col - 1:self.toks[b - 1].end]

    def put(self, text: str, col: int):
        self.out.append((text, col))

    def begin(self, col: int):
        """Start an operand: a space sets it apart from the one before (a product)."""
        if not self.glue and self.out and not self.out[-1][0].endswith((" ", "(", "{", "^")):
            self.put(" ", col)
        self.glue = False

    # -- sequences -----------------------------------------------------------------------
    def sequence(self, stop=None) -> int:
        """Translate up to `stop` (or the end); returns how many operands and operators."""
        n = 0
        while (t := self.peek()) is not None and not (stop and stop(t)):
            n += self.item(t)
        return n

    def deeper(self, col: int):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"formula nested too deeply (more than {MAX_DEPTH} levels)", col)

    def run(self, a: int, b: int) -> int:
        """Translate toks[a:b], a script or an argument, as a sequence of its own."""
        saved = self.i, self.end
        self.i, self.end = a, b
        self.deeper(self.toks[a].col if a < b else 1)
        self.expect_operand, self.glue = True, True
        n = self.sequence()
        self.depth -= 1
        self.i, self.end = saved
        return n

    def wrapped(self, a: int, b: int, col: int):
        """toks[a:b] as one operand: in parentheses unless it is one already."""
        mark = len(self.out)
        if self.run(a, b) != 1:
            self.out.insert(mark, ("(", col))
            self.put(")", col)

    def enclosed(self, opener: Tok) -> Tok:
        """The inside of (...), |...| or ‖...‖; returns the closer, consumed."""
        self.deeper(opener.col)
        self.expect_operand, self.glue = True, True
        self.sequence(_closes(_opening(opener)))
        self.depth -= 1
        if self.peek() is None:
            raise self.error(f"{self.text[opener.col - 1:opener.end]} is not closed", opener.col)
        return self.take()

    def arg(self, t: Tok, what: str = "") -> tuple[int, int]:
        """A command's or a script's argument, as a token range: a braced group, a font
        command with its group, or one token (leniently -1 and (1/2) for ^-1 and ^(1/2))."""
        nxt = self.peek()
        if nxt is None or nxt.kind == "}":
            raise self.error(what or f"{self.text[t.col - 1:t.end]} needs an argument", t.col)
        a = self.i
        if nxt.kind == "{":
            self.i = self.brace[a] + 1
            return a + 1, self.i - 1
        self.i += 1
        if _is(nxt, "cmd", *FONTS) or _is(nxt, "char", "-", "+"):
            self.arg(nxt)
        elif _is(nxt, "char", "(") and _is(t, "char", "^"):
            depth = 1
            while depth and self.i < self.end:
                x = self.toks[self.i]
                depth += 1 if _is(x, "char", "(") else -1 if _is(x, "char", ")") else 0
                self.i += 1
            if depth:
                raise self.error("( is not closed", nxt.col)
            return a + 1, self.i - 1
        return a, self.i

    def signature(self, a: int, b: int) -> tuple[str, ...]:
        """A script's tokens without fonts, braces and spacing: ^{-\\mathsf{T}} is ('-', 'T')."""
        return tuple("\\" + t.text if t.kind == "cmd" else t.text for t in self.toks[a:b]
                     if t.kind not in ("{", "}") and not _is(t, "cmd", *FONTS, *IGNORED))

    def word(self, a: int, b: int) -> list[tuple[str, int]] | None:
        """toks[a:b] as the letters of one name (letters, digits, \\_, Greek), or None."""
        pieces = []
        for t in self.toks[a:b]:
            if t.kind == "char" and (t.text.isalnum() or t.text == "_"):
                pieces.append((t.text, t.col))
            elif _is(t, "cmd", *GREEK):
                pieces.append((GREEK[t.text], t.col))
            elif _is(t, "cmd", "_"):
                pieces.append(("_", t.col))
            elif t.kind not in ("{", "}") and not _is(t, "cmd", *FONTS, *IGNORED):
                return None
        return pieces or None

    def letters_at(self, i: int) -> int:
        """The end of the run of adjacent letters and digits that starts at toks[i]."""
        j = i
        while j < self.end and self.toks[j].kind == "char" and self.toks[j].text.isalnum() \
                and (j == i or self.toks[j].col == self.toks[j - 1].end + 1):
            j += 1
        return j

    # -- items -----------------------------------------------------------------------------
    def item(self, t: Tok) -> int:
        if self.declaring:
            return self.declaration(t)
        if self.at_where(t):
            return 0
        op = BINARY.get(t.text) if t.kind == "cmd" else CHAR_OPERATORS.get(t.text) if t.kind == "char" \
            else None
        if _is(t, "cmd", "in"):
            if not self.where:
                raise self.error(r"\in is not part of matcalc's language" + HINTS["in"], t.col)
            op = ":"
        if op is None:
            return self.operand()
        self.i += 1
        self.operator(op, t)
        return 1

    def operator(self, op: str, t: Tok):
        if op in "+-" and self.expect_operand:
            self.begin(t.col)
            self.put(op, t.col)
            self.glue = True
            return
        if self.expect_operand and op not in ",;":
            raise self.error(f"{self.text[t.col - 1:t.end]} needs an operand on each side", t.col)
        if op == ":" and _is(self.peek(), "char", "="):  # h := tanh(W x)
            self.i += 1
            op = "="
        if op in ",;" and self.where and self.depth == 0:
            op = ";"
        self.put(f"{op} " if op in ",;:" else f" {op} ", t.col)
        self.declaring = op == ":" and self.where
        self.expect_operand = True

    def at_where(self, t: Tok) -> bool:
        """`\\text{where}` or a bare `where` starts the where clause."""
        if _is(t, "cmd", *FONTS) and _is(self.toks[self.i + 1] if self.i + 1 < self.end else None, "{"):
            a, b = self.i + 2, self.brace[self.i + 1]
        elif t.kind == "char" and t.text.isalpha():
            a, b = self.i, self.letters_at(self.i)
        else:
            return False
        w = self.word(a, b)
        if w is None or "".join(s for s, _ in w) != "where":
            return False
        self.i = b + (t.kind == "cmd")
        self.put(" where ", t.col)
        self.where, self.expect_operand, self.glue = True, True, True
        return True

    def declaration(self, t: Tok) -> int:
        """A shape after `:` or \\in: words, `x` for \\times, \\mathbb{R} as R, the rest as is."""
        self.i += 1
        if t.kind == "char" and t.text in ",;" and self.depth == 0:
            self.put("; ", t.col)
            self.declaring = False
        elif _is(t, "cmd", *FONTS, "mathbb"):
            w = self.word(*self.arg(t)) or []
            self.begin(t.col)
            self.put("".join(s for s, _ in w), t.col)
        elif _is(t, "cmd", "times") or _is(t, "char", "×"):
            self.begin(t.col)
            self.put("x", t.col)
        elif t.kind == "char" and t.text.isalnum():
            a, self.i = self.i - 1, self.letters_at(self.i - 1)
            self.begin(t.col)
            self.put(self.raw(a, self.i), t.col)
        elif t.kind == "cmd":
            raise self.error(f"\\{t.text} is not part of a declaration", t.col)
        else:
            self.depth += {"(": 1, ")": -1}.get(t.text, 0)
            self.put(t.text, t.col)
        return 1

    # -- operands --------------------------------------------------------------------------
    def operand(self) -> int:
        n = self.atom()
        self.postfix()
        self.expect_operand = False
        return n

    def atom(self) -> int:
        t = self.peek()
        kind = _opening(t)
        if kind is not None:
            self.begin(t.col)
            self.i += 1
            if kind == "‖":
                return self.norm(t)
            self.put({"|": "det(" if self.bars_a_matrix() else "abs("}.get(kind, "("), t.col)
            self.put(")", self.enclosed(t).col)
            return 1
        if t.kind == "{":
            self.begin(t.col)
            a, b = self.arg(t)
            self.wrapped(a, b, t.col)
            return 1
        if t.kind == "cmd":
            return self.command(t)
        if t.kind == "char" and (t.text.isdigit() or t.text == "." and self.adjacent_digit(self.i + 1)):
            return self.number()
        if t.kind == "char" and t.text.isalpha():
            return self.letters(t)
        self.i += 1  # anything else goes through; the parser says what is wrong with it
        self.begin(t.col)
        self.put(t.text or ")", t.col)
        return 1

    def adjacent_digit(self, j: int) -> bool:
        return j < self.end and self.toks[j].kind == "char" and self.toks[j].text.isdigit() \
            and self.toks[j].col == self.toks[j - 1].end + 1

    def number(self) -> int:
        a = self.i
        self.i += 1
        while self.adjacent_digit(self.i) or self.i < self.end and _is(self.toks[self.i], "char", ".") \
                and self.adjacent_digit(self.i + 1):
            self.i += 1
        self.i = self.exponent(self.i)
        self.begin(self.toks[a].col)
        self.put(self.raw(a, self.i), self.toks[a].col)
        return 1

    def exponent(self, j: int) -> int:
        """Past `e5`, `e-3` or `E+12` written right after a number's digits (1e301 is one
        number, which the parser then judges, never 1 times a name e301)."""
        def touching(k: int) -> bool:
            return k < self.end and self.toks[k].col == self.toks[k - 1].end + 1

        if not (touching(j) and self.toks[j].kind == "char" and self.toks[j].text in ("e", "E")):
            return j
        k = j + 1
        if touching(k) and self.toks[k].kind == "char" and self.toks[k].text in "+-":
            k += 1
        if not self.adjacent_digit(k):
            return j
        while self.adjacent_digit(k):
            k += 1
        return k

    def letters(self, t: Tok) -> int:
        """Bare letters are one name each, as LaTeX sets them (`Ax` is A x); digits stay
        with the letter before them (W1); a function's name is that function."""
        a, b = self.i, self.letters_at(self.i)
        text = self.raw(a, b)
        self.i = b
        if text in OPERATOR_NAMES:
            return self.apply(OPERATOR_NAMES[text], t)
        units: list[list[tuple[str, int]]] = []
        for x in self.toks[a:b]:
            if x.text.isalpha() and (not units or text.rstrip("0123456789") not in SPELLED):
                units.append([])
            units[-1].append((x.text, x.col))
        for unit in units[:-1]:
            self.begin(unit[0][1])
            for s, c in unit:
                self.put(s, c)
        return len(units) - 1 + self.name(units[-1])

    def command(self, t: Tok) -> int:
        name = t.text
        if name in GREEK:
            self.i += 1
            nxt = self.peek()  # σ(z) is the sigmoid, σ \cdot (z) a product; σ (z) could be either
            if name == "sigma" and _opening(nxt) == "(":
                if nxt.col - 1 != t.end and not _is(self.toks[self.i - 1] if self.i else None, "cmd", "!") \
                        and not re.fullmatch(r"(\\!)*", self.text[t.end:nxt.col - 1]):
                    raise self.error("\\sigma before a parenthesis is ambiguous: write \\sigma(z) for the "
                                     "sigmoid or \\sigma \\cdot (z) for a product", t.col)
                return self.apply("sigmoid", t)
            return self.name([(GREEK[name], t.col)])
        if name in FUNCTIONS:
            self.i += 1
            return self.apply(FUNCTIONS[name], t)
        if name in FONTS:
            return self.font(t)
        if name in ("frac", "dfrac", "tfrac"):
            return self.frac(t)
        if name == "sqrt":
            return self.sqrt(t)
        raise self.error(f"\\{name} is not part of matcalc's language{HINTS.get(name, '')}", t.col)

    def font(self, t: Tok) -> int:
        """\\mathbf{x}, \\boldsymbol{\\mu}, \\mathit{eps}: the name inside; \\operatorname{tr}
        and \\mathrm{tr}: the function; \\mathbf{1}_n and \\mathbf{0}_n: ones and zeros."""
        start = self.i
        self.i += 1
        a, b = self.arg(t)
        w = self.word(a, b)
        text = "".join(s for s, _ in w) if w else ""
        fn = OPERATOR_NAMES.get(text) or OPERATOR_NAMES.get(text.lower())
        if fn:
            return self.apply(fn, t)
        if t.text == "operatorname":
            raise self.error(f"{self.raw(start, self.i)} is not part of matcalc's language", t.col)
        if text == "1" and not _is(self.peek(), "char", "_"):  # 𝟏 as papers write it: its size inferred
            self.begin(t.col)
            self.put("𝟙", t.col)
            return 1
        if text in ("1", "0"):
            if not _is(self.peek(), "char", "_"):
                what = "ones" if text == "1" else "zeros"
                raise self.error(f"{self.raw(start, self.i)} has no size that can be read back: "
                                 f"write {self.raw(start, self.i)}_{{n}} or {what}(n)", t.col)
            return self.name(w)
        if text.isdigit():
            self.begin(t.col)
            self.put(text, w[0][1])
            return 1
        if w and text[0].isalpha():
            return self.name(w)
        self.begin(t.col)
        self.wrapped(a, b, t.col)
        return 1

    def name(self, pieces: list[tuple[str, int]]) -> int:
        """A name and its subscript: x_{i} is x_i, W_1 is W1; I_n is eye(n), K_{m,n} is
        commutation(m, n), \\mathbf{1}_n is ones(n)."""
        base, col = "".join(s for s, _ in pieces), pieces[0][1]
        t = self.peek()
        if _is(t, "char", "_"):
            self.i += 1
            a, b = self.arg(t)
            comma = any(_is(x, "char", ",") for x in self.toks[a:b])
            if base in ("I", "1", "0") or (base == "K" and comma):
                return self.sized(SIZED[base], a, b, col)
            sub = self.word(a, b)
            if sub is None:
                raise self.error(f"the subscript _{{{self.raw(a, b)}}} of {base} is not part of matcalc's "
                                 f"language (a name's subscript is letters and digits)", t.col)
            if not all(s.isdigit() for s, _ in sub):
                sub = [("_", t.col)] + sub
            pieces = pieces + sub
        self.begin(col)
        for s, c in pieces:
            self.put(s, c)
        return 1

    def sized(self, fn: str, a: int, b: int, col: int) -> int:
        """eye(n), ones(m, n), commutation(m, n) from the sizes in a subscript; a product of
        sizes is written m*q, m q or m \\cdot q; \\times separates the sizes of ones and zeros."""
        dims: list[list[tuple[str, int]]] = [[]]
        for j in range(a, b):
            t = self.toks[j]
            times = _is(t, "cmd", "times") or _is(t, "char", "×")
            if _is(t, "char", ",") or times and fn in ("ones", "zeros"):
                dims.append([])
            elif t.kind == "char" and t.text.isalnum():
                if dims[-1] and dims[-1][-1][0] != "*" and t.col != self.toks[j - 1].end + 1:
                    dims[-1].append(("*", t.col))
                dims[-1].append((t.text, t.col))
            elif _is(t, "char", "*") or _is(t, "cmd", "cdot") or times:
                dims[-1].append(("*", t.col))
            elif t.kind in ("{", "}") or _is(t, "cmd", *FONTS, *IGNORED):
                continue
            else:
                raise self.error(f"{self.raw(a, b)} is not a size", t.col)
        if not all(dims) or len(dims) > (1 if fn == "eye" else 2) or (fn == "commutation" and len(dims) != 2):
            raise self.error(f"_{{{self.raw(a, b) if a < b else ''}}} is not a size for {fn}", col)
        self.begin(col)
        self.put(fn + "(", col)
        for k, dim in enumerate(dims):
            if k:
                self.put(", ", dim[0][1])
            for s, c in dim:
                self.put(s, c)
        self.put(")", col)
        return 1

    def bars_a_matrix(self) -> bool:
        """|A|, |Σ|: bars around one uppercase name are a determinant in papers;
        around anything else, an absolute value."""
        inside = self.toks[self.i:self.i + 4]
        names = [t for t in inside[:3] if t.kind in ("cmd", "char") and t.text not in FONTS]
        first = names[0] if names else None
        closing = next((k for k, t in enumerate(inside) if _opening(t) == "|" or t.kind == "bar"), None)
        if first is None or closing is None or closing > 3:
            return False
        word = first.text
        return (word[:1].isupper() and word.isalpha() and (len(word) == 1 or word in GREEK)) \
            and all(t.kind in ("cmd", "char", "{", "}") and (t.text in FONTS or t is first or t.kind in "{}")
                    for t in inside[:closing])

    def apply(self, fn: str, t: Tok) -> int:
        """fn applied to (...), to {...}, or without parentheses to the next operand:
        \\log x, \\det S^{-1}, \\operatorname{tr} A. \\log\\det S and \\log|S| are logdet."""
        power = None
        if _is(self.peek(), "char", "^"):  # \sin^2 x
            caret = self.take()
            power = (*self.arg(caret), caret)
            if self.signature(*power[:2]) == ("-", "1"):  # \sin^{-1} x is arcsin x, not 1/sin x
                if fn not in ("sin", "cos", "tan"):
                    raise self.error(f"{self.text[t.col - 1:t.end]}^{{-1}} is ambiguous: write the inverse "
                                     f"function by name, or 1/{fn}(...) for the reciprocal", t.col)
                fn, power = "arc" + fn, None
        nxt = self.peek()
        if fn == "log" and _is(nxt, "cmd", "det"):
            fn, self.i = "logdet", self.i + 1
            nxt = self.peek()
        elif fn == "log" and _opening(nxt) == "|":  # |S| is the determinant, as in papers
            fn = "logdet"
        if not _starts_operand(nxt):
            raise self.error(f"{self.text[t.col - 1:t.end]} needs an argument", t.col)
        self.begin(t.col)
        self.put(fn + "(", t.col)
        if _opening(nxt) == "(" or fn == "logdet" and _opening(nxt) == "|":
            self.i += 1
            self.put(")", self.enclosed(nxt).col)
        elif _is(nxt, "{"):
            a, b = self.arg(t)
            self.run(a, b)
            self.put(")", self.toks[b].col)
        else:
            self.glue = True
            self.deeper(t.col)
            self.operand()
            self.depth -= 1
            self.put(")", t.col)
        if power:
            self.superscript(*power)
        return 1

    def frac(self, t: Tok) -> int:
        self.i += 1
        top = self.arg(t, rf"\{t.text} needs two arguments")
        bottom = self.arg(t, rf"\{t.text} needs two arguments")
        self.begin(t.col)
        self.put("(", t.col)
        self.glue = True
        self.wrapped(*top, t.col)
        self.put("/", t.col)
        self.glue = True
        self.wrapped(*bottom, t.col)
        self.put(")", t.col)
        return 1

    def sqrt(self, t: Tok) -> int:
        """\\sqrt{x} is sqrt(x); \\sqrt[k]{x} is x^(1/k)."""
        self.i += 1
        index = None
        if _is(self.peek(), "char", "["):
            a = self.i + 1
            while self.i < self.end and not _is(self.toks[self.i], "char", "]"):
                self.i += 1
            index, self.i = (a, self.i), self.i + 1
        a, b = self.arg(t)
        self.begin(t.col)
        self.put("sqrt(" if index is None else "(", t.col)
        self.run(a, b)
        if index is not None:
            self.put(")^(1/", t.col)
            self.glue = True
            self.wrapped(*index, t.col)
        self.put(")", t.col)
        return 1

    def norm(self, t: Tok) -> int:
        """‖x‖, ‖x‖_2 and ‖X‖_F are norm2; ‖x‖_1 is sum(abs(x)); a script may follow in
        either order (‖x‖_2^2, ‖x‖^2_2)."""
        mark = len(self.out)
        self.put("norm2(", t.col)
        close = self.enclosed(t)
        sub = sup = None
        if _is(self.peek(), "char", "_"):
            sub = self.arg(self.take())
        elif _is(self.peek(), "char", "^"):
            saved = self.i
            caret = self.take()
            sup = (*self.arg(caret), caret)
            if _is(self.peek(), "char", "_"):
                sub = self.arg(self.take())
            else:
                self.i, sup = saved, None
        if sub is not None:
            sig = self.signature(*sub)
            if sig == ("1",):
                self.out[mark] = ("sum(abs(", t.col)
                self.put(")", close.col)
            elif sig not in (("2",), ("F",)):
                raise self.error(f"the norm subscript _{{{self.raw(*sub)}}} is not part of "
                                 f"matcalc's language (_2, _F and _1 are)", self.toks[sub[0]].col)
        self.put(")", close.col)
        if sup is not None:
            self.superscript(*sup)
        return 1

    # -- postfix -----------------------------------------------------------------------------
    def postfix(self):
        while (t := self.peek()) is not None:
            if _is(t, "char", "'"):
                self.i += 1
                self.put("'", t.col)
            elif _is(t, "char", "^"):
                self.i += 1
                self.superscript(*self.arg(t), t)
            elif _is(t, "char", "_"):
                raise self.error("a subscript goes on a name (x_{i}, W_1) or a norm (‖x‖_2)", t.col)
            else:
                return

    def superscript(self, a: int, b: int, caret: Tok):
        """^\\top, ^T, ^{\\intercal}: transpose; ^{-\\top}: inverse transpose; ^{\\circ k}:
        entrywise power; anything else is a power."""
        sig = self.signature(a, b)
        tail = "".join(text for text, _ in self.out[-4:])
        if _layer_index(sig) and re.search(r"(?<![A-Za-z0-9_.])[A-Za-z][A-Za-z0-9_]*$", tail):
            index = sig[1]  # W^{(2)}, x^{[i]}: a layer or sample index, part of the name
            self.put(index if index.isdigit() else "_" + index, caret.col)
        elif sig in TRANSPOSES:
            self.put("'", caret.col)
        elif sig[:1] == ("-",) and sig[1:] in TRANSPOSES:
            self.put("^-T", caret.col)
        elif sig[:1] in (("\\circ",), ("\\odot",)):
            first = next(j for j in range(a, b) if _is(self.toks[j], "cmd", "circ", "odot"))
            self.power(" .^ ", first + 1, b, caret)
        else:
            self.power("^", a, b, caret)

    def power(self, op: str, a: int, b: int, caret: Tok):
        k = "".join(self.signature(a, b))
        if not k:
            raise self.error("this power has no exponent", caret.col)
        if _NUMBER.fullmatch(k):
            self.put(op + k, caret.col)
            return
        self.put(op + "(", caret.col)
        self.run(a, b)
        self.put(")", caret.col)
