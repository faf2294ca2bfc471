"""Start-up: the parser runs on tables generated from the grammar (kept in sync here, and
read exactly as Lark reads the grammar), nothing is read from the temp directory, and
the command exits fast with the statuses it had."""
import ast
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from matcalc import MatcalcError, lalr, parse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import gen_parser  # noqa: E402


def test_the_tables_are_generated_from_the_grammar():
    grammar = gen_parser.GRAMMAR.read_text(encoding="utf-8")
    committed = parse.TABLES
    fresh = gen_parser.tables(grammar)
    hint = f"matcalc/_parse_table.py is out of date with grammar/matcalc.lark: run {gen_parser.COMMAND}"
    assert committed["grammar_sha256"] == fresh["grammar_sha256"], hint
    # Another Lark release may number its states differently: regenerate then, too.
    same = {k: v for k, v in committed.items() if k != "lark_version"} == \
           {k: v for k, v in fresh.items() if k != "lark_version"}
    assert same, hint


# ------------------------------------------------------------ the same parse as Lark's

def _inputs() -> list[str]:
    """Every string literal in the tests, and seeded mutants of them."""
    found = set()
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and 0 < len(node.value) < 200:
                found.add(node.value)
    rng = random.Random(11)
    alphabet = "xAB12.^'*+-/|‖(){};:=,_ Tᵀ⁻¹²∘⊗wheresymmetricR"
    mutants = set()
    for text in sorted(found):
        for _ in range(3):
            chars = list(text)
            i = rng.randrange(len(chars) + 1)
            op = rng.randrange(3)
            if op == 0 and chars:
                del chars[min(i, len(chars) - 1)]
            elif op == 1:
                chars.insert(i, rng.choice(alphabet))
            elif chars:
                chars[min(i, len(chars) - 1)] = rng.choice(alphabet)
            mutants.add("".join(chars))
    return sorted(found | mutants)


def _outcome(parser, text: str, start: str):
    """A tree as nested tuples with token types, values and columns, or the error."""
    try:
        tree = parser.parse(text, start=start)
    except MatcalcError as e:
        return ("MatcalcError", e.message, e.column)
    except Exception as e:  # Lark's or lalr's exceptions, by name
        token = getattr(e, "token", None)
        return (type(e).__name__, getattr(e, "column", None), getattr(token, "type", None))
    return _shape(tree)


def _shape(node):
    if hasattr(node, "children"):
        return (node.data, tuple(_shape(c) for c in node.children))
    return (node.type, str(node), node.column, node.end_pos)


class _LarkTokens:
    """parse._NormBars, making its norm bars Lark's tokens, for Lark's parser."""

    always_accept = parse._NormBars.always_accept

    def __init__(self, token):
        self.token = token

    def process(self, stream):
        for t in parse._NormBars().process(stream):
            if isinstance(t, lalr.Token):
                t = self.token(t.type, t.value, t.start_pos, t.line, t.column, t.line, t.column + 1, t.end_pos)
            yield t


def test_the_parser_reads_every_input_as_lark_does():
    lark = pytest.importorskip("lark")
    grammar = gen_parser.GRAMMAR.read_text(encoding="utf-8")
    reference = lark.Lark(grammar, parser="lalr", lexer="contextual", start=list(gen_parser.START),
                          postlex=_LarkTokens(lark.Token), maybe_placeholders=False)
    ours = parse._parser()
    inputs = _inputs()
    assert len(inputs) > 1000
    differ = [(text, start) for text in inputs for start in gen_parser.START
              if _outcome(reference, text, start) != _outcome(ours, text, start)]
    assert not differ, differ[:5]


def test_the_function_names_are_the_grammars():
    assert parse._parser().terminal_pattern("FUNC") == gen_parser.tables(
        gen_parser.GRAMMAR.read_text(encoding="utf-8"))["terminals"]["FUNC"]


# ------------------------------------------------------------ the command

AUDIT = """
import os, sys, tempfile
tmp = os.path.realpath(os.environ["TMPDIR"])
def hook(event, args):
    if event == "open" and isinstance(args[0], str) and os.path.realpath(args[0]).startswith(tmp):
        os.write(2, ("opened " + args[0] + "\\n").encode())
        os._exit(99)
sys.addaudithook(hook)
sys.argv = ["matcalc", *sys.argv[1:]]
from matcalc.__main__ import run
run()
"""


def _matcalc(args, tmpdir, script=AUDIT):
    env = dict(os.environ, TMPDIR=str(tmpdir), TEMP=str(tmpdir), TMP=str(tmpdir), NO_COLOR="1")
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


@pytest.fixture
def hostile_tmp(tmp_path):
    """A read-only temp directory holding garbage where Lark's cache used to be."""
    import getpass
    import hashlib

    for name in (f".lark_cache_{getpass.getuser()}_{hashlib.md5(b'x').hexdigest()}_3_11.tmp",
                 ".lark_cache_planted.tmp"):
        (tmp_path / name).write_bytes(b"cos\nsystem\n(S'touch PWNED'\ntR.")
    tmp_path.chmod(0o555)
    yield tmp_path
    tmp_path.chmod(0o755)


def test_nothing_is_read_from_the_temp_directory(hostile_tmp):
    r = _matcalc(["diff", "x' A x", "--wrt", "x"], hostile_tmp)
    assert (r.returncode, r.stdout.strip(), r.stderr) == (0, "(A + A') x", "")
    assert not (ROOT / "PWNED").exists()


def test_lark_is_not_imported_on_the_way_to_a_derivative(tmp_path):
    script = AUDIT.replace("run()", "import atexit, matcalc\n"
                           "sys.stdout.write(str('lark' in sys.modules) + '\\n')\nrun()")
    r = _matcalc(["diff", "x' A x", "--wrt", "x"], tmp_path, script)
    assert r.stdout.splitlines()[0] == "False"


@pytest.mark.parametrize("args, status", [
    (["diff", "x' A x", "--wrt", "x"], 0),
    (["diff", "x' A x", "--wrt", "q"], 1),
    (["diff", "x' +", "--wrt", "x"], 1),
    ([], 2),
    (["--version"], 0),
])
def test_the_fast_exit_keeps_the_status_and_the_output(args, status, tmp_path):
    fast = _matcalc(args, tmp_path)
    slow = subprocess.run([sys.executable, "-c", "import sys; from matcalc.cli import main; "
                           "sys.argv[0] = 'matcalc'; main()", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env=dict(os.environ, NO_COLOR="1"))
    assert fast.returncode == slow.returncode == status
    assert (fast.stdout, fast.stderr) == (slow.stdout, slow.stderr)


def test_a_closed_pipe_ends_the_command_quietly(tmp_path):
    lines = "".join(f"x' A{i} x\n" for i in range(2000))
    r = subprocess.run(f"{sys.executable} -m matcalc diff --wrt x | head -1", shell=True, input=lines,
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.stdout.strip() == "(A0 + A0') x"
    assert r.stderr == ""
