"""A subset of Opendatasoft's ODSQL `where` language, enough to replay the BOAMP API faithfully.

Supported: comparisons (= != < <= > >=) of a field with a string ("x" or 'x'), a number or date'YYYY-MM-DD';
`field is null` / `is not null`; `and`, `or`, `not`, parentheses. As on the real API, a list field matches
when any of its elements does, and a comparison with a missing value is false. Anything else is a syntax
error, reported as the API does (HTTP 400).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Predicate = Callable[[dict[str, Any]], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<date>date'(?P<dval>[^']*)')
      | "(?P<dq>[^"]*)"
      | '(?P<sq>[^']*)'
      | (?P<num>-?\d+(?:\.\d+)?)
      | (?P<op>>=|<=|!=|=|<|>)
      | (?P<paren>[()])
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


class ODSQLError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, Any]]:
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ODSQLError(f"ODSQL syntax exception: unexpected {text[pos : pos + 10]!r} at {pos}")
        pos = m.end()
        if m.group("date") is not None:
            out.append(("lit", m.group("dval")))
        elif m.group("dq") is not None:
            out.append(("lit", m.group("dq")))
        elif m.group("sq") is not None:
            out.append(("lit", m.group("sq")))
        elif m.group("num") is not None:
            out.append(("lit", m.group("num")))
        elif m.group("op"):
            out.append(("op", m.group("op")))
        elif m.group("paren"):
            out.append((m.group("paren"), m.group("paren")))
        else:
            word = m.group("word")
            out.append(("kw", word.lower()) if word.lower() in ("and", "or", "not", "is", "null") else ("id", word))
    return out


_OPS: dict[str, Callable[[str, str], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _compare(field: str, op: str, literal: str) -> Predicate:
    fn = _OPS[op]

    def pred(record: dict[str, Any]) -> bool:
        value = record.get(field)
        values = value if isinstance(value, list) else [value]
        for item in values:
            if item is None:
                continue
            s = str(item)
            # dates compare on their date part (datetime fields against date'...' literals)
            if len(literal) == 10 and literal[4:5] == "-" and len(s) > 10 and s[4:5] == "-":
                s = s[:10]
            if fn(s, literal):
                return True
        return False

    return pred


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]]):
        self.tokens = tokens
        self.i = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, kind: str, value: Any = None) -> tuple[str, Any]:
        tok = self.peek()
        if tok is None or tok[0] != kind or (value is not None and tok[1] != value):
            raise ODSQLError(f"ODSQL syntax exception: unexpected {tok[1] if tok else 'end'!r}")
        self.i += 1
        return tok

    def expr(self) -> Predicate:
        left = self.conj()
        while self.peek() == ("kw", "or"):
            self.i += 1
            right = self.conj()
            left = (lambda a, b: lambda r: a(r) or b(r))(left, right)
        return left

    def conj(self) -> Predicate:
        left = self.unary()
        while self.peek() == ("kw", "and"):
            self.i += 1
            right = self.unary()
            left = (lambda a, b: lambda r: a(r) and b(r))(left, right)
        return left

    def unary(self) -> Predicate:
        if self.peek() == ("kw", "not"):
            self.i += 1
            inner = self.unary()
            return lambda r: not inner(r)
        if self.peek() and self.peek()[0] == "(":
            self.i += 1
            inner = self.expr()
            self.take(")")
            return inner
        field = self.take("id")[1]
        if self.peek() == ("kw", "is"):
            self.i += 1
            negate = self.peek() == ("kw", "not")
            if negate:
                self.i += 1
            self.take("kw", "null")

            def is_null(r: dict[str, Any]) -> bool:
                return r.get(field) in (None, [], "")

            return (lambda r: not is_null(r)) if negate else is_null
        op = self.take("op")[1]
        literal = self.take("lit")[1]
        return _compare(field, op, literal)


def compile_where(text: str | None) -> Predicate:
    if not text or not text.strip():
        return lambda r: True
    parser = _Parser(_tokens(text))
    pred = parser.expr()
    if parser.peek() is not None:
        raise ODSQLError(f"ODSQL syntax exception: unexpected {parser.peek()[1]!r}")
    return pred
