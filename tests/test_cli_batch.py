"""Standard input as SPEC §4 has it: a line answered as soon as it is read, bad lines
reported with their number, the rest still run, a closed pipe ends matcalc quietly."""

import json
import subprocess
import sys

MATCALC = [sys.executable, "-m", "matcalc"]


def run(args, stdin):
    return subprocess.run(MATCALC + args, input=stdin, capture_output=True, text=True)


def test_a_line_is_answered_before_the_next_is_written():
    p = subprocess.Popen(MATCALC + ["grad", "--wrt", "x"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True, bufsize=1)
    p.stdin.write("x' A x\n")
    p.stdin.flush()
    assert p.stdout.readline().strip() == "(A + A') x"  # stdin is still open
    p.stdin.write("||x||^2\n")
    p.stdin.close()
    assert p.stdout.readline().strip() == "2 x"
    assert p.wait() == 0


def test_bad_lines_carry_their_line_number_and_the_rest_still_run():
    r = run(["grad", "--wrt", "x"], "x' A x\n\n# a comment\nx' $ y\n||x||^2\n")
    assert r.stdout.splitlines() == ["(A + A') x", "2 x"]
    assert r.stderr.splitlines()[0] == "line 4, column 4: unexpected character '$'"
    assert r.returncode == 1


def test_a_json_error_object_has_the_line():
    r = run(["grad", "--wrt", "x", "-f", "json"], "x' A x\nx' $ y\n")
    good, bad = map(json.loads, r.stdout.splitlines())
    assert good["derivative"] == "(A + A') x"
    assert bad == {"input": "x' $ y", "error": {"message": "unexpected character '$'", "column": 4}, "line": 2}
    assert "line 2, column 4" in r.stderr


def test_notes_in_a_batch_say_their_line():
    r = run(["grad", "--wrt", "x"], "x' A x\n||x - mu||^2\n")
    assert r.stderr.startswith("line 2: note: mu: taken as a vector")


def test_a_line_separator_inside_a_line_does_not_split_it():
    r = run(["shapes"], "x' A\u2028 x\n")
    assert r.returncode == 1 and r.stdout == ""  # one line, refused as a whole
    assert r.stderr.startswith("line 1, column 5: unexpected character")


def test_a_closed_pipe_ends_matcalc_quietly():
    lines = "x' A x\n" * 3000
    p = subprocess.Popen(MATCALC + ["grad", "--wrt", "x"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    p.stdin.write(lines)
    p.stdin.close()
    assert p.stdout.readline().strip() == "(A + A') x"
    p.stdout.close()
    assert p.wait() == 0
    assert p.stderr.read() == ""


def test_a_long_mixed_batch_loses_no_line():
    """One JSON line per input line, in order; each failure an error object with its line."""
    good = ["x' A x", "||x||^2", "sum(exp(x))", "x' x where x: n", "logsumexp(x)"]
    bad = ["x' $ y", "sigmoud(x)", "x' A x +", "(x", "1.2.3 x' x"]
    lines = [(good + bad)[i % 10] for i in range(2000)]
    r = run(["grad", "--wrt", "x", "-f", "json"], "\n".join(lines) + "\n")
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o["input"] for o in out] == lines
    errors = [o for o in out if "error" in o]
    assert len(errors) == 1000 and [o["line"] for o in errors] == [i + 1 for i in range(2000) if i % 10 >= 5]
    assert r.stderr.count("\n") >= 1000 and r.returncode == 1


def test_text_into_a_pipe_builds_no_latex_and_no_numpy(monkeypatch):
    """Each Result field is printed when read: a batch of text does only its own work."""
    from typer.testing import CliRunner

    from matcalc import cli
    from matcalc.printers import latex, numpy

    def unwanted(*args, **kw):
        raise AssertionError("printed a field nobody asked for")

    monkeypatch.setattr(latex, "to_latex", unwanted)
    monkeypatch.setattr(numpy, "to_numpy", unwanted)
    r = CliRunner().invoke(cli.app, ["grad", "--wrt", "x"], input="x' A x\n||x||^2\n")
    assert (r.exit_code, r.stdout) == (0, "(A + A') x\n2 x\n")
