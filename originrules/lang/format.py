"""Canonical text of rule expressions, and the canonical dump of a whole ruleset.

The dump is what the snapshot tests pin: every legal parameter with its source, every rule
with its key, canonical body and citation. A change to a ruleset shows up there as a diff a
reviewer can read.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any


from originrules.hs import CodeRange, CodeSet
from originrules.lang import ast


def codes_text(codes: CodeSet) -> str:
    return ", ".join(str(r) for r in codes.ranges)


def _needs_parens(e: ast.And | ast.Or, parent: str | None) -> bool:
    """`and` binds tighter than `or`, so only an `and` inside an `or` goes bare; other nestings
    (and a group with `until`) keep their parentheses, so that printing and parsing again gives
    the same tree."""
    return parent is not None and not (isinstance(e, ast.And) and parent == "Or")


def expr_text(e: ast.Expr, parent: str | None = None) -> str:
    """One canonical spelling; `and` inside `or` needs no parentheses, `or` inside `and` does."""
    if isinstance(e, (ast.And, ast.Or)):
        word = " and " if isinstance(e, ast.And) else " or "
        text = word.join(expr_text(i, type(e).__name__) for i in e.items)
        return f"({text})" if _needs_parens(e, parent) else text
    if isinstance(e, ast.Shift):
        return e.test + _shift_parts(e.exception, e.tolerance_withheld, e.allowance)
    if isinstance(e, ast.Manufacture):
        head = "manufacture" + (f" from {_codes_written(e.allowed)}" if e.allowed is not None else "")
        return head + _shift_parts(e.exception, e.tolerance_withheld, e.allowance)
    if isinstance(e, ast.WhollyObtained):
        return "WO" + (f" from {_codes_written(e.scope)}" if e.scope is not None else "")
    if isinstance(e, ast.Untranslated):
        return f'untranslated "{e.prose}"'
    if isinstance(e, ast.Dated):
        return _dated_text(expr_text(e.expr, "Dated"), e.until)
    if isinstance(e, ast.Process):
        return f"process({e.name})"
    if isinstance(e, ast.ValueTest):
        args = [a for a in (e.method, e.basis) if a]
        text = e.name + (f"({', '.join(args)})" if args else "")
        if e.scope:
            text += f" from {_codes_written(e.scope)}"
        return f"{text} {e.operator} {e.threshold}"
    if isinstance(e, ast.Call):
        return e.name + (f"({', '.join(str(a) for a in e.args)})" if e.args else "")
    raise TypeError(f"cannot print {e!r}")


def inlined(e: ast.Expr, lets: dict[str, ast.LetDef], env: dict[str, ast.Threshold] | None = None) -> ast.Expr:
    """The rule with every sub-rule written out and its parameters filled in: `va(45%)` becomes
    `(VA(fob) >= 45% or VA(ex_works) >= 40%)`, so a reader sees every alternative."""
    env = env or {}
    if isinstance(e, (ast.And, ast.Or)):
        items: list[ast.Expr] = []
        for i in e.items:
            part = inlined(i, lets, env)
            # `a or (b or c)` reads as `a or b or c`: the same alternatives, side by side
            items.extend(part.items if type(part) is type(e) else (part,))  # type: ignore[union-attr]
        return ast.replace(e, items=tuple(items))
    if isinstance(e, ast.Call):
        let = lets[e.name]
        return inlined(let.body, lets, {p: a.bind(env) for p, a in zip(let.params, e.args)})
    if isinstance(e, ast.ValueTest) and e.threshold.params() <= set(env):
        return ast.replace(e, threshold=ast.Threshold(((1, e.threshold.bind(env).value()),)))
    if isinstance(e, ast.Dated):
        return ast.replace(e, expr=inlined(e.expr, lets, env))
    return e


def _dated_text(inner: str, until: Any) -> str:
    """`CTSH until 2023-12-31`; a group keeps its parentheses: `(CTH and VNM <= 50%) until ...`."""
    return f"{inner} until {until.isoformat()}"


def _prov(p: ast.Provenance) -> dict[str, Any]:
    out: dict[str, Any] = {"source": p.source}
    if p.inferred:
        out["inferred"] = p.note or True
    return out


def dump(rs: ast.Ruleset) -> str:
    """A stable, readable JSON dump of a ruleset's meaning (not its layout or comments)."""
    ag = rs.agreement
    header: dict[str, Any] = {
        "code": ag.code,
        "name": ag.name,
        "instrument": ag.instrument,
        "aliases": list(ag.aliases),
    }
    for p in ag.params:
        if p.keyword == "method":
            name, formula = p.value
            header[f"method {name}"] = {"formula": str(formula), **_prov(p.provenance)}
        elif p.keyword == "treat":
            header[f"treat {', '.join(p.value[0])}"] = {"as": str(p.value[1]), **_prov(p.provenance)}
        elif p.keyword == "de_minimis":
            continue
        elif p.keyword != "aliases":
            values = [list(v) if isinstance(v, tuple) else str(v) for v in p.value]
            header[p.keyword] = {"value": values[0] if len(values) == 1 else values, **_prov(p.provenance)}
    header["de_minimis"] = [
        {
            "percent": str(d.percent),
            "of": d.of,
            "for": codes_text(d.for_codes),
            "except": codes_text(d.except_codes),
            "within_maxnom": d.within_maxnom,
            "below": d.below,
            "covering_wo": d.covers_wo,
            **_prov(d.provenance),
        }
        for d in ag.de_minimis
    ]
    lets = [
        {"name": let.name, "params": list(let.params), "body": expr_text(let.body), "line": let.span.line, **_prov(let.provenance)}
        for let in rs.lets
    ]
    rules = [
        {
            "key": r.key_text,
            "description": r.description,
            "subdivision": r.subdivision,
            "body": expr_text(r.body),
            **({"alternative": expr_text(r.alternative)} if r.alternative is not None else {}),
            "line": r.span.line,
            **_prov(r.provenance),
        }
        for r in rs.rules
    ]
    out: dict[str, Any] = {"agreement": header, "lets": lets, "rules": rules}
    if rs.code_sets:
        out["codes"] = [{"name": c.name, "codes": codes_text(c.codes), **_prov(c.provenance)} for c in rs.code_sets]
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- fmt: the canonical layout

