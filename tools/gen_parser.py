"""Write matcalc/_parse_table.py: the LALR tables Lark builds from grammar/matcalc.lark.

    python tools/gen_parser.py            # regenerate after editing the grammar
    python tools/gen_parser.py --check    # exit 1 if the committed tables are stale

Lark runs here, at build time, never at run time: matcalc/lalr.py reads the tables.
Every lexer is written out as the regular expressions Lark itself compiled (terminal
order, priorities, keywords), so the run-time lexer behaves as Lark's contextual one.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR = ROOT / "grammar" / "matcalc.lark"
TARGET = ROOT / "matcalc" / "_parse_table.py"
COMMAND = "python tools/gen_parser.py"
START = ("start", "decls")
ALWAYS_ACCEPT = ("NORMBAR",)  # the terminals parse._NormBars rewrites, lexed in every state


class _Postlex:
    always_accept = ALWAYS_ACCEPT

    def process(self, stream):
        return stream


def _scanner(basic_lexer) -> dict:
    """One lexer: Lark's alternation patterns, and the keyword check behind a terminal."""
    scanner = basic_lexer.scanner  # builds the patterns and the keyword callbacks
    unless = {name: [m.pattern for m in cb.scanner._mres]
              for name, cb in sorted(basic_lexer.callback.items())}
    return {"patterns": [m.pattern for m in scanner._mres], "keywords": unless}


def tables(grammar: str) -> dict:
    import lark
    from lark import Lark

    parser = Lark(grammar, parser="lalr", lexer="contextual", start=list(START),
                  postlex=_Postlex(), maybe_placeholders=False)
    frontend = parser.parser
    contextual = frontend.lexer.lexer
    table = frontend.parser.parser.parse_table
    assert not parser.ignore_tokens or all(t.startswith("__IGNORE") for t in parser.ignore_tokens)

    # Lark numbers states in an order that changes from run to run: number them again,
    # breadth first from the start states, so that the same grammar gives the same file.
    order = []
    for name in START:
        order.append(table.start_states[name])
    for state in order:
        for symbol, (action, arg) in sorted(table.states[state].items()):
            if action.name == "Shift" and arg not in order:
                order.append(arg)
    assert sorted(order) == sorted(table.states)
    number = {state: i for i, state in enumerate(order)}

    lexers, lexer_of = [], {}
    rules, rule_index = [], {}
    states = []
    for state in order:
        lx = contextual.lexers[state]
        if id(lx) not in lexer_of:
            lexer_of[id(lx)] = len(lexers)
            lexers.append(_scanner(lx))
        actions = {}
        for symbol, (action, arg) in sorted(table.states[state].items()):
            if action.name == "Shift":
                actions[symbol] = number[arg]
            else:
                if arg not in rule_index:
                    rule_index[arg] = len(rules)
                    rules.append(_rule(arg))
                actions[symbol] = -1 - rule_index[arg]
        states.append({"lexer": lexer_of[id(lx)], "actions": actions})
    root = _scanner(contextual.root_lexer)

    return {
        "grammar_sha256": hashlib.sha256(grammar.encode("utf-8")).hexdigest(),
        "lark_version": lark.__version__,
        "ignore": sorted(parser.ignore_tokens),
        "terminals": {t.name: t.pattern.to_regexp() for t in sorted(parser.terminals, key=lambda t: t.name)},
        "start": {name: number[table.start_states[name]] for name in START},
        "end": {name: number[table.end_states[name]] for name in START},
        "root_lexer": root,
        "lexers": lexers,
        "rules": rules,
        "states": states,
    }


def _rule(rule) -> list:
    """[origin, length, tree name, expand a single child, kept children as [index, inline]]:
    Lark drops anonymous tokens such as "(" and inlines the children of `_rules`."""
    assert not rule.options.keep_all_tokens, rule
    keep = [[i, not s.is_term and s.name.startswith("_")]
            for i, s in enumerate(rule.expansion) if not (s.is_term and s.filter_out)]
    expand1 = bool(rule.options.expand1 and not rule.alias)
    return [rule.origin.name, len(rule.expansion), rule.alias or rule.origin.name, expand1, keep]


def render(grammar: str) -> str:
    data = json.loads(json.dumps(tables(grammar)))  # plain str, list, dict: Lark's Tokens are str subclasses
    dump = repr  # a Python literal: the bytecode holds the tables, nothing to decode at start-up
    members = []
    for key, value in data.items():
        if key in ("lexers", "rules", "states"):  # one item a line, so a diff shows what moved
            items = ",\n".join(f"        {dump(item)}" for item in value)
            members.append(f"    {dump(key)}: [\n{items}\n    ]")
        else:
            members.append(f"    {dump(key)}: {dump(value)}")
    body = ",\n".join(members)
    return (
        '"""LALR tables for grammar/matcalc.lark: GENERATED, do not edit.\n\n'
        f"Regenerate after editing the grammar:  {COMMAND}\n"
        "(tools/gen_parser.py runs Lark at build time; matcalc/lalr.py reads these tables.)\n"
        '"""\n'
        "\n"
        "TABLES = {\n" + body + "\n}\n"
    )


def stale() -> bool:
    return not TARGET.exists() or TARGET.read_text(encoding="utf-8") != render(GRAMMAR.read_text(encoding="utf-8"))


def main(argv: list[str]) -> int:
    if "--check" in argv:
        if stale():
            print(f"{TARGET.relative_to(ROOT)} is out of date with {GRAMMAR.relative_to(ROOT)}: run {COMMAND}",
                  file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(render(GRAMMAR.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
