"""Deep input: 1,000 levels differentiate and print within Python's default stack, and
deeper input is refused with the limit named; the interpreter's recursion limit is never
touched."""
import json
import sys

import pytest
from typer.testing import CliRunner

from matcalc import diff
from matcalc.cli import app
from matcalc.parse import MAX_DEPTH


def nest(k: int, inner: str, around: str) -> str:
    """around applied k times: around.format(around.format(... inner ...))."""
    out = inner
    for _ in range(k):
        out = around.format(out)
    return out


DEEP = [  # (command, expression 1,000 levels deep, variable)
    ("grad", "sum(" + nest(1000, "x", "tanh(W {})") + ")", "x"),
    ("jac", nest(1000, "x", "tanh(W {})"), "x"),
    ("grad", nest(1000, "x' x", "log(1 + {})"), "x"),
    ("jac", nest(1000, "x", "A ({})"), "x"),
    ("jac", nest(1000, "x", "({} + b)"), "x"),
    ("grad", "sum(" + nest(1000, "x", "({} .* y)") + ")", "x"),
    ("diff", nest(1000, "t", "sin({})"), "t"),
    ("jac", nest(1000, "X", "({})'"), "X"),
]


@pytest.fixture(scope="module")
def limit():
    before = sys.getrecursionlimit()
    yield before
    assert sys.getrecursionlimit() == before


@pytest.mark.parametrize("command, expr, wrt", DEEP, ids=[f"{c} {e[:24]}... /{w}" for c, e, w in DEEP])
def test_a_thousand_levels_differentiate_and_print(command, expr, wrt, limit):
    r = diff(expr, wrt=wrt, kind=command, declare=["t: scalar"] if wrt == "t" else ())
    assert sys.getrecursionlimit() == limit, "diff() leaves the recursion limit alone"
    assert r.derivative and r.latex and r.numpy  # every printer, within the default stack


def test_a_thousand_levels_through_the_command_line():
    command, expr, wrt = DEEP[0]
    out = CliRunner().invoke(app, [command, expr, "--wrt", wrt, "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["derivative"].startswith("W' ((W' ((W' ")


def test_the_deep_trace_is_linear_and_whole():
    """--steps at depth 300: one step per level, each row short (it names, not repeats);
    the names themselves (u1 = tanh(W x), ...) are given once, by the first row using them."""
    expr = "sum(" + nest(300, "x", "tanh(W {})") + ")"
    steps = diff(expr, wrt="x", kind="grad", steps=True).steps
    assert len(steps) == 2 * 300 + 1
    assert max(len(json.dumps({k: v for k, v in s.items() if k not in ("names", "names_numpy")})) for s in steps) < 1_000
    given = [name for s in steps for name in s.get("names", {})]
    assert len(given) == len(set(given)) == 300


def test_deeper_than_the_limit_is_an_error_with_a_column():
    expr = nest(MAX_DEPTH, "x", "({})'")
    out = CliRunner().invoke(app, ["diff", expr, "--wrt", "x"])
    assert out.exit_code == 1
    assert "nested too deeply" in out.output and "^" in out.output and "Traceback" not in out.output


def test_deep_numpy_code_compiles_and_checks():
    """No line of the generated code nests past Python's parser (200 parentheses): a name is
    bound every few levels, so check evaluates a chain 300 deep and agrees."""
    from matcalc.check import check

    for command, expr, wrt in DEEP[:3]:
        compile(diff(expr, wrt=wrt, kind=command).numpy, "<numpy>", "eval")
    report = check("sum(" + nest(300, "x", "tanh(W {})") + ")", wrt="x", kind="grad", trials=1)
    assert report["ok"], report


def test_a_deep_display_stays_one_line_rather_than_fail():
    """-f latex breaks a long result to fit the page; past 60 nested parentheses no page
    holds it anyway, and it stays one line (at 150 it failed as 'too deeply nested')."""
    expr = "sum(" + nest(100, "x", "tanh(W {})") + ")"
    for args in (["-f", "latex"], ["--document"]):  # the layout is the point here, not the time limit
        out = CliRunner().invoke(app, ["grad", expr, "--wrt", "x", *args], env={"MATCALC_TIMEOUT": "0"})
        assert out.exit_code == 0 and r"\tanh" in out.stdout, out.output[-300:]
