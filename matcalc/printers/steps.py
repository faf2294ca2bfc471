"""The chain-rule trace printed: text (ASCII that parses back, or Unicode), LaTeX, JSON rows.

Pure views of a trace.Trace: every decision (parentheses, wording) is read from its IR.
Imports ir and the other printers; trace only for type hints.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import ir
from . import latex as tex
from .common import definitions, unsized_identities
from .latex import to_latex
from .texwidth import width
from .numpy import py_name, to_numpy
from .text import to_text, to_text_where

if TYPE_CHECKING:
    from ..trace import Edge, Lhs, Trace, TraceStep

LONG = 18  # nodes in p and u from which a chain line says "local Jacobian": step k shows p


def _is_name(e: ir.Expr) -> bool:
    return isinstance(e, (ir.Sym, ir.Ref))


def _nodes(e: ir.Expr) -> int:
    return ir.tree_size(e, LONG)


class _Text:
    """The input language: ASCII parses back; Unicode is for the terminal."""

    def __init__(self, unicode: bool = False):
        self.unicode = unicode
        self.T, self.times = ("ᵀ", "×") if unicode else ("'", "x")
        self.symbols = {"∂": "∂" if unicode else "d", "d": "d"}

    def expr(self, e: ir.Expr) -> str:
        return to_text(e, self.unicode)

    def where(self, e: ir.Expr) -> str:
        return to_text_where(e, self.unicode)

    def of(self, e: ir.Expr) -> str:
        return self.expr(e) if _is_name(e) else f"({self.expr(e)})"

    def vec(self, e: ir.Expr) -> str:
        return f"vec({self.expr(e)})"

    def d(self, symbol: str, operand: str | None) -> str:
        return self.symbols[symbol] + ("f" if operand is None else operand)

    def frac(self, top: str, bottom: str) -> str:
        return f"{top}/{bottom}"

    def row(self, by: ir.Expr) -> str:
        return self.T

    def symmetric(self, lhs: Lhs, text: str) -> str:
        return f"{text} (symmetric)"

    def shape(self, shape: ir.Shape) -> str:
        return "scalar" if shape == ir.SCALAR else f" {self.times} ".join(map(str, ir.dims_json(shape)))


class _Latex:
    """amsmath: \\frac for derivatives, ^{\\top} for a row; definitions by name (a trace
    states them once), the direction dX set as \\mathrm{d}X, f as the function's letter."""

    T = r"^{\top}"
    symbols = {"∂": r"\partial", "d": r"\mathrm{d}"}

    def __init__(self, f: str = "f", printer: "_TracePrinter | None" = None):
        self.f, self.printer = f, printer or _TracePrinter({}, frozenset())

    def expr(self, e: ir.Expr) -> str:
        return tex.flat(self.printer.top(e))

    def of(self, e: ir.Expr) -> str:
        """u, or (u) when u is not one name (a definition's body is written as its name)."""
        text = self.expr(e)
        return text if _is_name(e) or tex.is_name(text) else rf"\left({text}\right)"

    def vec(self, e: ir.Expr) -> str:
        """vec of a matrix or a vector; a scalar is its own vec."""
        if e.shape == ir.SCALAR:
            return self.of(e)
        return rf"\operatorname{{vec}}\left({self.expr(e)}\right)"

    def d(self, symbol: str, operand: str | None) -> str:
        operand = self.f if operand is None else operand
        return self.symbols[symbol] + ("" if operand.startswith("\\left") else " ") + operand

    def row(self, by: ir.Expr) -> str:
        """A scalar is its own transpose: ∂p/∂s, never ∂p/∂sᵀ."""
        return "" if by.shape == ir.SCALAR else self.T

    def frac(self, top: str, bottom: str) -> str:
        return rf"\frac{{{top}}}{{{bottom}}}"

    def symmetric(self, lhs: Lhs, text: str) -> str:
        return rf"\nabla_{{{self.expr(lhs.by)}}} {self.f}"


def left_side(lhs: Lhs, fmt) -> str:
    """∂f/∂(u), d(u), d(u)/dt, ∂vec(F)/∂vec(X)ᵀ, ...: one reading of Lhs for every format;
    _Text and _Latex only say how a name, a vec, a d and a fraction are written."""
    if not lhs.symbol:
        return fmt.expr(lhs.num)
    wrap = fmt.vec if lhs.vec else fmt.of
    top = fmt.d(lhs.symbol, None if lhs.num is None else wrap(lhs.num))
    if lhs.by is None:
        return top
    text = fmt.frac(top, fmt.d(lhs.symbol, wrap(lhs.by)) + (fmt.row(lhs.by) if lhs.row else ""))
    return fmt.symmetric(lhs, text) if lhs.symmetric else text


