"""The command line in scripts: a JSON line that sets its own variable, `-` read from a
terminal, bytes that are not UTF-8, the work budget (MATCALC_TIMEOUT), `rules NAME`
and what `shapes` lists into a pipe."""

import json
import os
import pty
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

import matcalc
from matcalc.cli import app

MATCALC = [sys.executable, "-m", "matcalc"]


def run(*args, input=None, env=None):
    return CliRunner().invoke(app, list(args), input=input, env=env, prog_name="matcalc")


def lines(*objects) -> str:
    return "".join(json.dumps(o) + "\n" for o in objects)


# ------------------------------------------------------------------ --input json

def test_each_json_line_sets_its_own_variable_and_declarations():
    r = run("diff", "--input", "json", "-f", "json", input=lines(
        {"expr": "tr(A X)", "wrt": "X"},
        {"expr": "x' S x", "wrt": "S", "declare": "S: n x n symmetric"},
        {"expr": "x' A x", "wrt": ["x", "A"], "declare": ["A: n x n", "x: n"]},
        {"expr": "x' x", "wrt": "x", "layout": "numerator"},
    ))
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(o["input"], o["wrt"], o["derivative"]) for o in out] == [
        ("tr(A X)", "X", "A'"), ("x' S x", "S", "x x'"), ("x' A x", "x", "(A + A') x"),
        ("x' A x", "A", "x x'"), ("x' x", "x", "2 x'")]
    assert out[1]["variables"]["S"]["symmetric"] and out[4]["layout"] == "numerator"
    assert r.exit_code == 0


def test_a_json_line_leaves_out_what_the_command_line_gives():
    r = run("grad", "--wrt", "x", "-d", "A: n x n symmetric", "--input", "json",
            input=lines({"expr": "x' A x"}, {"expr": "x' A x", "declare": "A: n x n"}))
    assert r.stdout.splitlines() == ["2 A x", "(A + A') x"]


@pytest.mark.parametrize("line, message", [
    ("x' A x", "not a JSON object: Expecting value"),
    ('["x"]', 'a JSON line is an object with "expr", the expression'),
    ('{"expression": "x"}', 'a JSON line is an object with "expr", the expression'),
    ('{"expr": "x", "wtr": "x"}', 'unknown key "wtr"; a line may give "expr", "wrt", "declare", "layout"'),
    ('{"expr": "x", "wrt": 3}', '"wrt" must be a name or a list of names'),
    ('{"expr": "x", "layout": "nominator"}', '"layout" must be "denominator" or "numerator"'),
])
def test_a_bad_json_line_is_an_error_object_and_the_rest_still_run(line, message):
    r = run("grad", "--input", "json", "-f", "json", input=line + "\n" + lines({"expr": "x' x", "wrt": "x"}))
    bad, good = map(json.loads, r.stdout.splitlines())
    assert bad["line"] == 1 and bad["error"]["message"].startswith(message)
    assert good["derivative"] == "2 x"
    assert r.stderr.startswith("line 1, column ") and r.exit_code == 1


def test_check_and_shapes_read_json_lines_too():
    r = run("check", "--input", "json", "-f", "json", input=lines({"expr": "tr(A X)", "wrt": "X"}))
    assert json.loads(r.stdout)["ok"] and r.exit_code == 0
    r = run("shapes", "--input", "json", input=lines({"expr": "x' A x", "declare": "A: 3 x 3"}))
    assert r.stdout.splitlines()[:2] == ["x: 3", "A: 3 x 3"]
    r = run("shapes", "--input", "json", input=lines({"expr": "x", "wrt": "x"}))
    assert 'unknown key "wrt"; a line may give "expr", "declare"' in r.stderr


# ------------------------------------------------------------------ reading standard input

