"""How an undeclared name is read (SPEC §2): its spelling's default, kinds the syntax
forces, the search for the typing that gives up the fewest and weakest defaults, and the
notes that say what was given up and what might surprise. The typing itself is
shapes.py's; this module only chooses among typings and explains the choice.
Imports ir and parse.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from . import ir
from .ir import MatcalcError
from .parse import Decl, Parsed, Syntax


GREEK = set(ir.GREEK_LOWER) | {"eps", "omicron"}


UPPER_GREEK = set(ir.GREEK_UPPER)


def default_kind(name: str) -> str:
    """SPEC §2: x, x_i, w2 are vectors; A, W1, Sigma, Σ matrices; anything else a scalar."""
    if _VECTOR(name):
        return "vector"
    if _MATRIX(name) or _SUFFIX("", name) in UPPER_GREEK:
        return "matrix"
    return "scalar"


# compiled once: typing asks for each name's kind many times
_VECTOR = re.compile(r"[a-z](\d+|_\w*)?").fullmatch
_MATRIX = re.compile(r"[A-Z](\d+|_\w*)?|[Α-Ω][0-9_]*").fullmatch
_SUFFIX = re.compile(r"(\d+|_\w*)$").sub


def syntax_nodes(parsed: Parsed) -> list:
    """Every node of an input, in no particular order."""
    walks = _walks(parsed)
    nodes = walks.get("all")
    if nodes is None:
        nodes, stack = [], [parsed.expr, *(d.expr for d in parsed.defs)]
        while stack:
            node = stack.pop()
            nodes.append(node)
            stack.extend(a for a in node.args if isinstance(a, Syntax))
        walks["all"] = nodes
    return nodes


def syntax_postorder(parsed: Parsed, root: Syntax, opaque) -> list:
    """root's nodes, children first, without entering a node that `opaque` says of (a call
    whose arguments are sizes): each typing tried and the IR builder walk it in turn."""
    walks = _walks(parsed)
    order = walks.get(id(root))
    if order is None:
        order, stack = [], [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            stack.append((node, True))
            if not opaque(node):
                stack.extend((a, False) for a in reversed(node.args) if type(a) is Syntax)
        walks[id(root)] = order
    return order


_WALKS: tuple = (None, {})


def _walks(parsed: Parsed) -> dict:
    """The walks of the input being typed, each made once: typing asks for them again and
    again. Only the last input's are kept; `parsed` keeps its roots (their ids) alive."""
    global _WALKS
    last, walks = _WALKS
    if last is not parsed:
        walks = {}
        _WALKS = (parsed, walks)  # one tuple, swapped whole: a reader sees a pair that belongs together
    return walks


def surprises(parsed: Parsed, typed, used: set[str], functions) -> list[str]:
    """Readings that may not be what was meant, said out loud: `XW` next to X and W is one
    name, not a product; a Greek scalar multiplying a matrix may have been meant as one."""
    notes = []
    for name in typed.names:
        if len(name) < 2:  # one letter is neither a run of names nor a function's name and more
            continue
        others = used - {name}
        parts = _split_into(name, others) or _letters(name, others)
        if parts:
            notes.append(f"{name}: one name; for a product write {' '.join(parts)} with spaces")
        fn = next((name[:i] for i in range(len(name) - 1, 0, -1)  # the longest function name it opens with
                   if name[:i] in functions and name[i] not in "0123456789"), None)
        if fn and (name[len(fn)] == "_" or len(name) - len(fn) == 1 or name[len(fn):] in used):
            notes.append(f"{name}: one name, not a call of {fn}; write {fn}({name[len(fn):].lstrip('_')}) for that")
    shapes = {id(node): e.shape for node, e in typed.subexpressions}
    for node in syntax_nodes(parsed):
        a, b = (node.args + (None, None))[:2]
        if node.kind == "matmul" and b.kind == "name" and b.args[0] in typed.names \
                and typed.names[b.args[0]].shape == ir.SCALAR and default_kind(b.args[0]) == "scalar" \
                and shapes.get(id(a), ir.SCALAR)[1] != 1:  # X beta, x' beta: a row or matrix times a scalar
            notes.append(f"{b.args[0]}: a scalar multiplying what stands before it; if it is a vector, "
                         f"declare its length ({b.args[0]}: n)")
        if node.kind == "symbolic_power" and node.args[0].kind == "name" and node.args[0].args[0] == "e":
            notes.append("e: a variable here; for Euler's number write exp(...)")
        if node.kind == "div" and node.args[0].kind == "power" and node.args[1].kind == "number" \
                and re.match(r"\^\s*-?\s*\d", typed.source[node.args[0].column - 1:]):
            notes.append(f"^{_fraction_text(node.args[0].args[1])}/{_fraction_text(node.args[1].args[0])} reads as "
                         f"a power, then a division; for a fractional power write ^({_fraction_text(node.args[0].args[1])}"
                         f"/{_fraction_text(node.args[1].args[0])})")
    for node in syntax_nodes(parsed):
        if node.kind != "matmul":
            continue
        for a, b in (node.args, node.args[::-1]):
            if a.kind != "name":
                continue
            s, upper = typed.names.get(a.args[0]), a.args[0][:1].upper() + a.args[0][1:]
            if s is not None and s.shape == ir.SCALAR and upper in UPPER_GREEK and b.kind == "name" \
                    and b.args[0] in typed.names and typed.names[b.args[0]].shape[1] != 1:
                notes.append(f"{a.args[0]}: a scalar multiplying the matrix {b.args[0]}; "
                             f"an uppercase name ({upper}) would be a matrix")
    return list(dict.fromkeys(notes))


