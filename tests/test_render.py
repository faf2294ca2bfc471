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


# ------------------------------------------------------------------ wrapping at operators

from matcalc.render import wrap_at_operators  # noqa: E402


def test_a_long_expression_breaks_at_its_top_level_operators():
    text = "2 (A + Aᵀ) x + tanh(W x + b) ∘ (ones(n) - tanh(W x + b) .^ 2) - sum(exp(x)) y"
    lines = wrap_at_operators(text, 40)
    assert lines == ["2 (A + Aᵀ) x + tanh(W x + b)", "  ∘ (ones(n) - tanh(W x + b) .^ 2)", "  - sum(exp(x)) y"]
    assert " ".join(line.strip() for line in lines) == text


def test_a_break_after_a_lone_coefficient_is_avoided():
    text = "2 (((W2ᵀ ((W3ᵀ (W3 v2 + b3 - y)) ∘ (ones(m) - v2 .^ 2))) ∘ (ones(p) - v1 .^ 2)) xᵀ + lambda W1)"
    assert wrap_at_operators(text, 58)[0] == "2 (((W2ᵀ ((W3ᵀ (W3 v2 + b3 - y)) ∘ (ones(m) - v2 .^ 2)))"


def test_definitions_break_before_where_and_after_semicolons():
    text = "2 W1ᵀ (v1 ∘ v2) xᵀ where v1 = tanh(W1 x + b1); v2 = tanh(W2 v1 + b2)"
    lines = wrap_at_operators(text, 44)
    assert lines[0] == "2 W1ᵀ (v1 ∘ v2) xᵀ"
    assert lines[1].strip().startswith("where v1 = ")
    assert all(len(line) <= 44 for line in lines)


def test_a_word_longer_than_the_line_is_left_whole():
    assert wrap_at_operators("logsumexp(W_very_long_name)", 8) == ["logsumexp(W_very_long_name)"]


def test_the_panel_wraps_a_long_result_inside_its_width():
    r = diff("||W3 tanh(W2 tanh(W1 x + b1) + b2) + b3 - y||^2 + lambda (||W1||_F^2 + ||W2||_F^2)", wrt="W1",
             kind="grad")
    console = Console(record=True, file=io.StringIO(), width=70, color_system=None)
    show_result(r, console)
    text = console.export_text()
    assert all(len(line) <= 70 for line in text.splitlines())
    assert "│           where v1 = tanh(W1 x + b1); v2 = tanh(W2 v1 + b2)" in text


def test_the_step_column_gets_the_width():
    r = diff("1/N ||X W - y||^2", wrt="W", kind="grad", steps=True)
    console = Console(record=True, file=io.StringIO(), width=80, color_system=None)
    console.print(steps_table(r.trace))
    text = console.export_text()
    header = next(line for line in text.splitlines() if "rule" in line and "step" in line)
    cells = [len(c) for c in header.split("┃")[1:-1]]
    assert cells[2] > 2 * cells[1]  # step, then rule
    assert "U = A B:  ∂f/∂A = G Bᵀ,  ∂f/∂B = Aᵀ G" in text  # the identity on its own line


def test_shapes_show_names_then_each_distinct_subexpression():
    from matcalc.report import shapes_report

    text = _shown(show_shapes, shapes_report("||X w - y||^2 + lambda ||w||^2"))
    rows = [line.split("│")[1].strip() for line in text.splitlines() if line.startswith("│")]
    assert rows[:4] == ["X", "w", "y", "lambda"]
    assert rows.count("w") == 1 and rows.count("X") == 1 and len(rows) == len(set(rows))
    assert "├" in text  # a rule between the names and the subexpressions


def test_an_identity_row_is_not_its_own_example_twice():
    rows = [{"name": "trace", "kind": "identity", "identity": "grad tr(X) by X = eye(n)",
             "example": {"command": "grad", "expression": "tr(X)", "wrt": "X", "result": "eye(n)"}}]
    assert _shown(show_rules, rows).count("grad tr(X) by X = eye(n)") == 1


def test_on_a_narrow_terminal_the_rule_heads_its_step():
    r = diff("1/N ||X W - y||^2", wrt="W", kind="grad", steps=True)
    console = Console(record=True, file=io.StringIO(), width=50, color_system=None)
    show_result(r, console)
    text = console.export_text()
    assert "┃ rule" not in text
    step_cells = [line.split("│")[2].strip() for line in text.splitlines() if line.count("│") == 4]
    assert "squared norm" in step_cells
    assert all(len(line) <= 50 for line in text.splitlines())