# Lark and the parser are imported by the functions that need them: the printer above is used
# by every report (a rule in full), which should not pay for loading Lark.
if TYPE_CHECKING:
    from lark import Lark, Token


def _codes_written(codes: CodeSet) -> str:
    """Codes as a rule writer reads them: chapters named as such (`chapter 04`), others bare;
    a named `codes` set by its name."""
    if codes.written is not None:
        return codes.written
    parts = []
    for r in codes.ranges:
        if r.digits == 2:
            parts.append(f"chapters {r}" if r.low != r.high else f"chapter {r}")
        else:
            parts.append(str(r))
    return ", ".join(parts)


def _arg_text(a: Any) -> str:
    if isinstance(a, ast.Quoted):
        return f'"{a.text}"'
    return str(a)


def raw_text(e: Any, parent: str | None = None) -> str:
    """The canonical text of a parsed (not yet resolved) rule body."""
    if isinstance(e, (ast.And, ast.Or)):
        word = " and " if isinstance(e, ast.And) else " or "
        text = word.join(raw_text(i, type(e).__name__) for i in e.items)
        return f"({text})" if _needs_parens(e, parent) else text
    if isinstance(e, ast.Term):
        text = e.name
        if e.args is not None:
            text += "(" + ", ".join(_arg_text(a) for a in e.args) + ")"
        if e.scope:
            text += f" from {_codes_written(e.scope)}"
        if e.comparison:
            text += f" {e.comparison[0]} {e.comparison[1]}"
        text += _shift_parts(e.exception, e.tolerance, e.allowance)
        return _dated_text(text, e.until) if e.until is not None else text
    if isinstance(e, ast.Dated):
        return _dated_text(raw_text(e.expr, "Dated"), e.until)
    return expr_text(e, parent)


def _shift_parts(exception: CodeSet | None, withheld: CodeSet | bool | None, allowance: Any = None) -> str:
    """` except 8407 without tolerance for chapters 10-11 allowing 20%`, as a tariff-shift test ends."""
    text = f" except {_codes_written(exception)}" if exception else ""
    if withheld is True:
        text += " without tolerance"
    elif withheld:
        text += f" without tolerance for {_codes_written(withheld)}"
    if isinstance(allowance, CodeSet):
        text += f" allowing {allowance}"
    elif allowance is not None:
        text += f" allowing {allowance}%"
    return text


def _provenance_lines(p: ast.Provenance, indent: str) -> list[str]:
    out = []
    if p.source is not None:
        out.append(f'{indent}source "{p.source}"')
    if p.inferred:
        out.append(f"{indent}inferred" + (f' "{p.note}"' if p.note is not None else ""))
    return out


