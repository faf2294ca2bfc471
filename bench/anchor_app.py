"""The start-up anchor for bench/bench.py: a bare typer app with two commands.

matcalc's start-up is reported as a ratio to this app's, run the same way in the same
environment (`python bench/anchor_app.py diff "x' A x" --wrt x`, output into a pipe).
"""
import typer

app = typer.Typer()


@app.command()
def diff(expr: str, wrt: str = typer.Option(..., "--wrt")):
    """Echo the expression."""
    print(f"d/d{wrt} {expr}")


@app.command()
def check(expr: str):
    """Echo the expression."""
    print(expr)


if __name__ == "__main__":
    app()