def test_a_dash_reads_a_terminal_until_end_of_input():
    leader, follower = pty.openpty()
    p = subprocess.Popen(MATCALC + ["grad", "--wrt", "x", "-"], stdin=follower, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    os.close(follower)
    os.write(leader, b"x' A x\n")
    assert p.stdout.readline() == b"(A + A') x\n"  # answered while the terminal is still open
    os.write(leader, b"||x||^2\n\x04")  # Ctrl-D
    out, err = p.communicate(timeout=30)
    os.close(leader)
    assert (p.returncode, out, err) == (0, b"2 x\n", b"")


def test_without_a_dash_a_terminal_is_refused_not_waited_for():
    leader, follower = pty.openpty()
    p = subprocess.run(MATCALC + ["grad", "--wrt", "x"], stdin=follower, capture_output=True, timeout=30)
    os.close(follower)
    os.close(leader)
    assert p.returncode == 2 and b"pipe expressions in" in p.stderr


def test_a_line_that_is_not_utf8_is_a_bad_line_with_its_column():
    p = subprocess.run(MATCALC + ["grad", "--wrt", "x", "-f", "json"], input=b"x' x\nx' \xff x\nx' A x\n",
                       capture_output=True)
    first, bad, last = (json.loads(line) for line in p.stdout.splitlines())
    assert bad["error"] == {"message": "not UTF-8: byte 0xff", "column": 4} and bad["line"] == 2
    assert (first["derivative"], last["derivative"]) == ("2 x", "(A + A') x")
    assert p.stderr.decode().startswith("line 2, column 4: not UTF-8: byte 0xff") and p.returncode == 1


# ------------------------------------------------------------------ the work budget

def _slow_on(text):
    """diff, but endless on one input: a stand-in for a pathological expression."""
    real = matcalc.diff

    def diff(expr, *args, **kw):
        while expr == text:
            pass
        return real(expr, *args, **kw)

    return diff


def test_an_input_past_the_budget_stops_with_the_limit_named_and_the_batch_goes_on(monkeypatch):
    monkeypatch.setattr(matcalc, "diff", _slow_on("x' B x"))
    start = time.perf_counter()
    r = run("grad", "--wrt", "x", "-f", "json", input="x' A x\nx' B x\nx' x\n", env={"MATCALC_TIMEOUT": "0.3"})
    assert time.perf_counter() - start < 10
    good, stopped, after = map(json.loads, r.stdout.splitlines())
    assert (good["derivative"], after["derivative"]) == ("(A + A') x", "2 x")
    assert stopped["line"] == 2 and stopped["error"]["message"] == (
        "stopped after 0.3 s of work on this input, the limit MATCALC_TIMEOUT sets; "
        "set MATCALC_TIMEOUT to more seconds, or to 0 for no limit")
    assert r.exit_code == 1


def test_one_expression_past_the_budget_exits_1(monkeypatch):
    monkeypatch.setattr(matcalc, "diff", _slow_on("x' A x"))
    r = run("grad", "x' A x", "--wrt", "x", env={"MATCALC_TIMEOUT": "0.2"})
    assert r.exit_code == 1 and "MATCALC_TIMEOUT" in r.stderr and r.stdout == ""


@pytest.mark.parametrize("value", ["soon", "-1", "inf", "nan"])
def test_a_budget_that_is_not_seconds_is_a_usage_error(value):
    r = run("grad", "x' x", "--wrt", "x", env={"MATCALC_TIMEOUT": value})
    assert r.exit_code == 2 and "MATCALC_TIMEOUT" in r.stderr


def test_no_budget_with_0():
    r = run("grad", "x' x", "--wrt", "x", env={"MATCALC_TIMEOUT": "0"})
    assert (r.exit_code, r.stdout) == (0, "2 x\n")


# ------------------------------------------------------------------ rules NAME, shapes

def test_rules_name_keeps_the_rules_that_mention_it():
    out = run("rules", "logdet").stdout.splitlines()
    assert out and all("logdet" in line for line in out)
    assert any(line.startswith("log-determinant (identity)") for line in out)


def test_rules_kind_keeps_that_kind():
    rows = json.loads(run("rules", "entrywise", "-f", "json").stdout)
    assert rows and {row["kind"] for row in rows} == {"entrywise"}
    assert {"arcsin", "sigmoid", "tanh"} <= {row["name"] for row in rows}


def test_rules_of_nothing_says_so():
    r = run("rules", "nosuchrule")
    assert r.exit_code == 1 and "no rule" in r.stderr and r.stdout == ""


def test_shapes_lists_names_then_each_distinct_subexpression():
    out = run("shapes", "||X w - y||^2 + lambda ||w||^2 where h = X w").stdout.splitlines()
    assert out[:4] == ["X: n x m", "w: m", "y: n", "lambda: scalar"]
    subexpressions = [line.rsplit(":", 1)[0] for line in out[4:]]
    assert "w" not in subexpressions and "lambda" not in subexpressions
    assert len(subexpressions) == len(set(subexpressions))