def _header_item(item: Any) -> tuple[list[str], int]:
    """Canonical lines of one header item, and the line it starts at in the source (0 if unknown)."""
    if isinstance(item, tuple):  # ("instrument", text)
        return [f'    instrument "{item[1]}"'], 0
    kw, values = item.keyword, item.value
    if kw == "method":
        body = f"method {values[0]} = {values[1]}"
    elif kw == "de_minimis":
        below = values[0] == ("below", True)
        pct, of, *opts = values[1:] if below else values
        body = f"de_minimis {'below ' if below else ''}{str(pct).replace(' ', '')} of {of}"
        for name, v in opts:
            body += f" {name} {v}" if name in ("within", "covering") else f" {name} {_codes_written(v)}"
    elif kw == "wo_de_minimis":
        body = f"wo_de_minimis {str(values[0]).replace(' ', '')} of {values[1]}"
    elif kw == "cumulation":
        body = f"cumulation {values[0]}" + (f" with {', '.join(values[1])}" if len(values) > 1 else "")
    elif kw in ("in_force", "hs_edition"):
        body = f"{kw} {values[0]}" + (f" until {values[1]}" if len(values) > 1 else "")
    elif kw == "treat":
        body = f"treat {', '.join(values[0])} as {values[1]}"
    elif kw == "years":
        body = f"years {values[0]}"
    elif kw == "category":
        body = f"category {values[0]} = {path_text(values[1])}"
    else:
        body = f"{kw} {', '.join(values[0])}"
    return [f"    {body}", *_provenance_lines(item.provenance, " " * 8)], item.span.line


def path_text(path: ast.RatePath) -> str:
    """A rate path as written: `45% then linear to 25% years 2-11`."""
    parts = []
    for seg in path.segments:
        if seg.kind in ("immediate", "mfn"):
            parts.append(seg.kind)
        elif seg.kind == "flat":
            parts.append(f"{seg.rate}%" + (f" from year {seg.start}" if seg.start != 1 else ""))
        elif seg.kind == "linear":
            start = f"from {seg.from_rate}% " if seg.from_rate is not None else ""
            parts.append(f"linear {start}to {seg.rate}% years {seg.start}-{seg.end}")
        elif seg.kind == "reduce":
            parts.append(f"reduce by {seg.by}% years {seg.start}-{seg.end}")
        else:
            parts.append(f"category {seg.category}")
    return " then ".join(parts)


def _condition_text(c: ast.Condition) -> str:
    if c.op == "in":
        return f"{c.attribute} in {', '.join(c.values)}"
    if c.op == "is":
        return f"{c.attribute} is {c.values[0]}"
    return f"{c.attribute} {c.op} {c.values[0]}" + (f" {c.unit}" if c.unit else "")


def _tariff_line(line: ast.TariffLine) -> list[str]:
    keys = ", ".join(("ex " if k.ex else "") + str(k.codes) for k in line.keys)
    head = f"line {keys}"
    if line.conditions:
        head += " when " + " and ".join(_condition_text(c) for c in line.conditions)
    if line.description is not None:
        head += f' "{line.description}"'
    head += f": mfn {line.mfn}%" + (f" as of {line.mfn_date.isoformat()}" if line.mfn_date else "")
    out = [head]
    if line.excluded:
        out.append("    excluded")
    for word, path in (("preferential", line.preferential), ("in_quota", line.in_quota), ("out_quota", line.out_quota)):
        if path is not None:
            out.append(f"    {word} {path_text(path)}")
    if line.quota:
        points = []
        for q in line.quota:
            amount = f"{q.amount}"
            points.append({"at": f"{amount} year {q.year}", "rising": f"rising to {amount} year {q.year}", "from": f"{amount} from year {q.year}"}[q.kind])
        out.append(f"    quota {line.quota_unit} " + ", ".join(points))
    return out + _provenance_lines(line.provenance, "    ")


