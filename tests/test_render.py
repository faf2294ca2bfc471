"""What a terminal shows: the result panel and the steps, shapes and rules tables.

Rendered into a recording Console (no colour, fixed width), so the checks read the
text a user would see. The shapes and rules tables get literal rows: render.py only
lays them out.
"""
import io

from rich.console import Console

from matcalc import diff
from matcalc.render import show_result, show_rules, show_shapes, steps_table


def _console() -> Console:
    return Console(record=True, file=io.StringIO(), width=100, color_system=None)


def _shown(show, *args) -> str:
    console = _console()
    show(*args, console)
    return console.export_text()


def test_the_result_panel_states_input_shapes_result_and_what_it_is():
    text = _shown(show_result, diff("1/N ||X W - y||^2", wrt="W", kind="grad"))
    assert "─ ∂f/∂W ─" in text
    assert "input   ||X W - y||^2/N" in text
    assert "N: scalar, X: n × m, W: m, y: n" in text
    assert "result  2/N Xᵀ (X W - y)" in text
    assert "m  (gradient, shape of W)" in text
    assert "layout" not in text
    assert "steps" not in text  # no trace was asked for


def test_the_panel_names_the_vec_form():
    text = _shown(show_result, diff("A X B", wrt="X", kind="jac"))
    assert "─ ∂vec(F)/∂vec(X)ᵀ ─" in text
    assert "n*q × m*p  (vec form)" in text


def test_the_panel_says_what_the_result_is_not_what_the_flag_was():
    """A Jacobian is never "denominator layout" for the flag's default; the layout is
    named only where it transposed the result (diff of a vector by a vector)."""
    jacobian = _shown(show_result, diff("A x", wrt="x", kind="jac"))
    assert "─ ∂f/∂xᵀ ─" in jacobian and "n × m  (Jacobian)" in jacobian
    assert "denominator" not in jacobian
    transposed = _shown(show_result, diff("A x", wrt="x"))
    assert "─ ∂fᵀ/∂x ─" in transposed
    assert "m × n  (Jacobian transposed, denominator layout)" in transposed
    gradient = _shown(show_result, diff("x' A x", wrt="x", layout="numerator", kind="grad"))
    assert "(gradient, shape of x)" in gradient and "numerator" not in gradient
    row = _shown(show_result, diff("x' A x", wrt="x", layout="numerator"))
    assert "─ ∂f/∂xᵀ ─" in row and "1 × n  (gradient transposed, numerator layout)" in row


def test_the_hessian_panel_is_titled_as_a_second_derivative():
    assert "─ ∂²f/∂x∂xᵀ ─" in _shown(show_result, diff("x' A x", wrt="x", kind="hess"))
    by_matrix = _shown(show_result, diff("tr(X' A X)", wrt="X", kind="hess"))
    assert "─ ∂²f/∂vec(X)∂vec(X)ᵀ ─" in by_matrix and "(Hessian, vec form)" in by_matrix


def test_the_steps_table_prints_the_seed_trace_in_unicode():
    text = _shown(show_result, diff("1/N ||X W - y||^2", wrt="W", kind="grad", steps=True))
    assert "steps   f = ‖X W - y‖²/N" in text
    assert "∂f/∂(‖X W - y‖²) = 1/N" in text
    assert "squared norm" in text and "u = ‖a‖²:  ∂f/∂a = 2 g a" in text
    assert "∂f/∂W = 2/N Xᵀ (X W - y)" in text
    assert "via step 3, Jacobian ∂(X W)/∂Wᵀ = X" in text
    assert "'" not in text.split("steps")[1]  # Unicode transposes, not the input language's


def test_the_steps_table_has_a_row_per_json_step():
    r = diff("||W2 h - y||^2 where h = tanh(W1 x)", wrt="W1", kind="grad", all_steps=True)
    table = steps_table(r.trace)
    assert table.row_count == len(r.steps)
    rules = [str(cell).split("\n")[0] for cell in table.columns[1].cells]
    assert rules == [s["rule"] for s in r.steps]


def test_the_shapes_table_lists_names_definitions_and_subexpressions():
    report = {
        "input": "x' A x",
        "variables": {"x": {"shape": ["n"], "symmetric": False}, "A": {"shape": ["n", "n"], "symmetric": True}},
        "definitions": {"h": {"expression": "A x", "shape": ["n"]}},
        "subexpressions": [{"expression": "x' A x", "shape": []}],
    }
    text = _shown(show_shapes, report)
    assert "A" in text and "n × n symmetric" in text
    assert "h = A x" in text and "scalar" in text


def test_the_rules_table_shows_each_rule_with_its_example():
    rows = [{"name": "product", "kind": "differential", "identity": "d(A B) = dA B + A dB",
             "example": {"command": "diff", "expression": "A X", "wrt": "X", "result": "kron(eye(n), A)"}}]
    text = _shown(show_rules, rows)
    assert "d(A B) = dA B + A dB" in text
    assert "diff A X by X = kron(eye(n), A)" in text
