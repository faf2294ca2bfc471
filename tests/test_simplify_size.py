"""Printed size never grows: every row of the identity table, and the quotient and
normalisation examples of issue 13, in tokens at or below the counts recorded in
tests/token_counts.json (from main before the issue's rewrites).

`python tests/test_simplify_size.py --record` adds the rows new to the table at the current
code's counts; it never changes a recorded count.
"""

import json
import os
import re
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from identities import IDENTITIES  # noqa: E402

COUNTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "token_counts.json")
TOKEN = re.compile(r"\d+(?:\.\d+)?|[^\W\d]\w*|\.[*/^]|\|\||\S")

# Issue 13's quotients, normalisations, Gaussian kernels and rank-one updates: (command, expr, wrt).
QUOTIENTS = [
    ("grad", "x' A x / (x' x)", "x"),
    ("grad", "x' A x / (x' B x)", "x"),
    ("grad", "(a' x)/(b' x)", "x"),
    ("grad", "log(sum(exp(W x)))", "W"),
    ("grad", "x' inv(A + x x') x", "x"),
    ("grad", "a' inv(A + u v') b", "u"),
    ("jac", "x/||x||", "x"),
    ("jac", "x/sqrt(x' x)", "x"),
    ("grad", "exp(-||x - y||^2/(2 s^2))", "x"),
    ("grad", "exp(-||x - y||^2/(2 s^2))", "s"),
    ("grad", "(a' x)/(||a|| ||x||)", "x"),
    ("grad", "(x' y)/(||x|| ||y||)", "x"),
    ("grad", "log(x' A x)", "x"),
    ("grad", "sqrt(x' A x)", "x"),
    ("grad", "1/(x' A x)", "x"),
    ("grad", "x' x/(1 + x' x)", "x"),
    ("grad", "||x||/||y||", "x"),
    ("jac", "softmax(W x)", "x"),
    ("jac", "exp(x)/sum(exp(x))", "x"),
    ("grad", "logsumexp(W x)", "x"),
    ("grad", "y' log(softmax(W x))", "W"),
]


def tokens(text: str) -> int:
    """Names, numbers and operators of the printed text, white space not counted."""
    return len(TOKEN.findall(text))


def row_key(row) -> str:
    return row.id


def quotient_key(case) -> str:
    command, expr, wrt = case
    return f"{command} d/d{wrt} {expr}"


def printed(command, expr, wrt, layout="denominator", declare=()):
    import matcalc

    return matcalc.diff(expr, wrt=wrt, kind=command, layout=layout, declare=list(declare)).derivative


def current_counts() -> dict:
    counts = {}
    for row in IDENTITIES:
        if not row.error:
            counts[row_key(row)] = tokens(printed(row.command, row.expr, row.wrt, row.layout, row.declare))
    for case in QUOTIENTS:
        counts[quotient_key(case)] = tokens(printed(*case))
    return counts


def recorded() -> dict:
    with open(COUNTS, encoding="utf-8") as f:
        return json.load(f)


ROWS = [row for row in IDENTITIES if not row.error]


@pytest.mark.parametrize("row", ROWS, ids=[row_key(r) for r in ROWS])
def test_identity_row_no_longer(row):
    before = recorded()[row_key(row)]
    text = printed(row.command, row.expr, row.wrt, row.layout, row.declare)
    assert tokens(text) <= before, f"{text!r}: {tokens(text)} tokens, {before} before"


@pytest.mark.parametrize("case", QUOTIENTS, ids=[quotient_key(c) for c in QUOTIENTS])
def test_quotient_no_longer(case):
    before = recorded()[quotient_key(case)]
    text = printed(*case)
    assert tokens(text) <= before, f"{text!r}: {tokens(text)} tokens, {before} before"


def test_tokens_count_names_numbers_and_operators():
    assert tokens("(A + A') x") == 7
    assert tokens("2 (x' A x)/s1^2 x where s1 = x' x") == 18
    assert tokens("x .^ 2 ./ ||y||") == 7


if __name__ == "__main__" and sys.argv[1:] == ["--record"]:
    old = recorded() if os.path.exists(COUNTS) else {}
    new = {k: old.get(k, n) for k, n in current_counts().items()}
    with open(COUNTS, "w", encoding="utf-8") as f:
        json.dump(new, f, indent=0, ensure_ascii=False, sort_keys=True)
        f.write("\n")