def _statement(kind: str, node: Any) -> list[str]:
    if kind == "tariff_line":
        return _tariff_line(node)
    if kind == "codes":
        q = node.codes.qualifier
        where = "" if q is None else f" where {q[0]}" if q[2] is None else f" where {q[0]} {q[1]} {q[2]}%"
        return [f"codes {node.name} = {_codes_written(node.codes)}{where}", *_provenance_lines(node.provenance, "    ")]
    if kind == "let":
        params = f"({', '.join(node.params)})" if node.params else ""
        return [f"let {node.name}{params} = {raw_text(node.body)}", *_provenance_lines(node.provenance, "    ")]
    keys = "general" if not node.keys else ", ".join(("ex " if k.ex else "") + str(k.codes) for k in node.keys)
    head = keys + (f' "{node.description}"' if node.description is not None else "")
    head += f' subdivision "{node.subdivision}"' if node.subdivision is not None else ""
    alternative = [f"    alternative {raw_text(node.alternative)}"] if node.alternative is not None else []
    return [f"{head}: {raw_text(node.body)}", *_provenance_lines(node.provenance, "    "), *alternative]


_COMMENTS: list[Token] = []


def _comment_lexer() -> Lark:
    from originrules import resources

    global _COMMENT_LARK
    if _COMMENT_LARK is None:
        from lark import Lark

        _COMMENT_LARK = Lark(resources.grammar_text(), parser="lalr", lexer_callbacks={"COMMENT": _COMMENTS.append})
    return _COMMENT_LARK


_COMMENT_LARK: Lark | None = None


def _comments(text: str) -> list[Token]:
    _COMMENTS.clear()
    _comment_lexer().parse(text)
    return list(_COMMENTS)


def format_text(text: str, filename: str = "<string>") -> str:
    """The canonical layout of a ruleset, comments kept. Raises RulesetError if it does not parse."""
    from originrules.lang.parser import parse

    statements = parse(text, filename)
    comments = _comments(text)
    source_lines = text.splitlines()
    chunks: list[tuple[int, int, list[str], bool]] = []  # (first line, last line, lines, inside the header)
    for kind, node in statements:
        if kind in ("agreement", "schedule"):
            if kind == "agreement":
                code, name, items, span = node
                opening = f"agreement {code}"
            else:
                code, importers, name, items, span = node
                opening = f"schedule {code} {', '.join(importers)}"
            chunks.append((span.line, span.line, [opening + (f' "{name}"' if name is not None else "") + " {"], False))
            for item in items:
                lines, start = _header_item(item)
                if not start:  # instrument carries no span: place it just after the opening line
                    start = span.line
                end = item.span.end_line if hasattr(item, "span") else start
                chunks.append((start, end, lines, True))
            chunks.append((span.end_line, span.end_line, ["}"], False))
        else:
            chunks.append((node.span.line, node.span.end_line, _statement(kind, node), False))
    out: list[str] = []
    pending = sorted(comments, key=lambda c: (c.line, c.column))
    previous_end = 0
    for first, last, lines, inside in chunks:
        leading = [c for c in pending if c.line < first or (c.line <= last and c.line != first and c.line != last)]
        trailing = [c for c in pending if c.line == last and c.line >= first and c not in leading and _after_code(source_lines, c)]
        pending = [c for c in pending if c not in leading and c not in trailing]
        block_start = min([first, *(c.line for c in leading)])
        if out and previous_end and any(not source_lines[i - 1].strip() for i in range(previous_end + 1, block_start) if 0 < i <= len(source_lines)):
            if out[-1] != "" and not out[-1].endswith("{"):
                out.append("")
        pad = "    " if inside else ""
        out.extend(pad + str(c).rstrip() for c in leading)
        out.extend(lines)
        if trailing:
            out[-1] += "  " + "  ".join(str(c).rstrip() for c in trailing)
        previous_end = last
    if pending:
        if out and previous_end < len(source_lines) and any(not line.strip() for line in source_lines[previous_end:pending[0].line - 1]):
            out.append("")
        out.extend(str(c).rstrip() for c in pending)
    return "\n".join(out) + "\n"


def _after_code(source_lines: list[str], comment: Token) -> bool:
    """Is this comment at the end of a line that also holds code?"""
    line = source_lines[comment.line - 1] if 0 < comment.line <= len(source_lines) else ""
    return bool(line[: comment.column - 1].strip())


def structure(obj: Any) -> Any:
    """A parse result without positions or source text, for comparing meaning: parse(fmt(x)) == parse(x)."""
    from lark import Token

    if isinstance(obj, Token):
        return str(obj)
    if isinstance(obj, (ast.Node, CodeSet, CodeRange)):
        return (type(obj).__name__,) + tuple((n, structure(getattr(obj, n))) for n in obj.__struct_fields__ if n not in ("span", "text"))
    if isinstance(obj, (list, tuple)):
        return tuple(structure(x) for x in obj if not isinstance(x, ast.Span))
    return obj
