"""The chain-rule trace as data: each step's left-hand side, subexpression and result, in IR.

Built once per derivation from the engines' Steps and derive.py's notes; every printer
(printers/steps.py, render.py) reads the same Trace. Imports ir, algebra, rules,
simplify and derive; never a printer, never the package.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import algebra, derive, ir, rules, simplify
from .simplify import rewrite

LONG = 24  # printed nodes of f from which a trace names f's subexpressions (u1, U2, ...)
NAME_AT = 4  # ... those that print this many nodes or more, counting a name as one


@dataclass(frozen=True)
class Lhs:
    """What a step differentiates, by what: ∂num/∂by, as data so every format writes it alike.

    num None is f itself; by None is the differential d(num). `symbol` is "∂", "d" (a
    differential, or a derivative by a scalar) or "" (no derivative: the expression a
    simplification starts from). `vec` reads ∂vec(num)/∂vec(by)ᵀ; `row` writes byᵀ, a
    Jacobian's orientation; `symmetric` marks the gradient among symmetric matrices."""

    num: ir.Expr | None
    by: ir.Expr | None
    symbol: str = "∂"
    vec: bool = False
    row: bool = False
    symmetric: bool = False


@dataclass(frozen=True)
class Edge:
    """One use of u inside its parent p: the chain rule gives ∂f/∂u its part (∂p/∂uᵀ)ᵀ ∂f/∂p.

    `jacobian` is ∂p/∂uᵀ (vec form when a matrix is involved) with p's other uses of u
    held fixed; `step` is the number of p's own step (None when p is f itself); `term`
    is this use's part of ∂f/∂u, kept when u has several uses."""

    through: ir.Expr
    lhs: Lhs
    jacobian: ir.Expr
    step: int | None
    term: ir.Expr | None
    use: int = 1
    uses: int = 1

    @property
    def shown(self) -> bool:
        """Straight from f with one use, the Jacobian is the step's result: nothing to add."""
        return self.step is not None or self.term is not None


@dataclass(frozen=True)
class TraceStep:
    """One true equation: lhs = result, by the rules named.

    Reverse mode: ∂f/∂u summed over every use of u, with one Edge per use. Forward: d(u)
    in the direction dX. Then identification, the symmetric projection, a layout change;
    and with --all-steps, each named identity the simplifier applied (mode "simplify",
    node the expression before, result the one after)."""

    rules: tuple[str, ...]
    identities: tuple[str, ...]
    mode: str
    lhs: Lhs
    node: ir.Expr
    result: ir.Expr
    edges: tuple[Edge, ...] = ()
    name: ir.Sym | None = None  # what later steps call this result (g3), in a long trace

    @property
    def shape(self) -> ir.Shape:
        return self.result.shape


@dataclass(frozen=True)
class Trace:
    """A derivation's trace, computed once: f, the variable X, the steps, the answer, and
    the names the numpy printer binds (the variables and the direction dX)."""

    f: ir.Expr
    X: ir.Sym
    steps: tuple[TraceStep, ...]
    result: ir.Expr
    variables: dict = field(compare=False)
    defs: tuple[tuple[ir.Sym, ir.Expr], ...] = ()  # u1 = ..., inner first: f's big subexpressions
    named_f: ir.Expr | None = None  # f written with those names

    @property
    def shown_f(self) -> ir.Expr:
        return self.f if self.named_f is None else self.named_f


@dataclass
class _Entry:
    """One step before finishing: a node's reverse edges gathered, or one other application."""

    mode: str
    node: ir.Expr
    steps: list = field(default_factory=list)

    @property
    def bookkeeping(self) -> bool:
        return all(s.bookkeeping for s in self.steps)


def _entries(steps: list) -> list[_Entry]:
    """Reverse edges gathered by child, each placed once complete: when the child first acts
    as a parent, or at the next other step (the variable). A simplification does not place
    them: it comes before the step that shows its result, so the last step is the answer."""
    out, groups, placed = [], {}, set()

    def place(node):
        if node in groups and node not in placed:
            placed.add(node)
            out.append(groups[node])

    for s in steps:
        if s.mode == "reverse":
            place(s.node)
            groups.setdefault(s.child, _Entry("reverse", s.child)).steps.append(s)
            continue
        if s.mode != "simplify":
            for node in groups:
                place(node)
        out.append(_Entry(s.mode, s.node, [s]))
    for node in groups:
        place(node)
    return out


