"""Malformed input never escapes as anything but a MatcalcError: mutants of valid
expressions (deletions, insertions, swapped tokens, misspelled functions, unbalanced
brackets, giant numbers, stray Unicode, NUL) go through the same path as the command.

Derandomized, so that CI sees the same examples every run; MATCALC_FUZZ_EXAMPLES runs
longer by hand."""

import os

from hypothesis import HealthCheck, given, settings, strategies as st

from matcalc import MatcalcError, diff

SEEDS = [
    "x' A x", "||X w - y||^2", "logdet(S)", "tr(A X B)", "sum(exp(W x + b))",
    "-y' log(softmax(W x))", "x' S^-1 x where S: n x n symmetric", "kron(A, B) x",
    "||W2 h - y||^2 where h = tanh(W1 x)", "sum(x .^ p)", "(a' x)/(b' x)", "det(X)^(1/2)",
    "x ∘ y", "‖x‖²", r"\mathbf{x}^\top A \mathbf{x}", "1/N ||X W - y||^2",
]
NOISE = ["(", ")", "'", "^", ".*", "./", ".^", "||", "‖", ",", ";", "where", "=", ":", "-", "+",
         "sigmoud", "trace", "1e400", "9" * 400, "\x00", "ᵀ", "⁻¹", "\\frac", "{", "}", "_", "\\",
         "x", "A", "2.", ".5", "𝟙", "I", "eye(", "ones(0)", "commutation(n,", "^(10^(10^10))"]
EXAMPLES = int(os.environ.get("MATCALC_FUZZ_EXAMPLES", 300))


@st.composite
def mutant(draw):
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 4)))
        edit = draw(st.sampled_from(["delete", "insert", "replace", "swap"]))
        piece = draw(st.sampled_from(NOISE))
        if edit == "delete":
            text = text[:i] + text[j:]
        elif edit == "insert":
            text = text[:i] + piece + text[i:]
        elif edit == "replace":
            text = text[:i] + piece + text[j:]
        else:
            text = text[j:] + text[i:j] + text[:i]
    return text


@given(text=mutant(), kind=st.sampled_from(["diff", "grad", "jac", "hess"]))
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_a_mutant_is_answered_or_refused_never_crashes(text, kind):
    try:
        r = diff(text, kind=kind)
    except MatcalcError as e:
        assert e.message and "internal error" not in e.message
        e.render()
    else:
        assert r.derivative
