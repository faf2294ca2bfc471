"""How wide the LaTeX that printers/latex.py writes is set, in points, without running TeX.

An estimate from Computer Modern's 10 pt glyph widths over the small subset of LaTeX the
printers emit, on the generous side, so that a line the layout accepts fits the page.
tests/test_latex.py holds it to pdflatex's own measurements. Imports nothing of matcalc.
"""
from __future__ import annotations

import re
from functools import lru_cache

# Glyph widths (pt) of cmmi10 (italic letters), cmr10 (upright), cmbx10 (bold).
_ITALIC = dict(zip("abcdefghijklmnopqrstuvwxyz",
                   [5.3, 4.3, 4.4, 5.2, 4.7, 4.9, 4.8, 5.8, 3.5, 4.2, 5.3, 3.0, 8.8,
                    6.0, 4.9, 5.1, 4.5, 4.6, 4.7, 3.7, 5.8, 4.9, 7.2, 5.8, 4.9, 4.7]))
_ITALIC.update(dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                        [7.5, 7.6, 7.2, 8.3, 7.4, 6.5, 7.9, 8.3, 4.4, 5.7, 8.5, 6.8, 9.7,
                         8.1, 7.6, 6.5, 7.9, 7.6, 6.2, 5.9, 6.9, 5.9, 9.5, 8.3, 5.9, 6.9])))
_ROMAN = dict(zip("abcdefghijklmnopqrstuvwxyz",
                  [5.0, 5.6, 4.4, 5.6, 4.4, 3.1, 5.0, 5.6, 2.8, 3.1, 5.3, 2.8, 8.3,
                   5.6, 5.0, 5.6, 5.3, 3.9, 4.0, 3.9, 5.6, 5.3, 7.2, 5.3, 5.3, 4.4]))
_ROMAN.update(dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                       [7.5, 7.1, 7.2, 7.6, 6.8, 6.5, 7.9, 7.5, 3.6, 5.1, 7.8, 6.3, 9.2,
                        7.5, 7.8, 6.8, 7.8, 7.4, 5.6, 7.2, 7.5, 7.5, 10.3, 7.5, 7.5, 6.1])))
_ROMAN.update({d: 5.0 for d in "0123456789"})
_ROMAN.update({"(": 3.9, ")": 3.9, "[": 2.8, "]": 2.8, ",": 2.8, ".": 2.8, ":": 2.8, ";": 2.8,
               "/": 5.0, "'": 2.8, "-": 3.3, " ": 3.3, "|": 2.8})
_BOLD = {c: 1.15 * w for c, w in _ROMAN.items()}

_BIN, _REL = 2.3, 2.8  # medmuskip, thickmuskip: the space on each side of + and of =
_SYMBOLS = {  # control word -> (width, spacing class)
    "top": (7.8, ""), "circ": (5.0, "bin"), "odot": (7.8, "bin"), "otimes": (7.8, "bin"),
    "cdot": (2.8, "bin"), "times": (7.8, "bin"), "partial": (5.7, ""), "|": (5.0, ""),
    "nabla": (8.4, ""), "to": (10.0, "rel"), "implies": (16.7, "rel"), "ldots": (11.7, ""),
    "cdots": (11.7, ""), "quad": (10.0, ""), "qquad": (20.0, ""), ",": (1.7, ""), ";": (2.8, ""),
    ":": (2.2, ""), " ": (3.3, ""), "!": (-1.7, ""), "enspace": (5.0, ""), "circ ": (5.0, "bin"),
    "langle": (3.9, ""), "rangle": (3.9, ""), "oslash": (7.8, "bin"), "sum": (14.4, ""),
    "epsilon": (4.1, ""), "top ": (7.8, ""), "ell": (4.2, ""),
}
_GREEK = 6.2  # a Greek letter, lowercase or uppercase, on average
_DELIMITER = {"left": 4.6, "right": 4.6, "bigl": 4.6, "bigr": 4.6, "Bigl": 5.9, "Bigr": 5.9,
              "biggl": 7.4, "biggr": 7.4, "Biggl": 8.1, "Biggr": 8.1}
_OPERATORS = {"log", "exp", "det", "sin", "cos", "tan", "tanh", "arcsin", "arccos", "arctan", "max", "min"}

