"""What a result is, said from the derivation rather than the flags: its name for people
("gradient", "Jacobian"), its left-hand side in Unicode and LaTeX (∂f/∂x, ∂vec(F)/∂vec(X)ᵀ,
∂²f/∂x∂xᵀ) and the function's letter. The terminal box, JSON's label and the notebook
display read it. Imports ir and the LaTeX printer.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import SCALAR
from .latex import to_latex


@dataclass(frozen=True)
class Head:
    """What a result is, said from the result rather than the flags: a name for people
    ("gradient"), the left-hand side in Unicode and LaTeX, and the function's letter
    (f for a scalar or a vector, F for a matrix)."""

    name: str
    text: str
    latex: str
    f_latex: str
    note: str | None = None  # "vec form", "numerator layout"
    shape_of: str | None = None  # "shape of x" where the name says more than the sizes

    def label(self, shape: list) -> str:
        """gradient ∂f/∂x, shape of x; Jacobian ∂f/∂xᵀ, m × n; ..."""
        note = f" ({self.note})" if self.note else ""
        dims = self.shape_of or (" × ".join(map(str, shape)) if shape else "scalar")
        return f"{self.name} {self.text}{note}, {dims}"


def head(d) -> Head:
    """Read off a derive.Derivation: its kind, whether it is in vec form, and whether the
    layout transposed it (only `diff` lays out; grad, jac and hess have one form each)."""
    F, X = d.typed.expr, d.X
    f, f_tex = ("f", "f") if F.shape == SCALAR else ("f", r"\mathbf{f}") if 1 in F.shape else ("F", r"\mathrm{F}")
    x, x_tex = X.name, to_latex(X)
    row_x = (f"{x}ᵀ", rf"{x_tex}^\top") if X.shape[1] == 1 else (f"vec({x})ᵀ", rf"\operatorname{{vec}}({x_tex})^\top")
    vec_f = (f, f_tex) if 1 in F.shape else (f"vec({f})", rf"\operatorname{{vec}}({f_tex})")

    def frac(top, bottom):
        return f"∂{top[0]}/∂{bottom[0]}", rf"\frac{{\partial {top[1]}}}{{\partial {bottom[1]}}}"

    if d.kind == "hessian":
        if X.shape == SCALAR:
            text, tex = f"∂²f/∂{x}²", rf"\frac{{\partial^2 f}}{{\partial {x_tex}^2}}"
            return Head("second derivative", text, tex, f_tex)
        by = (x, x_tex) if X.shape[1] == 1 else (f"vec({x})", rf"\operatorname{{vec}}({x_tex})")
        text, tex = f"∂²f/∂{by[0]}∂{row_x[0]}", rf"\frac{{\partial^2 f}}{{\partial {by[1]}\, \partial {row_x[1]}}}"
        return Head("Hessian", text, tex, f_tex, "vec form" if d.vec_form else None)
    if d.kind == "derivative":
        return Head("derivative", *frac((f, f_tex), (x, x_tex)), f_tex)
    if d.kind == "gradient":
        if d.command == "diff" and d.layout == "numerator":
            text, tex = frac((f, f_tex), (f"{x}ᵀ", rf"{x_tex}^\top"))
            return Head("gradient transposed", text, tex, f_tex, "numerator layout")
        name = "gradient among symmetric matrices" if X.symmetric else "gradient"
        return Head(name, *frac((f, f_tex), (x, x_tex)), f_tex, shape_of=f"shape of {x}")
    if d.vec_form:
        if F.shape == SCALAR:
            return Head("Jacobian", *frac(vec_f, row_x), f_tex, "vec form")
        return Head("vec form", *frac(vec_f, row_x), f_tex)
    if F.shape != SCALAR and d.command == "diff" and d.layout == "denominator":
        text, tex = frac((f"{f}ᵀ", rf"{f_tex}^\top"), (x, x_tex))
        return Head("Jacobian transposed", text, tex, f_tex, "denominator layout")
    return Head("Jacobian", *frac((f, f_tex), row_x), f_tex)
