"""Every step of a --steps trace is a true equation, checked from its JSON alone.

A reverse step says ∂f/∂u = R: replace u in f by a free variable U and compare R with
finite differences in U. A forward step says d(u) = R in the direction dX; an
identification step says ∂vec(F)/∂vec(X)ᵀ = J; a chain entry says the local Jacobian of
p by u is J. Texts are parsed back with the trace's own declarations, as a reader would.
"""
import numpy as np
import pytest

from matcalc import analyze, diff, ir
from matcalc.check import _vec, evaluate, numeric_derivative, random_inputs
from matcalc.printers.numpy import to_numpy
from matcalc.simplify import rewrite

def _chain(k: int) -> str:
    """tanh(W tanh(W ... tanh(W x))), k deep."""
    body = "x"
    for _ in range(k):
        body = f"tanh(W {body})"
    return body


TRACES = [
    # (kind, expression, wrt, declarations, layout)
    ("grad", "1/N ||X W - y||^2", "W", (), "denominator"),
    ("grad", "1/N ||X W - y||^2", "X", (), "denominator"),
    ("grad", "x' A x", "x", (), "denominator"),
    ("grad", "x' A x", "x", ("A: n x n symmetric",), "denominator"),
    ("diff", "x' A x", "x", (), "numerator"),
    ("grad", "tr(A X B)", "X", (), "denominator"),
    ("grad", "logdet(X)", "X", (), "denominator"),
    ("grad", "logdet(X)", "X", ("X: n x n symmetric",), "denominator"),
    ("grad", "tr(A X)", "X", ("X: n x n symmetric",), "denominator"),
    ("grad", "det(A X B)", "X", (), "denominator"),
    ("grad", "tr(X^-1 A)", "X", (), "denominator"),
    ("grad", "tr(X^3)", "X", (), "denominator"),
    ("grad", "-y' log(softmax(W x))", "W", (), "denominator"),
    ("grad", "sum(log(softmax(W x)) .* y)", "W", (), "denominator"),
    ("grad", "a' tanh(W x)", "W", (), "denominator"),
    ("grad", "||W2 h - y||^2 where h = tanh(W1 x)", "W1", (), "denominator"),
    ("grad", "||W2 tanh(W1 x) - y||^2", "W1", (), "denominator"),
    ("grad", "sum(exp(A X B))", "X", (), "denominator"),
    ("grad", "x' x / (x' A x)", "x", (), "denominator"),
    ("grad", "alpha x' x + alpha^2", "alpha", (), "denominator"),
    ("grad", "logsumexp(W x)", "W", (), "denominator"),
    ("grad", "sum(X .* X) + ||X||", "X", (), "denominator"),
    ("grad", "a' diag(X) + tr(diag(x) A)", "x", (), "denominator"),
    ("grad", "(a' x) (b' x) + sqrt(x' x)", "x", (), "denominator"),
    ("grad", "sum(sigmoid(X w) .* y) + lambda ||w||^2", "w", (), "denominator"),
    ("jac", "x' A x", "x", (), "denominator"),
    ("jac", "tr(X' A X)", "X", (), "denominator"),
    ("jac", "sigmoid(W x)", "x", (), "denominator"),
    ("jac", "A X B", "X", (), "denominator"),
    ("jac", "softmax(x)", "x", (), "denominator"),
    ("jac", "X^-1", "X", (), "denominator"),
    ("jac", "x .* y + A x", "x", (), "denominator"),
    ("diff", "tanh(W x)", "x", (), "denominator"),
    ("diff", "exp(t) a + t^2 b", "t", ("t: scalar",), "denominator"),
    ("hess", "x' A x", "x", (), "denominator"),
    ("hess", "1/N ||X w - y||^2", "w", (), "denominator"),
    ("hess", "logsumexp(x)", "x", (), "denominator"),
    ("hess", "tr(X' A X)", "X", (), "denominator"),
    ("hess", "t^3 + exp(t)", "t", ("t: scalar",), "denominator"),
    # long enough that the trace names f's subexpressions (u1, ...) and earlier results (g1, ...)
    ("grad", f"sum({_chain(8)})", "x", ("W: n x n",), "denominator"),
    ("grad", f"sum({_chain(8)})", "W", ("W: n x n",), "denominator"),
    ("grad", "||W3 tanh(W2 h) - y||^2 + lambda (||W1||^2 + ||W2||^2) where h = tanh(W1 x + b)", "W1", (), "denominator"),
    ("grad", "-y' log(softmax(W2 tanh(W1 x + b1) + b2)) + sum(exp(W1 x)) / (x' A x)", "x", (), "denominator"),
    ("jac", _chain(6), "x", ("W: n x n",), "denominator"),
    ("hess", f"sum({_chain(6)})", "x", ("W: n x n",), "denominator"),
]