def _fraction_text(k) -> str:
    return str(k.numerator) if k.denominator == 1 else f"{k.numerator}/{k.denominator}"


def _letters(name: str, names: set[str]) -> list[str] | None:
    """A short run of Latin letters (Ax, XWb) one of which is a name of the expression."""
    if 2 <= len(name) <= 3 and name.isascii() and name.isalpha() and name not in GREEK \
            and any(ch in names for ch in name):
        return list(name)
    return None


def _split_into(name: str, names: set[str]) -> list[str] | None:
    """name as a run of other names of the expression (XW = X W), shortest first."""
    if len(name) < 2:
        return None
    for i in range(1, len(name)):
        head, rest = name[:i], name[i:]
        if head in names:
            if rest in names:
                return [head, rest]
            tail = _split_into(rest, names)
            if tail:
                return [head, *tail]
    return None


MAX_TYPINGS = 300  # typings tried before asking for a declaration


SQUARE_ARGUMENT = {"det", "logdet", "inv", "tr"}


# How far each kind is from a spelling's default: a vector is the next reading of a scalar.
GRADE = {
    "matrix": {"matrix": 0, "scalar": 2},  # the last resort: N in -N/2 logdet(Σ)
    "vector": {"vector": 0, "scalar": 1, "matrix": 2},
    "scalar": {"scalar": 0, "vector": 1, "matrix": 2},
}


class _Candidate(NamedTuple):
    cost: tuple
    typer: object  # the shapes typer of this reading
    kinds: dict
    shapes: tuple  # the names' resolved shapes: equal for two readings that are one typing


def choose_typing(parsed: Parsed, decls: dict[str, Decl], probe, attempt, keep: str | None = None) -> tuple:
    """The typing that departs least from the spelling defaults, weakest names first; two
    equally good typings are a question for the user, never a guess. `probe` is a typer
    that has found the forced kinds; `attempt(kinds)` types the input with those kinds
    for the free names, or raises MatcalcError; `keep` is a name never made a scalar to
    fit (the variable of a gradient). Returns the typer chosen and its notes."""
    defined = {d.name for d in parsed.defs}
    free = [n for n in dict.fromkeys(node.args[0] for node in syntax_nodes(parsed) if node.kind == "name")
            if n not in ("I", "𝟙") and n not in defined and n not in probe.forced and n not in decls]
    transposed = _transposed(parsed) & set(free)
    base = {n: "vector" for n in transposed if default_kind(n) == "scalar"}
    found: dict[tuple, _Candidate] = {}

    def run(kinds: dict) -> MatcalcError | None:
        try:
            t = attempt(kinds)
        except MatcalcError as e:
            return e
        c = _Candidate(_cost(t, kinds, free), t, kinds, _resolved(t))
        if c.shapes not in found or c.cost < found[c.shapes].cost:
            found[c.shapes] = c
        return None

    failure = run(base)
    for depth in (1, 2):
        if found and min(c.cost for c in found.values())[:3] == (0, 0, 0):
            break
        for kinds in _departures(free, base, transposed | {keep}, depth):
            run(kinds)
    if not found:
        raise failure
    best = min(c.cost for c in found.values())
    winners = [c for c in found.values() if c.cost == best]
    if len(winners) > 1:
        raise MatcalcError(_ambiguity(winners), failure.column if failure else 1)
    chosen = winners[0]
    return chosen.typer, _notes(chosen, probe, decls, attempt)