_TOKEN = re.compile(r"\\([A-Za-z]+|.)|([{}^_&])|(\s+)|(.)", re.S)


@lru_cache(maxsize=8192)
def width(latex: str) -> float:
    """The estimated width, in points, of `latex` set as display math at 10 pt."""
    return _Reader(latex).run()


class _Reader:
    def __init__(self, text: str):
        self.toks = [m for m in _TOKEN.finditer(text)]
        self.i = 0

    def run(self) -> float:
        return self.seq(top=True)

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def group(self, font=_ITALIC) -> float:
        """A {...} group, or the single token after a command (x in ^x)."""
        while (t := self.peek()) is not None and t.group(3):
            self.i += 1
        t = self.peek()
        if t is None:
            return 0.0
        if t.group(2) == "{":
            self.i += 1
            return self.seq(font=font)
        return self.atom(font)

    def raw_group(self) -> str:
        """The text of a {...} group, unread (a font's argument read as letters)."""
        t = self.take()
        if t.group(2) != "{":
            return t.group(0)
        depth, parts = 1, []
        while self.i < len(self.toks):
            t = self.take()
            if t.group(2) == "{":
                depth += 1
            elif t.group(2) == "}":
                depth -= 1
                if depth == 0:
                    break
            parts.append(t.group(0))
        return "".join(parts)

    def seq(self, font=_ITALIC, top=False) -> float:
        total, last_script = 0.0, 0.0
        while (t := self.peek()) is not None:
            if t.group(2) == "}":
                self.i += 1
                if not top:
                    break
                continue
            if t.group(2) in ("^", "_"):
                self.i += 1
                w = 0.72 * self.group() + 0.5
                # a sub- and a superscript stack: the wider counts
                if last_script:
                    total += max(0.0, w - last_script)
                    last_script = 0.0
                else:
                    total += w
                    last_script = w
                continue
            last_script = 0.0
            if t.group(2) == "&" or t.group(3):
                self.i += 1
                continue
            total += self.atom(font)
        return total

    def atom(self, font=_ITALIC) -> float:
        t = self.take()
        if t.group(2) == "{":
            return self.seq(font=font)
        if t.group(4) is not None:
            ch = t.group(4)
            if ch in "+=<>":
                return 7.8 + 2 * (_REL if ch in "=<>" else _BIN)
            if ch == "-":
                return 7.8 + 2 * _BIN
            if ch in font:
                return font[ch]
            return _ROMAN.get(ch, 5.5)
        word = t.group(1)
        if word is None:
            return 0.0
        if word in ("mathrm", "operatorname", "text", "textrm", "mathit", "textit"):
            letters = self.raw_group()
            inner = _Reader(letters).seq(font=_ITALIC if word in ("mathit", "textit") else _ROMAN, top=True)
            return inner + (3.4 if word == "operatorname" else 0.0)
        if word in ("mathbf", "boldsymbol", "textbf"):
            return 1.12 * self.group(font=_BOLD)
        if word in ("frac", "dfrac"):
            return max(self.group(), self.group()) + 2.4
        if word == "sqrt":
            return 8.4 + self.group()
        if word in _DELIMITER:
            if self.peek() is not None:
                self.take()  # the delimiter itself
            return _DELIMITER[word]
        if word in ("begin", "end"):
            self.raw_group()
            return 0.0
        if word == "hspace":
            return _length(self.raw_group())
        if word in ("tag", "label"):
            self.raw_group()
            return 0.0
        if word in _OPERATORS:
            return sum(_ROMAN.get(c, 5.0) for c in word) + 1.7
        if word in _SYMBOLS:
            w, kind = _SYMBOLS[word]
            return w + (2 * _BIN if kind == "bin" else 2 * _REL if kind == "rel" else 0.0)
        if word == "\\":
            return 0.0
        if len(word) > 1 and word.isalpha():
            return _GREEK
        return 5.0


def _length(text: str) -> float:
    m = re.fullmatch(r"\s*(-?[\d.]+)\s*(pt|em)\s*", text)
    if not m:
        return 0.0
    return float(m.group(1)) * (10.0 if m.group(2) == "em" else 1.0)