def _decl(name: str, v: dict) -> str:
    shape = {0: "scalar", 1: " x ".join(map(str, v["shape"])), 2: " x ".join(map(str, v["shape"]))}[len(v["shape"])]
    return f"{name}: {shape}" + (" symmetric" if v["symmetric"] else "")


class Trace:
    """A JSON trace with the inputs to check it at."""

    def __init__(self, kind, expr, wrt, declare, layout, all_steps=False):
        self.r = diff(expr, wrt=wrt, kind=kind, declare=declare, layout=layout, steps=True, all_steps=all_steps)
        self.js = self.r.to_json()
        X = self.js["variables"][self.js["wrt"]]
        self.decls = [_decl(n, v) for n, v in self.js["variables"].items()]
        self.decls.append(_decl("d" + self.js["wrt"], {**X, "symmetric": False}))
        text = self.js["expression"]
        self.where = text[text.index(" where "):] if " where " in text else ""
        typed = analyze(text, self.decls)
        self.f, self.names = typed.expr, typed.names
        self.values = random_inputs(self.r.derivation.typed, np.random.default_rng(7))
        x0 = np.asarray(self.values[self.js["wrt"]], dtype=float)
        self.values["d" + self.js["wrt"]] = np.random.default_rng(8).standard_normal(x0.shape)
        self.defs: list[str] = []  # a long trace's names (u1 = ..., g2 = ...), as its rows give them
        self.f = _plain(self.f)

    def parse(self, text: str, shape=None) -> ir.Expr:
        """A printed expression read back, the names of the rows so far expanded; `shape`
        pins sizes a bare I leaves open."""
        if shape and not any("*" in str(d) for d in shape):
            text = f"zeros({', '.join(map(str, shape))}) + {text}"
        if " where " in text:
            return analyze(text, self.decls).expr
        defs = "; ".join(d for d in [self.where.removeprefix(" where "), *self.defs] if d)
        return _plain(analyze(f"{text} where {defs}" if defs else text, self.decls).expr)

    def learn(self, step: dict) -> None:
        """The names a row gives: each also gets a value, for the rows' numpy code."""
        given = [*step.get("names", {}).items()]
        for name, text in given:
            self.defs.append(f"{name} = {text}")
            self.values[name] = self.value(self.parse(name))

    def learn_result(self, step: dict) -> None:
        if "name" in step:
            self.defs.append(f"{step['name']} = {step['result']}")
            self.values[step["name"]] = self.value(self.parse(step["name"], step["shape"]))

    def value(self, code_or_expr) -> np.ndarray:
        code = code_or_expr if isinstance(code_or_expr, str) else to_numpy(code_or_expr, self.names)
        return evaluate(code, self.values)


def _plain(e: ir.Expr) -> ir.Expr:
    """e with every definition (the user's, and a trace's u1, g2) replaced by what it names."""
    return rewrite(e, lambda old, new: new.a if isinstance(new, ir.Ref) else new)


