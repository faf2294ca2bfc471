"""Every construct has all its parts; a failure names the construct and the missing part.

A new node type or function is spelled in several homes (the grammar, the function
table, the rules, three printers); these tests turn that edit into a checklist.
The worked examples are run, and checked numerically, by tests/test_rules.py.
"""
import re
from pathlib import Path

import pytest

from matcalc import ir, parse, rules, shapes
from matcalc.printers.latex import LatexPrinter
from matcalc.printers.numpy import NumpyPrinter
from matcalc.printers.text import TextPrinter
from matcalc.report import rules_table

PRINTERS = (TextPrinter, LatexPrinter, NumpyPrinter)
TABLE = rules_table()
SHOWN = {(row["kind"], row["name"], row["example"]["expression"]) for row in TABLE}


def _node_types(cls=ir.Expr):
    """Every concrete node class: the subclasses of Expr not marked private by `_`."""
    for sub in cls.__subclasses__():
        if not sub.__name__.startswith("_"):
            yield sub
        yield from _node_types(sub)


NODES = sorted(set(_node_types()), key=lambda cls: cls.__name__)


def _missing_rules(node: type) -> list[str]:
    r = rules.RULES.get(node)
    if r is None:
        return ["a record in rules.RULES"]
    missing = []
    if not isinstance(r.d, rules.Rule):
        missing.append("a differential rule")
    elif r.d.example is None or ("differential", r.name, r.d.example.expression) not in SHOWN:
        missing.append("a worked example of its differential in the rules table")
    if isinstance(r.vjp, rules.Refused):
        if not r.vjp.reason:
            missing.append("a stated reason for refusing a reverse rule")
    elif r.vjp.example is None or ("reverse", r.name, r.vjp.example.expression) not in SHOWN:
        missing.append("a worked example of its reverse rule in the rules table")
    if isinstance(r.vec, rules.Refused) and not r.vec.reason:
        missing.append("a vec-Jacobian rule or a stated reason")
    return missing


@pytest.mark.parametrize("node", NODES, ids=lambda cls: cls.__name__)
def test_every_node_type_has_all_its_parts(node):
    missing = [f"{p.__name__}.v_{node.__name__}" for p in PRINTERS if not hasattr(p, f"v_{node.__name__}")]
    if node not in ir.LEAVES:  # a leaf is the variable or a constant: no rules to state
        missing += _missing_rules(node)
    assert not missing, f"{node.__name__} lacks: " + "; ".join(missing)


def test_the_rule_records_are_for_node_types():
    assert set(rules.RULES) <= set(NODES) - set(ir.LEAVES)


@pytest.mark.parametrize("fused", rules.FUSED, ids=lambda f: f"{f.kind} {f.name}")
def test_every_fused_rule_has_a_worked_example(fused):
    assert (fused.kind, fused.name, fused.rule.example.expression) in SHOWN, f"{fused.name} lacks a worked example"


def _printed(printer: type, e: ir.Expr) -> str:
    if printer is NumpyPrinter:
        return printer({"x": e.a}).show(e)
    return printer().show(e)


@pytest.mark.parametrize("name", list(rules.FPRIME))
def test_every_entrywise_function_has_printers_and_an_example(name):
    x = ir.Sym("x", ("n", 1))
    missing = []
    for printer in PRINTERS:
        try:
            _printed(printer, ir.Func(name, x))
        except (KeyError, AttributeError):
            missing.append(f"an entry in the {printer.__name__}")
    if not rules.FPRIME[name][2] or ("entrywise", name, f"sum({name}(x))") not in SHOWN:
        missing.append("a worked example in the rules table")
    assert not missing, f"the function {name} lacks: " + "; ".join(missing)


def _grammar_functions() -> set[str]:
    """The names in the grammar's FUNC terminal: FUNC.2: /(tr|det|...)(?!...)/."""
    text = (Path(__file__).resolve().parent.parent / "grammar" / "matcalc.lark").read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if re.match(r"FUNC(\.\d+)?\s*:", line))
    return set(re.search(r"/\(([^)]*)\)", line).group(1).split("|"))


def _lacks(where: str, names: set) -> str:
    return f"{where} lacks: {', '.join(sorted(names))}"


def test_the_grammar_and_the_function_table_name_the_same_functions():
    grammar, table = _grammar_functions(), set(shapes.FUNCTIONS) | set(parse.ALIASES)
    assert not table - grammar, _lacks("the grammar's FUNC", table - grammar)
    assert not grammar - table, _lacks("shapes.FUNCTIONS", grammar - table)


def test_every_entrywise_function_has_a_derivative():
    entrywise = {name for name, f in shapes.FUNCTIONS.items() if f.kind == "entrywise"}
    assert not entrywise - set(rules.FPRIME), _lacks("rules.FPRIME", entrywise - set(rules.FPRIME))
    assert not set(rules.FPRIME) - entrywise, _lacks("shapes.FUNCTIONS", set(rules.FPRIME) - entrywise)
