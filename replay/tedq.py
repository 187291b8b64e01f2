"""A subset of TED's expert search query language, enough to replay the Search API v3 faithfully.

Supported: `field = value`, `!=`, `<`, `<=`, `>`, `>=`, `field IN (a b c*)` (trailing * = prefix),
`AND`, `OR`, `NOT`, parentheses, and a final `SORT BY field [DESC]`. Dates compare as YYYYMMDD whatever
the stored shape ("2026-09-11+02:00"). A field matches when any of its values does (arrays, multilingual
dicts). Anything else is a QUERY_SYNTAX_ERROR, as the API answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Predicate = Callable[[dict[str, Any]], bool]

_TOKEN = re.compile(r'\s*(?:(?P<q>"[^"]*")|(?P<op>>=|<=|!=|=|<|>)|(?P<p>[()])|(?P<w>[^\s()<>=!"]+))')


class TedQueryError(ValueError):
    pass


def _values(record: dict[str, Any], field: str) -> list[str]:
    value = record.get(field)
    out: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if item is None:
            continue
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        else:
            out.append(str(item))
    return out


def _norm(value: str) -> str:
    if re.match(r"^\d{4}-\d{2}-\d{2}", value):
        return value[:10].replace("-", "")
    return value.lower()


def _tokens(text: str) -> list[tuple[str, str]]:
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise TedQueryError(f"QUERY_SYNTAX_ERROR at column {pos + 1}")
        pos = m.end()
        if m.group("q"):
            out.append(("val", m.group("q")[1:-1]))
        elif m.group("op"):
            out.append(("op", m.group("op")))
        elif m.group("p"):
            out.append((m.group("p"), m.group("p")))
        else:
            word = m.group("w")
            kw = word.upper()
            out.append(("kw", kw) if kw in ("AND", "OR", "NOT", "IN", "SORT", "BY", "DESC", "ASC") else ("val", word))
    return out


_CMP: dict[str, Callable[[str, str], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]):
        self.t = tokens
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.t[self.i] if self.i < len(self.t) else None

    def take(self, kind: str, value: str | None = None) -> str:
        tok = self.peek()
        if tok is None or tok[0] != kind or (value is not None and tok[1] != value):
            raise TedQueryError(f"QUERY_SYNTAX_ERROR near {tok[1] if tok else 'end of query'!r}")
        self.i += 1
        return tok[1]

    def expr(self) -> Predicate:
        left = self.term()
        while self.peek() == ("kw", "OR"):
            self.i += 1
            right = self.term()
            left = (lambda a, b: lambda r: a(r) or b(r))(left, right)
        return left

    def term(self) -> Predicate:
        left = self.factor()
        while self.peek() == ("kw", "AND"):
            self.i += 1
            right = self.factor()
            left = (lambda a, b: lambda r: a(r) and b(r))(left, right)
        return left

    def factor(self) -> Predicate:
        if self.peek() == ("kw", "NOT"):
            self.i += 1
            inner = self.factor()
            return lambda r: not inner(r)
        if self.peek() == ("(", "("):
            self.i += 1
            inner = self.expr()
            self.take(")")
            return inner
        field = self.take("val")
        if self.peek() == ("kw", "IN"):
            self.i += 1
            self.take("(")
            wanted = []
            while self.peek() and self.peek()[0] == "val":
                wanted.append(self.take("val").lower())
            self.take(")")

            def pred_in(r: dict[str, Any]) -> bool:
                for value in (_norm(x) for x in _values(r, field)):
                    for w in wanted:
                        if value == w or (w.endswith("*") and value.startswith(w[:-1])):
                            return True
                return False

            return pred_in
        op = self.take("op")
        literal = _norm(self.take("val"))
        fn = _CMP[op]
        return lambda r: any(fn(_norm(x), literal) for x in _values(r, field))


def compile_query(text: str) -> tuple[Predicate, str | None, bool]:
    """(predicate, sort field, descending) of an expert query."""
    tokens = _tokens(text)
    sort_field, desc = None, False
    if ("kw", "SORT") in tokens:
        at = tokens.index(("kw", "SORT"))
        tail = tokens[at:]
        tokens = tokens[:at]
        if len(tail) < 3 or tail[1] != ("kw", "BY") or tail[2][0] != "val":
            raise TedQueryError("QUERY_SYNTAX_ERROR in SORT BY")
        sort_field = tail[2][1]
        desc = len(tail) > 3 and tail[3] == ("kw", "DESC")
    parser = _Parser(tokens)
    pred = parser.expr() if tokens else (lambda r: True)
    if parser.peek() is not None:
        raise TedQueryError(f"QUERY_SYNTAX_ERROR near {parser.peek()[1]!r}")
    return pred, sort_field, desc