def _close(got, want, what):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert got.size == want.size, f"{what}: {got.shape} vs {want.shape}"
    got = np.reshape(got, want.shape) if got.ndim == want.ndim or got.ndim < 2 else _vec(got).reshape(want.shape)
    scale = 1 + np.max(np.abs(want), initial=0)
    assert np.max(np.abs(got - want), initial=0) / scale < 1e-5, f"{what}:\n{got}\nvs\n{want}"


def _substituted(t: Trace, whole: ir.Expr, u: ir.Expr, only_kid_of=None) -> tuple[str, ir.Sym]:
    """numpy code for `whole` with u replaced by a free U."""
    U = ir.Sym("Ufree", u.shape)
    seen = []

    def fn(old, new):
        if old is u:
            seen.append(old)
            return U
        return new
    code = to_numpy(rewrite(whole, fn), {**t.names, "Ufree": U})
    assert seen, f"{u} is not a subexpression of {whole}"
    t.values["Ufree"] = t.value(u)
    return code, U


def _check_reverse(t: Trace, step: dict):
    u = t.parse(step["of"])
    code, U = _substituted(t, t.f, u)
    want = numeric_derivative(code, t.values, U)[0]  # ∂f/∂vec(U)ᵀ
    _close(_vec(t.value(step["numpy"])), want, f"{step['expression']} (numpy)")
    _close(_vec(t.value(t.parse(step["result"], step["shape"]))), want, f"{step['expression']} = {step['result']}")
    for e in step["chain"]:
        p = t.parse(e["through"])
        if _uses(p, u) == 1:  # the local Jacobian holds other uses of u fixed
            pcode, U = _substituted(t, p, u)
            J = numeric_derivative(pcode, t.values, U)
            _close(t.value(t.parse(e["jacobian"], e["jacobian_shape"])), J, f"d({e['through']})/d({step['of']})' = {e['jacobian']}")


def _uses(p: ir.Expr, u: ir.Expr) -> int:
    count, seen, stack = 0, set(), [p]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        count += sum(k is u for k in node.kids)
        stack.extend(node.kids)
    return count


def _check_forward(t: Trace, step: dict):
    key = t.js["wrt"]
    code = to_numpy(t.parse(step["of"]), t.names)
    x0 = np.asarray(t.values[key], dtype=float)
    direction = t.values["d" + key] if x0.ndim else 1.0
    h = 1e-6
    up, down = dict(t.values), dict(t.values)
    up[key], down[key] = x0 + h * direction, x0 - h * direction
    want = (evaluate(code, up) - evaluate(code, down)) / (2 * h)
    _close(t.value(step["numpy"]), want, f"{step['expression']} = {step['result']}")
    _close(t.value(t.parse(step["result"], step["shape"])), want, f"{step['expression']} = {step['result']} (text)")


def _check_identify(t: Trace, step: dict):
    code = to_numpy(t.parse(step["of"]), t.names)
    X = t.names[t.js["wrt"]]
    want = numeric_derivative(code, t.values, ir.Sym(X.name, X.shape))  # size(F) × size(X)
    _close(t.value(step["numpy"]), want, f"{step['expression']} = {step['result']}")


@pytest.mark.parametrize("kind, expr, wrt, declare, layout", TRACES, ids=[f"{k} {e} /{w}" for k, e, w, *_ in TRACES])
@pytest.mark.parametrize("all_steps", [False, True], ids=["steps", "all-steps"])
def test_every_step_is_a_true_equation(kind, expr, wrt, declare, layout, all_steps):
    t = Trace(kind, expr, wrt, declare, layout, all_steps)
    steps = t.js["steps"]
    assert steps, "a derivation has at least one step"
    for step in steps:
        assert {"rule", "identity", "expression", "result", "shape", "of", "latex", "numpy"} <= set(step)
        t.learn(step)
        {"reverse": _check_reverse, "forward": _check_forward, "identify": _check_identify}.get(
            step["mode"], lambda t, s: None)(t, step)
        t.learn_result(step)
    # the last step is the answer itself, as printed
    _close(t.value(steps[-1]["numpy"]), t.value(t.js["numpy"]), "last step vs result")


