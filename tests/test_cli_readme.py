"""The README's scripting recipes, run as written: each `$ ` line of a console block
in the Scripting section goes to bash in one scratch directory, in order, and prints
exactly the lines shown under it. A command whose tool (jq, parallel) is missing is
skipped, and so is every later command of its block."""

import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = ("jq", "parallel", "xargs")


def _recipes() -> list[list[tuple[str, str]]]:
    """Each console block of the Scripting section: a list of (command, output)."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    section = readme.split("\n## Scripting\n", 1)[1].split("\n## ", 1)[0]
    blocks = []
    for block in re.findall(r"```console\n(.*?)```", section, re.S):
        steps = []
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append([line[2:], []])
            else:
                steps[-1][1].append(line)
        blocks.append([(cmd, "".join(out + "\n" for out in lines)) for cmd, lines in steps])
    return blocks


RECIPES = _recipes()


def test_the_scripting_section_has_its_recipes():
    commands = " ".join(cmd for block in RECIPES for cmd, _ in block)
    for needed in ("< exprs.txt", "jq", "--input json", "xargs", "parallel", "coproc", "'x^T A x'"):
        assert needed in commands


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("recipes")


@pytest.mark.parametrize("block", RECIPES, ids=[b[-1][0][:40] for b in RECIPES])
def test_a_recipe_prints_what_the_readme_shows(block, scratch):
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    env.pop("COLUMNS", None)
    ran = 0
    for command, shown in block:
        missing = [t for t in TOOLS if re.search(rf"(^|[|;] *){t}\b", command) and not shutil.which(t)]
        if missing:
            break  # later commands may need this one's files
        p = subprocess.run(["bash", "-c", command], cwd=scratch, env=env, capture_output=True, text=True,
                           timeout=60)
        assert (p.returncode, p.stdout) == (0, shown), (command, p.stderr)
        ran += 1
    if ran == 0:
        pytest.skip(f"needs {', '.join(missing)}")
