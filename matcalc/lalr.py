"""A small LALR(1) parser over the tables in _parse_table.py, which Lark generates from
grammar/matcalc.lark at build time (tools/gen_parser.py): no Lark, no grammar and no
cache file at run time. The lexer is Lark's contextual one, and tokens, trees and
errors have the attributes of Lark's that parse.py uses. Imports nothing from matcalc.
"""
from __future__ import annotations

import re


class Token(str):
    """A piece of the input: its terminal name in `type`, its position 1-based in `column`."""

    def __new__(cls, type, value, start_pos=0, line=1, column=1, end_pos=None):
        tok = super().__new__(cls, value)
        tok.type, tok.value, tok.start_pos, tok.line, tok.column = type, value, start_pos, line, column
        tok.end_pos = start_pos + len(value) if end_pos is None else end_pos
        return tok

    @classmethod
    def new_borrow_pos(cls, type, value, borrow):
        return cls(type, value, borrow.start_pos, borrow.line, borrow.column, borrow.end_pos)

    def __repr__(self):
        return f"Token({self.type!r}, {self.value!r})"


class Meta:
    """Where a tree starts: the line and column of its first token."""

    def __init__(self, first):
        self.empty = first is None
        if first is not None:
            self.line, self.column, self.start_pos = first.line, first.column, first.start_pos


class Tree:
    def __init__(self, data: str, children: list, meta: Meta | None = None):
        self.data, self.children, self.meta = data, children, meta or Meta(None)

    def __repr__(self):
        return f"Tree({self.data!r}, {self.children!r})"


class UnexpectedInput(Exception):
    column = 1


class UnexpectedCharacters(UnexpectedInput):
    def __init__(self, text: str, pos: int, line: int, column: int):
        super().__init__(f"unexpected character {text[pos]!r} at line {line}, column {column}")
        self.pos_in_stream, self.line, self.column = pos, line, column


class UnexpectedToken(UnexpectedInput):
    def __init__(self, token: Token):
        super().__init__(f"unexpected token {token!r} at line {token.line}, column {token.column}")
        self.token, self.line, self.column = token, token.line, token.column


class _Scanner:
    """Lark's patterns for one lexer state: the first alternative that matches wins; a
    terminal with keywords (NAME matching `where`) takes the keyword's type. Compiled
    when first used: a short input visits few of the states."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.patterns = None

    def match(self, text: str, pos: int):
        if self.patterns is None:
            self.patterns = [re.compile(p) for p in self.spec["patterns"]]
            self.keywords = {name: [re.compile(p) for p in ps] for name, ps in self.spec["keywords"].items()}
        for pattern in self.patterns:
            m = pattern.match(text, pos)
            if m:
                type_ = m.lastgroup
                for keyword in self.keywords.get(type_, ()):
                    k = keyword.fullmatch(m.group(0))
                    if k:
                        type_ = k.lastgroup
                        break
                return m.group(0), type_
        return None


class Parser:
    """parse(text, start) -> Tree; `postlex` rewrites the token stream as Lark's does.

    With `build`, a rule's result is build(rule name, kept children) instead of a Tree,
    made as the rule is reduced (rules named _x are inlined as Lark inlines them), so
    that no second walk turns the tree into something else."""

    def __init__(self, tables: dict, postlex=None):
        self.states = [s["actions"] for s in tables["states"]]
        lexers = [_Scanner(spec) for spec in tables["lexers"]]
        self.lexer_of = [lexers[s["lexer"]] for s in tables["states"]]
        self.root_lexer = _Scanner(tables["root_lexer"])
        self.rules = tables["rules"]
        # a rule that passes its one child up unchanged (?expr: term): only the state moves
        self.unit = [size == 1 and expand1 and [tuple(k) for k in keep] == [(0, False)]
                     for _origin, size, _name, expand1, keep in self.rules]
        self.start, self.end = tables["start"], tables["end"]
        self.ignore = frozenset(tables["ignore"])
        self.terminals = tables["terminals"]
        self.postlex = postlex

    def terminal_pattern(self, name: str) -> str:
        return self.terminals[name]

    def parse(self, text: str, start: str, build=None):
        stack = [self.start[start]]
        values: list = []
        tokens = self._lex(text, stack)
        if self.postlex is not None:
            tokens = self.postlex.process(tokens)
        token = None
        for token in tokens:
            self._feed(token, stack, values, build)
        end = Token.new_borrow_pos("$END", "", token) if token else Token("$END", "", 0, 1, 1)
        return self._feed(end, stack, values, build, self.end[start])

    def _lex(self, text: str, stack: list):
        """Tokens, each read with the lexer of the parser state at the time (contextual)."""
        pos, line, column, end = 0, 1, 1, len(text)
        lexer_of, ignore = self.lexer_of, self.ignore
        while pos < end:
            found = lexer_of[stack[-1]].match(text, pos)
            if found is None:
                found = self.root_lexer.match(text, pos)
                if found is None or found[1] in ignore:
                    raise UnexpectedCharacters(text, pos, line, column)
                raise UnexpectedToken(Token(found[1], found[0], pos, line, column))
            value, type_ = found
            if type_ not in ignore:
                yield Token(type_, value, pos, line, column)
            if "\n" in value:
                line, column = line + value.count("\n"), len(value) - value.rfind("\n")
            else:
                column += len(value)
            pos += len(value)

    def _feed(self, token: Token, stack: list, values: list, build=None, end_state: int | None = None):
        states, rules, unit, type_ = self.states, self.rules, self.unit, token.type
        while True:
            action = states[stack[-1]].get(type_)
            if action is None:
                raise UnexpectedToken(token)
            if action >= 0:  # shift
                stack.append(action)
                values.append(token)
                return None
            if unit[-1 - action]:
                stack[-1] = states[stack[-2]][rules[-1 - action][0]]
            else:
                origin, size, name, expand1, keep = rules[-1 - action]
                children = values[len(values) - size:] if size else []
                del stack[len(stack) - size:], values[len(values) - size:]
                values.append(self._build(children, name, expand1, keep, build))
                stack.append(states[stack[-1]][origin])
            if end_state is not None and stack[-1] == end_state:
                return values[-1]

    @staticmethod
    def _build(children: list, name: str, expand1: bool, keep: list, build=None):
        kept = []
        for i, inline in keep:
            if inline:
                kept.extend(children[i].children)
            else:
                kept.append(children[i])
        if expand1 and len(kept) == 1:
            return kept[0]
        if build is None or name.startswith("_"):
            return Tree(name, kept, Meta(_first_position(children)))
        return build(name, kept)


def _first_position(children: list):
    """The first token among the children, dropped ones included, or a child tree's Meta."""
    for c in children:
        if isinstance(c, Token):
            return c
        if isinstance(c, Tree) and not c.meta.empty:
            return c.meta
    return None