def test_the_seed_trace_reads_like_the_seed():
    """Loss by prediction, the Jacobian of X W by W, the chain rule: with shapes."""
    steps = diff("1/N ||X W - y||^2", wrt="W", kind="grad", steps=True).steps
    by_of = {s["of"]: s for s in steps}
    prediction = by_of["X W"]
    assert prediction["result"] == "2/N (X W - y)" and prediction["shape"] == ["n"]
    last = steps[-1]
    assert last["of"] == "W" and last["result"] == "2/N X' (X W - y)" and last["shape"] == ["m"]
    [edge] = last["chain"]
    assert edge["through"] == "X W" and edge["jacobian"] == "X" and edge["jacobian_shape"] == ["n", "m"]
    assert edge["through_step"] == steps.index(prediction) + 1


def test_bookkeeping_is_folded_unless_asked():
    expr = "||W2 h - y||^2 where h = tanh(W1 x)"
    short = diff(expr, wrt="W1", kind="grad", steps=True).steps
    full = diff(expr, wrt="W1", kind="grad", all_steps=True).steps
    key = lambda s: (s["rule"], s["of"], s["result"])
    assert [s["rule"] for s in full if key(s) not in set(map(key, short))] == ["definition"]
    assert all("through_step" in e for s in short[1:] for e in s["chain"])


def test_a_trace_grows_linearly():
    """sum(tanh(... tanh(W0 x))) with k layers: one step per layer, plus W0 x and W0."""
    for k in (4, 8, 16):
        body = "W0 x"
        for _ in range(k):
            body = f"tanh({body})"
        assert len(diff(f"sum({body})", wrt="W0", kind="grad", steps=True).steps) == k + 2


def test_a_trace_is_computed_once(monkeypatch):
    """The JSON rows and the terminal's table print one Trace: no local Jacobian twice."""
    import io

    from rich.console import Console

    from matcalc import rules, trace
    from matcalc.render import show_result

    builds, jacobians = [], []
    build, local_jacobian = trace.build, rules.local_jacobian
    monkeypatch.setattr(trace, "build", lambda *a: builds.append(a) or build(*a))
    monkeypatch.setattr(rules, "local_jacobian", lambda s: jacobians.append(s) or local_jacobian(s))
    r = diff("1/N ||X W - y||^2", wrt="W", kind="grad", steps=True)
    show_result(r, Console(file=io.StringIO(), width=100, color_system=None))
    assert len(builds) == 1
    assert len(jacobians) == sum(len(s.get("chain", [])) for s in r.steps)


def test_a_traces_json_grows_linearly():
    """sum(tanh(... tanh(W0 x))): a long trace names f's subexpressions and earlier results,
    so a step's JSON stays the same size however deep the chain (each row still checkable
    with the names the rows before it give: test_every_step_is_a_true_equation)."""
    import json

    per_step = []
    for k in (20, 40, 80):
        body = "W0 x"
        for _ in range(k):
            body = f"tanh({body})"
        steps = diff(f"sum({body})", wrt="W0", kind="grad", steps=True).steps
        assert len(steps) == k + 2
        per_step.append(len(json.dumps(steps, ensure_ascii=False)) / len(steps))
    assert max(per_step) < 1.2 * min(per_step), per_step


def test_a_short_trace_writes_each_result_in_full():
    """Below the length that calls for names, nothing is named: each result reads alone."""
    steps = diff("1/N ||X W - y||^2", wrt="W", kind="grad", steps=True).steps
    assert not any("name" in s or "names" in s for s in steps)
    assert steps[-1]["result"] == "2/N X' (X W - y)"