def build(d: derive.Derivation, all_steps: bool = False) -> Trace:
    """The trace of `d`; bookkeeping steps only with `all_steps` (the numbering follows)."""
    b = _Builder(d)
    for entry in _entries(d.steps):
        if entry.bookkeeping and not all_steps:
            b.skip(entry)
        else:
            b.add(entry)
    return Trace(d.typed.expr, d.X, tuple(b.steps), d.result, {**d.typed.names, b.dX.name: b.dX},
                 b.defs, b.subst(d.typed.expr) if b.defs else None)


def _result_names(result: ir.Expr, user: set) -> dict[ir.Expr, str]:
    """The names the final result gives shared subexpressions (v1, M2), by the subexpression
    written out in full, so a trace calls them as the result does."""
    plain: dict[ir.Expr, ir.Expr] = {}
    names = {}
    for node in ir.postorder(result):
        if isinstance(node, ir.Ref):
            plain[node] = node if node.name in user else plain[node.a]
            if node.name not in user:
                names[plain[node.a]] = node.name
        else:
            plain[node] = algebra.rebuild(node, tuple(plain[k] for k in node.kids))
    return names


def _big_subexpressions(roots: list[ir.Expr], keep: set, taken: set[str],
                        preset: dict) -> dict[ir.Expr, ir.Sym]:
    """A name for each subexpression that would print NAME_AT nodes or more, counting the
    names already given as one: a deep f then prints each step in bounded size, so the
    trace grows linearly with f instead of quadratically. f itself (`keep`) is not named."""
    size: dict[ir.Expr, int] = {}
    named: dict[ir.Expr, ir.Sym] = {}
    for root in roots:
        for node in ir.postorder(root):
            if node in size:
                continue
            if isinstance(node, ir.Ref) or not node.kids:
                size[node] = 1
                continue
            size[node] = 1 + sum(1 if k in named else size[k] for k in node.kids)
            if node in preset and node not in keep:
                named[node] = ir.Sym(preset[node], node.shape)
            elif size[node] >= NAME_AT and node not in keep:
                named[node] = ir.Sym(ir.fresh_name("U" if node.shape[1] != 1 else "u", taken), node.shape)
    return named