# -- text: a pipe's stderr, and the Rich table's cells --------------------------------------

def rule(step: TraceStep) -> str:
    return ", ".join(step.rules)


def identity(step: TraceStep) -> str:
    return "; ".join(step.identities)


def equation(step: TraceStep, unicode: bool = False) -> str:
    t = _Text(unicode)
    name = f"{t.expr(step.name)} = " if step.name is not None else ""
    return f"{name}{left_side(step.lhs, t)} = {t.where(step.result)}"


def trace_names(trace: Trace, unicode: bool = False) -> list[str]:
    """u1 = tanh(W x), ...: the names a long trace gives f's subexpressions, inner first."""
    t = _Text(unicode)
    return [f"{t.expr(name)} = {t.expr(e)}" for name, e in trace.defs]


def shape_text(shape: ir.Shape, unicode: bool = False) -> str:
    return _Text(unicode).shape(shape)


def chain_lines(step: TraceStep, unicode: bool = False) -> list[str]:
    """How a reverse step used the chain rule: through which step, with what local Jacobian."""
    t = _Text(unicode)
    return [_chain_line(e, t) for e in step.edges if e.shown]


def _chain_line(e: Edge, t: _Text) -> str:
    via = f"via step {e.step}" if e.step is not None else f"via f = {t.expr(e.through)}"
    if e.uses > 1:  # u twice in p: each use's Jacobian holds the other fixed
        via += f" (use {e.use} of {e.uses})"
    long = _nodes(e.lhs.num) + _nodes(e.lhs.by) >= LONG
    name = "local Jacobian" if long else "Jacobian " + left_side(e.lhs, t)
    term = f";  adds {t.where(e.term)}" if e.term is not None else ""
    return f"{via}, {name} = {t.where(e.jacobian)}   [{t.shape(e.jacobian.shape)}]{term}"


def steps_text(trace: Trace, unicode: bool = False) -> str:
    t = _Text(unicode)
    lines = [f"f = {t.where(trace.shown_f)}"]
    lines.extend(("   where " if i == 0 else " " * 9) + line for i, line in enumerate(trace_names(trace, unicode)))
    for i, s in enumerate(trace.steps, 1):
        lines.append(f"{i}. {rule(s)}    {identity(s)}")
        lines.append(f"   {equation(s, unicode)}   [{t.shape(s.shape)}]")
        lines.extend("   " + line for line in chain_lines(s, unicode))
    return "\n".join(lines)


# -- LaTeX: one align* ending in the result ---------------------------------------------------

def _tex_text(s: str) -> str:
    return s.replace("\\", r"\textbackslash{}").replace("_", r"\_").replace("&", r"\&").replace("%", r"\%")


PAGE_ROWS = 10  # from this many rows an align* allows page breaks between its equations
LHS_SHARE = 0.42  # a left-hand side wider than this share of the page hangs on its own line


def steps_latex(trace: Trace, f: str = "f", result: str | None = None, budget: float = tex.BUDGET,
                page_breaks: bool = False) -> str:
    """An align* from f = ... to the result, that fits the page: definitions stated once under
    f, each rule's name as a tag at the margin (amsmath moves a tag that does not fit below
    its row), long sides broken at their loosest operators. `f` and `result` are the
    left-hand sides of the first and last rows (a notebook writes ∂f/∂x = ...); the last
    row is left out when the last step already says it."""
    defs, rename = _trace_definitions(trace)
    printer = _TracePrinter(defs, frozenset({"d" + trace.X.name}), rename)
    t, slash = _Latex(f, printer), _LatexSlash(f, printer)
    last = trace.steps[-1] if trace.steps else None
    if result is None:
        result = r"\text{result}"
    final = not (last and not any(e.shown for e in last.edges) and _same(last.result, trace.result)
                 and left_side(last.lhs, t) == result)

    rows = [_Row(f, None, trace.f, verbatim=True)]
    stated = [(t.expr(r), r.a) for r in defs.values()]
    stated += [(t.expr(n), e) for n, e in trace.defs if n.name not in {r.name for r in defs.values()}]
    for i, (name, body) in enumerate(stated):  # the user's and shared definitions, then a long trace's u1, ...
        rows.append(_Row((r"\text{where}\quad " if i == 0 else "") + name, None, body, definition=True))
    for s in trace.steps:  # in a long trace a result has a name (g3) that later steps use
        name = f"{t.expr(s.name)} = " if s.name is not None else ""
        rows.append(_Row(name + left_side(s.lhs, t), s.lhs, s.result, _tex_text(rule(s))))
        rows += [_Row(left_side(e.lhs, t), e.lhs, e.jacobian, chain=True) for e in s.edges if e.shown]
    if final:
        rows.append(_Row(result, None, trace.result))

    out = [r"\begin{align*}", *_best_layout(rows, budget, slash, printer, page_breaks)]
    out[-1] = out[-1].removesuffix(r" \\")
    out.append(r"\end{align*}")
    return "\n".join(out)