def test_simplifications_are_bookkeeping_steps():
    """--all-steps also shows each named identity the simplifier applied, as before = after."""
    from matcalc import simplify

    names = {r.name for r in simplify.IDENTITIES} | {simplify.FACTOR.name}
    for expr, wrt in (("tr(a b' X)", "X"), ("x' A x", "x")):
        short = diff(expr, wrt=wrt, kind="grad", steps=True).steps
        full = diff(expr, wrt=wrt, kind="grad", all_steps=True).steps
        shown = [s for s in full if s["mode"] == "simplify"]
        assert shown and all(s["rule"] in names and s["expression"] == s["of"] for s in shown)
        assert not any(s["mode"] == "simplify" for s in short)
        assert full[-1]["result"] == short[-1]["result"]  # the trace still ends in the answer


def test_the_left_hand_side_follows_the_layout():
    """Numerator layout of a matrix variable is ∂f/∂Xᵀ; a row Jacobian is ∂f/∂vec(X)ᵀ."""
    numerator = diff("tr(A X)", wrt="X", layout="numerator", steps=True).steps[-1]
    assert numerator["rule"] == "numerator layout" and numerator["expression"] == "df/dX'"
    row = diff("tr(A X)", wrt="X", kind="jac", steps=True).steps[-1]
    assert row["rule"] == "row Jacobian" and row["expression"] == "df/dvec(X)'"


LATEX_TRACES = [  # one of each left-hand side: reverse, forward by a scalar, identify, symmetric, layout
    ("grad", "1/N ||X W - y||^2", "W", (), r"\frac{\partial f}{\partial \mathbf{W}}"),
    ("diff", "exp(t) a + t^2 b", "t", ("t: scalar",), r"}{\mathrm{d} t}"),
    ("jac", "A X B", "X", (), r"{\partial \operatorname{vec}\left(\mathrm{X}\right)^{\top}}"),
    ("grad", "logdet(X)", "X", ("X: n x n symmetric",), r"\nabla_{\mathrm{X}} f"),
    ("jac", "x' A x", "x", (), r"\frac{\partial f}{\partial \mathbf{x}^{\top}}"),
]


@pytest.mark.parametrize("kind, expr, wrt, declare, lhs", LATEX_TRACES, ids=[t[1] for t in LATEX_TRACES])
def test_the_latex_trace_has_a_row_per_step_and_jacobian(kind, expr, wrt, declare, lhs):
    """Without pdflatex (test_latex.py compiles it where it is installed): the shape of the
    align*: f first, one tagged row per step, one row under it per chain-rule Jacobian."""
    from matcalc.printers.steps import steps_latex

    r = diff(expr, wrt=wrt, kind=kind, declare=declare, all_steps=True)
    lines = steps_latex(r.trace).splitlines()
    assert lines[0] == r"\begin{align*}" and lines[-1] == r"\end{align*}"
    assert lines[1].startswith("  f &= ") and lines[-2].startswith(r"  \text{result} &= ")
    jacobians = [e for s in r.steps for e in s.get("chain", []) if "through_step" in e or "term" in e]
    assert len([x for x in lines if x.startswith((r"  &\qquad \frac{\partial", r"  &\qquad \partial"))]) == len(jacobians)
    assert len([x for x in lines if r"\tag*{" in x]) == len(r.steps)
    body = "\n".join(lines)
    assert body.count("{") == body.count("}") and body.count(r"\left") == body.count(r"\right")
    assert lhs in body


def test_a_long_traces_numpy_runs_row_by_row():
    """Each row's numpy code uses the names the rows before it gave (names_numpy, and the
    result of a row that has a name): run in order, the last row is the result."""
    from matcalc.check import evaluate

    r = diff(f"sum({_chain(10)})", wrt="x", kind="grad", declare=["W: n x n"], steps=True)
    rng = np.random.default_rng(0)
    values = {"W": rng.standard_normal((3, 3)) / 2, "x": rng.standard_normal(3)}
    for s in r.steps:
        for name, code in s.get("names_numpy", {}).items():
            values[name] = evaluate(code, values)
        value = evaluate(s["numpy"], values)
        if "name" in s:
            values[s["name"]] = value
    assert any("names_numpy" in s for s in r.steps)
    assert np.allclose(value, evaluate(r.numpy, values))