def _transposed(parsed: Parsed) -> set[str]:
    """Names written with a transpose: the θ of θᵀx is not a scalar."""
    return {node.args[0].args[0] for node in syntax_nodes(parsed)
            if node.kind in ("transpose", "inverse_transpose") and node.args[0].kind == "name"}


def _departures(free: list[str], base: dict, transposed: set, depth: int):
    """Every assignment that moves `depth` names off their base kind, within the budget;
    a transposed name is never a scalar."""
    from itertools import combinations, product

    tried = 0
    for names in combinations(free, depth):
        options = [[k for k in GRADE[default_kind(n)] if k != base.get(n, default_kind(n))
                    and not (k == "scalar" and n in transposed)] for n in names]
        for kinds in product(*options):
            tried += 1
            if tried > MAX_TYPINGS:
                return
            yield {**base, **dict(zip(names, kinds))}


def _cost(t, kinds: dict, free: list[str]) -> tuple:
    """(uppercase, lowercase, uppercase with a dimension of 1, other names): compared in
    that order, so that the weakest defaults are given up first."""
    upper = lower = unit = other = 0
    for n in free:
        default, kind = default_kind(n), kinds.get(n, default_kind(n))
        grade = GRADE[default][kind]
        if default == "matrix":
            upper += grade
            one = t.dims.find(t.dims.one)
            unit += kind == "matrix" and any(t.dims.find(d) == one for d in t.name_shapes.get(n, ()))
        elif default == "vector":
            lower += grade
        else:
            other += grade
    return (upper, lower, unit, other)


def _resolved(t) -> tuple:
    return tuple(t.final()[1].items())


def _describe(shape) -> str:
    r, c = shape
    if (r, c) == (1, 1):
        return "a scalar"
    if c == 1:
        return f"a vector of length {r}"
    article = "an" if str(r)[0] in "aefhilmnorsx8" else "a"
    return f"{article} {r}×{c} matrix"


def _ambiguity(winners: list[_Candidate]) -> str:
    readings = [dict(c.shapes) for c in winners[:2]]
    names = [n for n in readings[0] if readings[0][n] != readings[1][n]]
    options = ", or ".join(" and ".join(f"{n} as {_describe(r[n])}" for n in names) for r in readings)
    first = names[0]
    return f"cannot tell how to read {' and '.join(names)}: {options}; declare one (for example -d '{first}: scalar')"


def _notes(chosen: _Candidate, probe, decls: dict, attempt) -> list[str]:
    """One note per name whose spelling default was given up, saying why; one per
    uppercase name that turned out a single row or column."""
    notes = []
    for name, shape in chosen.shapes:
        default, kind = default_kind(name), _kind_of(shape)
        if name in probe.forced and kind != default:
            notes.append(f"{name}: taken as {_describe(shape)}, not a {default} ({probe.why[name]})")
        elif name in chosen.kinds and GRADE[default][chosen.kinds[name]] and kind != default:
            notes.append(f"{name}: taken as {_describe(shape)}, not a {default} ({_why(name, chosen, attempt)})")
        elif default == "matrix" and name not in decls and name not in probe.forced and 1 in shape:
            size = "×".join(map(str, shape))
            article = "an" if size[0] in "aefhilmnorsx8" else "a"
            notes.append(f"{name}: {article} {size} matrix, a single {'column' if shape[1] == 1 else 'row'}")
    return notes


def _kind_of(shape) -> str:
    return "scalar" if shape == (1, 1) else "vector" if shape[1] == 1 else "matrix"


def _why(name: str, chosen: _Candidate, attempt) -> str:
    """What the name's default reading runs into, the other names kept as chosen."""
    kinds = {**chosen.kinds, name: default_kind(name)}
    try:
        t = attempt(kinds)
    except MatcalcError as e:
        return e.message
    units = [f"{n} would be {_describe(s)}" for n, s in _resolved(t) if default_kind(n) == "matrix" and 1 in s]
    return "otherwise " + units[0] if units else "it is transposed"