class _Builder:
    """Finishes every result with one `taken` and `names`, so v1 means one thing through
    the trace, and remembers each node's step number for the edges that come through it."""

    def __init__(self, d: derive.Derivation):
        self.d = d
        self.taken = set(d.typed.names) | set(d.typed.defs)
        preset = _result_names(d.result, set(d.typed.defs))
        self.taken |= set(preset.values())
        self.names: dict = dict(preset)  # a step's shared subexpression is named as the result names it
        self.number: dict = {}
        self.steps: list[TraceStep] = []
        self.direction = rules.placeholder(d.X)
        self.dX = ir.Sym("d" + d.X.name, d.X.shape)  # the direction, as a reader types it
        self.taken.add(self.dX.name)
        keep = {d.typed.expr, d.f}  # f as typed, and as differentiated (after the identities)
        roots = [d.typed.expr, *(s.node for s in d.steps)]
        long = any(ir.tree_size(r, LONG) >= LONG for r in keep)
        self.short = _big_subexpressions(roots, keep, self.taken, preset) if long else {}
        self.memo: dict[ir.Expr, ir.Expr] = dict(self.short)
        self.defs = tuple((sym, self.subst(node, inside=True)) for node, sym in self.short.items())
        self.gradient_names: dict[int, ir.Sym] = {}

    def subst(self, e: ir.Expr, inside: bool = False) -> ir.Expr:
        """e with its big subexpressions written by name (not e itself, when `inside`):
        top-down, so the work stops at a name however deep the node under it."""
        if not self.short:
            return e
        if inside:
            return algebra.rebuild(e, tuple(self.subst(k) for k in e.kids))
        memo = self.memo
        return ir.fold(e, memo, lambda node: algebra.rebuild(node, tuple(memo[k] for k in node.kids)))

    def finish(self, e: ir.Expr) -> ir.Expr:
        if self.short:  # a long trace: names instead of shared-subexpression where-clauses
            e = simplify.fold_definitions(simplify.simplify(self.subst(e)), self.d.typed.defs)
        else:
            e = derive.finish(e, self.d.typed, self.taken, self.names)
        return rewrite(e, lambda old, new: self.dX if old is self.direction else new)

    def upstream(self, s: rules.Step) -> ir.Expr:
        """∂f/∂(node) for a reverse step: by the name of the step that gave it, in a long trace."""
        number = self.number.get(s.node)
        return self.gradient_names[number] if number in self.gradient_names else s.before

    def part(self, s: rules.Step) -> ir.Expr:
        """This edge's share of ∂f/∂child; in a long trace through the upstream's name."""
        return rules.pull(s, self.upstream(s)) if self.short else s.after

    def skip(self, entry: _Entry) -> None:
        """A hidden definition step h = body: body's gradient is h's, so is its number."""
        if entry.mode == "reverse" and entry.steps[0].node in self.number:
            self.number[entry.node] = self.number[entry.steps[0].node]

    def add(self, entry: _Entry) -> None:
        reverse = entry.mode == "reverse"
        after = algebra.add(*(self.part(s) for s in entry.steps)) if reverse else entry.steps[-1].after
        result = self.finish(after)
        name = None
        if reverse and self.short:
            name = ir.Sym(ir.fresh_name("G" if result.shape[1] != 1 else "g", self.taken), result.shape)
            self.gradient_names[len(self.steps) + 1] = name
        step = TraceStep(
            tuple(dict.fromkeys(s.rule for s in entry.steps)),
            tuple(dict.fromkeys(s.identity for s in entry.steps)),
            entry.mode, self.lhs(entry), self.subst(entry.node), result,
            self.edges(entry) if reverse else (), name)
        self.steps.append(step)
        if reverse:
            self.number[entry.node] = len(self.steps)

    def edges(self, entry: _Entry) -> tuple[Edge, ...]:
        several = len(entry.steps) > 1
        out = []
        for i, s in enumerate(entry.steps):
            same = [j for j, t in enumerate(entry.steps) if t.node is s.node]
            J = self.finish(rules.local_jacobian(s))
            term = self.finish(self.part(s)) if several else None
            p, u = self.subst(s.node), self.subst(s.child)
            out.append(Edge(p, _jacobian_lhs(p, u), J, self.number.get(s.node), term, same.index(i) + 1, len(same)))
        return tuple(out)

    def lhs(self, entry: _Entry) -> Lhs:
        """The one place a step's mode decides what its equation's left-hand side says."""
        u, X, mode = self.subst(entry.node), self.d.X, entry.mode
        if mode == "reverse":
            return Lhs(None, u)
        if mode == "forward":
            return Lhs(u, X if X.shape == ir.SCALAR else None, "d")
        if mode == "simplify":
            return Lhs(u, None, "")
        if mode == "symmetric":
            return Lhs(None, X, symmetric=True)
        if mode == "identify":
            return Lhs(u, X, vec=self.d.vec_form, row=True)
        if u is X:  # f's gradient turned into a row: ∂f/∂xᵀ, ∂f/∂vec(X)ᵀ or ∂f/∂Xᵀ
            return Lhs(None, X, vec=entry.steps[-1].after.shape != X.shape[::-1], row=True)
        return Lhs(u, X)  # a Jacobian turned to the denominator layout


def _jacobian_lhs(p: ir.Expr, u: ir.Expr) -> Lhs:
    """∂p/∂uᵀ, or ∂vec(p)/∂vec(u)ᵀ when either is a matrix."""
    return Lhs(p, u, vec=not (1 in p.shape and 1 in u.shape), row=True)