def result_latex(F: ir.Expr, result: ir.Expr, f: str = "f", head: str = r"\text{result}",
                 budget: float = tex.BUDGET) -> str:
    """An align* that states the whole result: f = ..., ∂f/∂x = ..., then the definitions
    both use, once, as aligned lines under them."""
    defs = _definitions([F, result])
    printer = _TracePrinter(defs, frozenset())
    t = _Latex(f, printer)
    rows = [_Row(f, None, F, verbatim=True), _Row(head, None, result, definition=True)]
    rows += [_Row((r"\text{where}\quad " if i == 0 else "") + t.expr(r), None, r.a, definition=True)
             for i, r in enumerate(defs.values())]
    lines = _best_layout(rows, budget, _LatexSlash(f, printer), printer)
    lines[-1] = lines[-1].removesuffix(r" \\")
    return "\n".join([r"\begin{align*}", *lines, r"\end{align*}"])


DOCUMENT_START = "\\documentclass{article}\n\\usepackage{amsmath}\n\\allowdisplaybreaks\n\\begin{document}"
DOCUMENT_END = "\\end{document}"


def document_part(command: str, F: ir.Expr, result: ir.Expr, f: str, head: str, trace: Trace | None = None) -> str:
    """One result in a document: the command as a comment, the equation, and the derivation
    when there is a trace."""
    part = [f"% {command}", result_latex(F, result, f, head)]
    if trace is not None:
        part += [r"\noindent Derivation, by the chain rule:", steps_latex(trace, f, head, page_breaks=True)]
    return "\n".join(part) + "\n"


class _LatexSlash(_Latex):
    """∂f/∂(u) on one line, marked where it may break: a left-hand side too wide for a
    fraction on the page."""

    def expr(self, e: ir.Expr) -> str:
        return self.printer.top(e)

    def frac(self, top: str, bottom: str) -> str:
        return rf"{top}{tex.BREAK} \big/ {bottom}"


