"""The rows marked cli=True in tests/identities.py, through the real command line.

Runs `python -m matcalc ... --format json` as a user would, reads the one-line JSON and
checks its `numpy` form with the same finite-difference oracle as test_identities.py;
then standard-input mode and the exit statuses of SPEC §4.
"""

import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from identities import IDENTITIES, Identity  # noqa: E402
from test_identities import check_result, ids  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JSON_KEYS = {"input", "wrt", "layout", "kind", "expression", "derivative", "latex", "numpy",
             "shape", "variables"}
CLI_ROWS = [row for row in IDENTITIES if row.cli]


def matcalc(*args, stdin=""):
    """Run the CLI from the repository root; standard input is empty unless given."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, "-m", "matcalc", *args], input=stdin, text=True,
                          capture_output=True, cwd=ROOT, env=env, timeout=120)


def arguments(row):
    """`matcalc COMMAND EXPR --wrt X --format json`; after `--` when EXPR starts with '-'."""
    options = ["--wrt", row.wrt, "--format", "json"]
    if row.layout != "denominator":
        options += ["--layout", row.layout]
    for declaration in row.declare:
        options += ["--declare", declaration]
    if row.expr.startswith("-"):
        return [row.command, *options, "--", row.expr]
    return [row.command, row.expr, *options]


def json_lines(process):
    assert "Traceback" not in process.stderr, process.stderr
    lines = process.stdout.splitlines()
    assert lines, f"no output; stderr: {process.stderr}"
    return [json.loads(line) for line in lines]


def assert_result(obj, row):
    missing = JSON_KEYS - set(obj)
    assert not missing, f"JSON lacks {sorted(missing)}: {obj}"
    assert (obj["input"], obj["wrt"]) == (row.expr, row.wrt)
    check_result(row, obj["numpy"], obj["shape"], obj["variables"])


@pytest.mark.parametrize("row", CLI_ROWS, ids=ids(CLI_ROWS))
def test_cli_identity(row):
    process = matcalc(*arguments(row))
    assert process.returncode == 0, process.stderr
    [obj] = json_lines(process)
    assert obj["layout"] == row.layout
    assert_result(obj, row)


def test_cli_subset_size():
    assert len(CLI_ROWS) == 15


# ---------------------------------------------------------------- standard input

LINEAR = Identity("a' x where a: n; x: n", "x", f=lambda a, x: a @ x, source="stdin")
QUADRATIC = Identity("x' A x where x: n; A: n x n", "x", f=lambda x, A: x @ A @ x, source="stdin")
SQUARED = Identity("x' x where x: n", "x", f=lambda x: x @ x, source="stdin")


@pytest.mark.parametrize("expr_arguments", [[], ["-"]], ids=["EXPR absent", "EXPR is -"])
def test_stdin_gives_one_object_per_line(expr_arguments):
    lines = [LINEAR.expr, "", "# a comment", QUADRATIC.expr, "   ", SQUARED.expr]
    process = matcalc("diff", *expr_arguments, "--wrt", "x", "--format", "json",
                      stdin="\n".join(lines) + "\n")
    assert process.returncode == 0, process.stderr
    objects = json_lines(process)
    assert len(objects) == 3, objects
    for obj, row in zip(objects, [LINEAR, QUADRATIC, SQUARED]):
        assert_result(obj, row)


def test_stdin_bad_line_is_reported_and_the_rest_still_run():
    bad = "x' A x +"
    process = matcalc("diff", "--wrt", "x", "--format", "json",
                      stdin="\n".join([SQUARED.expr, bad, LINEAR.expr]) + "\n")
    assert process.returncode == 1
    first, middle, last = json_lines(process)
    assert_result(first, SQUARED)
    assert_result(last, LINEAR)
    assert middle["input"] == bad and set(middle) >= {"input", "error"}, middle
    assert isinstance(middle["error"]["message"], str) and middle["error"]["message"]
    assert isinstance(middle["error"]["column"], int)
    assert 0 <= middle["error"]["column"] <= len(bad) + 1


# ---------------------------------------------------------------- exit statuses

def test_bad_expression_exits_1_with_a_json_error():
    process = matcalc("diff", "(x' A x", "--wrt", "x", "--format", "json")
    assert process.returncode == 1
    [obj] = json_lines(process)
    assert obj["input"] == "(x' A x"
    assert {"message", "column"} <= set(obj["error"])


@pytest.mark.parametrize("args", [
    ["diff", "x' x", "--wrt", "x", "--no-such-option"],
    ["diff", "x' x", "--wrt", "x", "--layout", "sideways"],
    ["diff", "x' x", "--wrt", "x", "--format", "yaml"],
    ["no-such-command", "x' x"],
], ids=["unknown option", "bad layout", "bad format", "unknown command"])
def test_usage_error_exits_2(args):
    process = matcalc(*args)
    assert process.returncode == 2, (process.stdout, process.stderr)
    assert "Traceback" not in process.stderr