def _best_layout(rows: list, budget: float, slash, printer, page_breaks: bool = False) -> list[str]:
    """The rows laid out with the left column as wide as the left-hand sides that sit in it:
    of the widths that keep it under LHS_SHARE of the page, the one that takes fewest lines
    (a wider one hangs fewer sides on lines of their own, a narrower leaves more room on the
    right)."""
    widths = [w for w in sorted({round(width(r.lhs)) for r in rows if not r.chain}) if w <= LHS_SHARE * budget]
    widths = widths[::-(-len(widths) // 6)] + widths[-1:] if len(widths) > 6 else widths  # a few suffice
    best = None
    for left in widths or [0]:
        layout = _Layout(float(left), budget - left - width("="), slash, printer)
        groups = [layout.rows(r) for r in rows]
        if best is None or sum(map(len, groups)) <= sum(map(len, best)):
            best = groups
    if page_breaks and sum(map(len, best)) > PAGE_ROWS:  # a long derivation may go on over the next page
        for group in best[:-1]:
            group[-1] = group[-1].removesuffix(r" \\") + r" \displaybreak[0] \\"
    return [line for group in best for line in group]


@dataclass
class _Row:
    """One equation of a trace: lhs = body, with its rule's name; a chain rule's Jacobian
    sits under its step, indented."""

    lhs: str
    of: Lhs | None
    body: ir.Expr
    tag: str | None = None
    chain: bool = False
    definition: bool = False
    verbatim: bool = False  # f as the input wrote it: no subexpression written by a name


class _Layout:
    """Rows of one align*: the left column `left` points wide, the right `right`."""

    def __init__(self, left: float, right: float, slash: _LatexSlash, printer: "_TracePrinter"):
        self.left, self.right, self.slash, self.printer = left, right, slash, printer
        self.hang = rf"\hspace{{-{0.9 * left:.0f}pt}}"

    def lines(self, e: ir.Expr, first: float, rest: float, definition: bool = False,
              verbatim: bool = False) -> list[str]:
        return tex.break_lines(self.printer.top(e, definition, verbatim), first, rest)

    def rows(self, r: _Row) -> list[str]:
        tag = rf" \tag*{{{r.tag}}}" if r.tag else ""  # plain text: MathJax reads it too
        if r.chain:
            return self.chain(r)
        body = self.lines(r.body, self.right, self.right - width(tex.INDENT), r.definition, r.verbatim)
        more = [rf"  &\phantom{{=}} {tex.INDENT}{line} \\" for line in body[1:]]
        w = width(r.lhs)
        if w <= self.left + 0.5:
            return [rf"  {r.lhs} &= {body[0]}{tag} \\"] + more
        hang = self.right + 0.9 * self.left
        head = [r.lhs] if w <= hang or r.of is None else tex.break_lines(left_side(r.of, self.slash), hang, self.right)
        rows = [rf"  &{self.hang} {head[0]}{tag} \\"] + [rf"  &{self.hang} {tex.INDENT}{h} \\" for h in head[1:]]
        return rows + [rf"  &= {body[0]} \\"] + more

    def chain(self, r: _Row) -> list[str]:
        room = self.right - width(r"\qquad ")
        head = [r.lhs] if width(r.lhs) <= room else tex.break_lines(left_side(r.of, self.slash), room, room - 10)
        beside = room - width(head[-1] + "=")
        J = self.lines(r.body, beside, room - width(tex.INDENT))
        if len(head) == 1 and len(J) == 1:  # the value beside its left-hand side
            return [rf"  &\qquad {head[0]} = {J[0]} \\"]
        J = self.lines(r.body, room - width(r"\quad ="), room - width(r"\qquad "))
        return ([rf"  &\qquad {h} \\" for h in head] + [rf"  &\qquad\quad = {J[0]} \\"]
                + [rf"  &\qquad\qquad {j} \\" for j in J[1:]])


def _same(a: ir.Expr, b: ir.Expr) -> bool:
    """The same expression once every definition is read as its body (names may differ)."""
    a, b = ir.body(a), ir.body(b)
    if a is b:
        return True
    if type(a) is not type(b) or len(a.kids) != len(b.kids) or not a.kids:
        return False
    for field in a._fields:
        x, y = getattr(a, field), getattr(b, field)
        if isinstance(x, ir.Expr):
            if not _same(x, y):
                return False
        elif isinstance(x, tuple) and x and isinstance(x[0], ir.Expr):
            if len(x) != len(y) or not all(_same(u, v) for u, v in zip(x, y)):
                return False
        elif field not in ("kids", "key") and x != y:
            return False
    return True


class _TracePrinter(tex.LatexPrinter):
    """The trace's LaTeX: a subexpression that a definition stands for is written by its
    name (∂f/∂h, not ∂f/∂(tanh(W₁x))), as the definitions are stated once under f; the
    direction dX is set as a differential."""

    def __init__(self, defs: dict, differentials: frozenset, rename: dict | None = None):
        super().__init__(set(), differentials)
        self.defs = list(defs.items())
        self.rename = rename or {}
        self.root, self.verbatim = None, False
        self.printed: dict = {}  # a layout tries several column widths: each print is kept

    def top(self, e: ir.Expr, definition: bool = False, verbatim: bool = False) -> str:
        """e, marked for breaking; a definition's body is not written as its own name, and
        f, `verbatim`, keeps every subexpression as the input wrote it."""
        key = (e, definition, verbatim)
        if key not in self.printed:
            self.unsized, self.root = unsized_identities(e), (e if definition else None)
            self.verbatim = verbatim
            self.printed[key] = self.show(e)
        return self.printed[key]

    def visit(self, e: ir.Expr):
        if not self.verbatim and e is not self.root and not isinstance(e, (ir.Ref, ir.Sym, *ir.LEAVES)):
            for name, r in self.defs:
                if r.a is e or _same(r.a, e):
                    return self.name(name, r.shape), tex.ATOM
        return super().visit(e)

    def v_Ref(self, e):
        return self.name(self.rename.get(e, e.name), e.shape), tex.ATOM


def _trace_definitions(trace: Trace) -> tuple[dict, dict]:
    """Every definition the trace uses, once by name, each after those its body uses; and
    the name each is written by: the result's own name for what the result also defines,
    so that v1 means the same in the trace as in the result printed with it."""
    exprs = [trace.f]
    for s in trace.steps:
        exprs += [x for x in (s.lhs.num, s.lhs.by, s.result) if x is not None]
        exprs += [e.jacobian for e in s.edges if e.shown]
    final = definitions(trace.result)
    rename = {}
    for r in (r for e in exprs for r in definitions(e)):
        twin = next((q for q in final if _same(q, r)), None)
        rename[r] = twin.name if twin is not None else r.name
    rename.update({r: r.name for r in final})
    if len(set(rename.values())) != len({_Key(r) for r in rename}):  # two meanings, one name
        rename = {r: r.name for r in rename}
    return _definitions([*exprs, trace.result], rename), rename


class _Key:
    """A definition up to its names: equal when the bodies are the same expression."""

    def __init__(self, r: ir.Ref):
        self.r = r

    def __hash__(self):
        return hash(type(ir.body(self.r)))

    def __eq__(self, other):
        return _same(self.r, other.r)


def _definitions(exprs: list, rename: dict | None = None) -> dict:
    """The definitions the expressions use, once by name, each after those its body uses."""
    rename = rename or {}
    chosen: dict = {}
    for r in (r for e in exprs for r in definitions(e)):
        name = rename.get(r, r.name)
        if name in chosen and _same(chosen[name], r):
            chosen[name] = r  # the last reading of a name: the one in the other names' terms
        chosen.setdefault(name, r)
    out: dict = {}

    def place(name, r):
        if name not in out:
            for d in definitions(r.a):
                other = rename.get(d, d.name)
                if other in chosen and other != name:
                    place(other, chosen[other])
            out[name] = r

    for name, r in chosen.items():
        place(name, r)
    return out


# -- JSON: the rows of SPEC §4's "steps" -------------------------------------------------------

def steps_json(trace: Trace) -> list[dict]:
    """One row per step. In a long trace a row says what each name it is the first to use
    stands for (`names`: u1 = tanh(W x); g2 = the result of the step `name`d g2), so that
    every row can be checked alone with the rows before it, and the JSON grows linearly."""
    t = _Text()
    defs = dict(trace.defs)
    given: set = set()
    rows = []
    for s in trace.steps:  # the numpy code reads sizes from the variables; names are fresh
        row = _row(s, t, trace.variables)
        if defs:
            new = _first_uses(s, defs, given)
            if new:  # what each name stands for, as text and as code in the names before it
                row["names"] = {t.expr(name): t.expr(defs[name]) for name in new}
                row["names_numpy"] = {py_name(name.name): to_numpy(defs[name], trace.variables) for name in new}
        if s.name is not None:
            row["name"] = t.expr(s.name)
        rows.append(row)
    return rows


def _first_uses(s: TraceStep, defs: dict, given: set) -> list:
    """The defined names a step uses (through each other too) that no earlier row gave,
    inner first."""
    roots = [s.node, s.result, *(x for e in s.edges for x in (e.through, e.jacobian, e.term) if x is not None)]
    new, stack = [], [n for r in roots for n in ir.postorder(r) if n in defs and n not in given]
    while stack:
        name = stack.pop()
        if name in given:
            continue
        given.add(name)
        new.append(name)
        stack.extend(n for n in ir.postorder(defs[name]) if n in defs and n not in given)
    order = {name: i for i, name in enumerate(defs)}
    return sorted(new, key=order.__getitem__)


def _row(s: TraceStep, t: _Text, variables: dict) -> dict:
    row = {
        "rule": rule(s), "identity": identity(s), "mode": s.mode,
        "expression": left_side(s.lhs, t), "of": t.expr(s.node), "of_latex": tex.to_latex_bare(s.node),
        "result": t.where(s.result), "shape": ir.dims_json(s.shape),
        "latex": to_latex(s.result), "numpy": to_numpy(s.result, variables),
    }
    if s.edges:
        row["chain"] = [_edge(e, t) for e in s.edges]
    return row


def _edge(e: Edge, t: _Text) -> dict:
    out = {"through": t.expr(e.through), "jacobian_of": left_side(e.lhs, t), "jacobian": t.where(e.jacobian),
           "jacobian_shape": ir.dims_json(e.jacobian.shape)}
    if e.step is not None:
        out["through_step"] = e.step
    if e.term is not None:
        out["term"] = t.where(e.term)
    out["through_latex"] = tex.to_latex_bare(e.through)
    out["jacobian_latex"] = to_latex(e.jacobian)
    return out
