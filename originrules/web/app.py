"""The local web workspace: routes only. Deciding is the engine's, rendering the report's,
keeping declarations and records the store's; a page shows what they give.

Safety (docs/web.md): every form carries a CSRF token (double-submit cookie), the JSON API
takes only application/json, user text is escaped by Jinja2's autoescape, uploads are read in
memory or written under names of our own, bodies over 20 MB are refused (413), and a strict
Content-Security-Policy allows scripts and styles from this server only.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import secrets
import tempfile
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from originrules.errors import OriginrulesError, Problem

HERE = Path(__file__).resolve().parent
MAX_BODY = 20 * 1024 * 1024
CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
templates = Jinja2Templates(directory=str(HERE / "templates"))  # autoescape is on for .html


class _Guard(BaseHTTPMiddleware):
    """Size limit, security headers, and a CSRF cookie for every page."""

    async def dispatch(self, request: Request, call_next: Any) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return PlainTextResponse("request body over 20 MB", status_code=413)
        token = request.cookies.get("csrf") or secrets.token_urlsafe(24)
        request.state.csrf = token
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if "csrf" not in request.cookies:
            response.set_cookie("csrf", token, httponly=True, samesite="strict")
        return response


async def _body(request: Request) -> bytes:
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY:
            raise _TooLarge
    return data


class _TooLarge(Exception):
    pass


async def _form(request: Request) -> Any:
    """The form, after its CSRF token is checked against the cookie."""
    form = await request.form(max_part_size=MAX_BODY)
    sent, cookie = str(form.get("csrf", "")), request.cookies.get("csrf", "")
    if not cookie or not hmac.compare_digest(sent, cookie):
        raise OriginrulesError(Problem("the form's security token is missing or stale: reload the page and try again", code="WEB001"))
    return form


def _page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    from originrules.registry import codes

    context.setdefault("agreements", codes())  # from the headers: a page does not load 43 rulesets
    return templates.TemplateResponse(request, name, {"csrf": request.state.csrf, **context}, status_code=status)


def _error_page(request: Request, e: OriginrulesError, status: int = 400) -> Response:
    return _page(request, "error.html", status=status, problems=[p.render() for p in e.problems], code=e.code)


# ---------------------------------------------------------------- deciding


def _load_upload(name: str, data: bytes) -> Any:
    """A BOM from an upload: JSON read in memory; CSV and Excel through a temporary file whose
    name is ours, never the uploader's."""
    from originrules.bom import loads
    from originrules.inputs import load as load_any

    suffix = Path(name or "").suffix.lower()
    if suffix in (".csv", ".xlsx", ".xlsm"):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"upload{'.csv' if suffix == '.csv' else '.xlsx'}"
            path.write_bytes(data)
            bom = load_any(path)
        return bom
    return loads(data, "upload")


def _decisions(bom: Any, agreement: str, day: dt.date, db: str | None) -> list[dict[str, Any]]:
    """The BOM decided under the agreement, or under every agreement on its route: for each, the
    report's body, the verdict, the advice and the BOM as decided (for the what-if form)."""
    from originrules.advice import advise
    from originrules.batch import covering
    from originrules.engine import check
    from originrules.registry import find
    from originrules.report import html_fragment

    targets = [find(agreement)] if agreement else covering(bom)
    if not targets:
        p = bom.product
        raise OriginrulesError(Problem(f"no shipped agreement covers {p.exporting_country or '?'} to {p.importing_country or '?'}: choose one", code="WEB002"))
    out = []
    for crs in targets:
        decided = _with_register(bom, crs.agreement.code, day, db)
        decision = check(decided, crs, on=day)
        advice = advise(decided, crs, decision=decision) if decision.originating is False else None
        out.append({
            "agreement": crs.agreement.code, "verdict": decision.verdict, "html": html_fragment(decision, "auto", advice),
            "advice": advice, "bom": decided, "bom_json": decided.canonical_json(), "what_if": list(decided.what_if),
        })
    return out


def _with_register(bom: Any, agreement: str, day: dt.date, db: str | None) -> Any:
    from originrules.store.declarations import needs_register

    if not needs_register(bom):
        return bom
    from originrules.store import Store

    return Store(db, create=False).resolve(bom, agreement, day).bom


async def index(request: Request) -> Response:
    return _page(request, "check.html")


async def check_page(request: Request) -> Response:
    try:
        form = await _form(request)
        upload = form.get("bom")
        if upload is None or not hasattr(upload, "read"):
            raise OriginrulesError(Problem("choose a BOM file (JSON, CSV or Excel)", code="WEB002"))
        data = await upload.read()
        bom = _load_upload(upload.filename or "", data)
        results = _decisions(bom, str(form.get("agreement", "")), dt.date.today(), request.app.state.db)
    except OriginrulesError as e:
        return _error_page(request, e)
    return _page(request, "result.html", results=results)


async def what_if_page(request: Request) -> Response:
    """Re-decide the BOM with the edited fields (or the advisor's changes): hypothetical."""
    from originrules.advice import what_if
    from originrules.bom import loads

    try:
        form = await _form(request)
        bom = loads(str(form.get("bom_json", "")), "what-if")
        agreement = str(form.get("agreement", ""))
        changes = [c for c in json.loads(str(form.get("changes") or "[]")) if isinstance(c, str)]
        for key, value in form.multi_items():
            if key.startswith("m:") or key.startswith("p:"):
                target, field = key[2:].rsplit(":", 1)
                head = "product" if key.startswith("p:") else target
                current = _current(bom, head, field)
                value = str(value).strip()
                if value != current and value != "":
                    changes.append(f"{head}.{field}={value}")
        changed = what_if(bom, changes) if changes else bom
        results = _decisions(changed, agreement, dt.date.today(), None)
    except (OriginrulesError, ValueError) as e:
        return _error_page(request, e if isinstance(e, OriginrulesError) else OriginrulesError(Problem(f"what-if: {e}", code="WEB002")))
    return _page(request, "result.html", results=results)


def _current(bom: Any, head: str, field: str) -> str:
    if head == "product":
        value = getattr(bom.product, field)
    else:
        m = next((m for m in bom.materials if m.id == head), None)
        value = None if m is None else getattr(m, field)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


# ---------------------------------------------------------------- rules, declarations, history


async def rules_page(request: Request) -> Response:
    from originrules.hs import normalise
    from originrules.registry import find, shipped
    from originrules.report.rules import rule_info

    hs = request.query_params.get("hs", "").strip()
    agreement = request.query_params.get("agreement", "")
    rows = []
    if hs:
        code = normalise(hs)
        if code is None or not 2 <= len(code) <= 10:
            return _error_page(request, OriginrulesError(Problem(f"{hs!r} is not an HS code (2 to 10 digits)", code="WEB002")))
        try:
            targets = [find(agreement)] if agreement else list(shipped().values())
        except OriginrulesError as e:
            return _error_page(request, e)
        rows = [rule_info(crs, code) for crs in targets]
    return _page(request, "rules.html", hs=hs, agreement=agreement, rows=rows)


async def declarations_page(request: Request) -> Response:
    from originrules.store import Store

    message = None
    within = int(request.query_params.get("within", "60") or 60)
    try:
        store = Store(request.app.state.db)
        if request.method == "POST":
            form = await _form(request)
            upload = form.get("file")
            if upload is None or not hasattr(upload, "read"):
                raise OriginrulesError(Problem("choose a declarations file (CSV or Excel)", code="WEB002"))
            suffix = ".xlsx" if (upload.filename or "").lower().endswith((".xlsx", ".xlsm")) else ".csv"
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"declarations{suffix}"
                path.write_bytes(await upload.read())
                counts = store.import_declarations(str(path))
            message = f"{counts['imported']} imported, {counts['updated']} updated, {counts['unchanged']} unchanged"
        today = dt.date.today()
        rows = [d.to_dict() for d in store.declarations()]
        expiring = store.impact(store.expiring(today, within), today)
    except OriginrulesError as e:
        return _error_page(request, e)
    return _page(request, "declarations.html", rows=rows, expiring=expiring, within=within, message=message)


async def history_page(request: Request) -> Response:
    from originrules.store import Store

    verified = None
    try:
        store = Store(request.app.state.db, create=False)
        if request.method == "POST":
            await _form(request)
            count, bad, head = store.verify()
            verified = {"count": count, "bad": bad, "failed": len({b["id"] for b in bad if b["id"] is not None}), "head": head}
        rows = store.history(request.query_params.get("product") or None)
    except OriginrulesError as e:
        return _error_page(request, e)
    return _page(request, "history.html", rows=rows, verified=verified)


# ---------------------------------------------------------------- the JSON API


def _api_error(e: OriginrulesError, status: int = 400) -> JSONResponse:
    return JSONResponse({"code": e.code, "message": e.render()}, status_code=status)


async def _json_body(request: Request) -> bytes:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise OriginrulesError(Problem("send the BOM as JSON, with Content-Type: application/json", code="WEB003"))
    return await _body(request)


async def api_check(request: Request) -> Response:
    """Exactly what `originrules check --format json` prints."""
    from originrules.advice import advise
    from originrules.bom import loads
    from originrules.engine import check
    from originrules.registry import find
    from originrules.report import render

    try:
        crs = find(request.query_params.get("agreement", ""))
        bom = _with_register(loads(await _json_body(request), "request"), crs.agreement.code, dt.date.today(), request.app.state.db)
        decision = check(bom, crs, on=dt.date.today())
        advice = advise(bom, crs, decision=decision) if decision.originating is False else None
    except _TooLarge:
        return PlainTextResponse("request body over 20 MB", status_code=413)
    except OriginrulesError as e:
        return _api_error(e, 422 if e.code.startswith("BOM") else 400)
    return Response(render(decision, "json", advice=advice), media_type="application/json")


async def api_rules(request: Request) -> Response:
    from originrules.hs import normalise
    from originrules.registry import find
    from originrules.report.rules import rule_info

    code = normalise(request.path_params["hs"])
    try:
        if code is None or not 2 <= len(code) <= 10:
            raise OriginrulesError(Problem(f"{request.path_params['hs']!r} is not an HS code (2 to 10 digits)", code="CLI003"))
        return JSONResponse(rule_info(find(request.path_params["agreement"]), code))
    except OriginrulesError as e:
        return _api_error(e)


async def api_compare(request: Request) -> Response:
    from originrules.bom import loads
    from originrules.tariff import compare

    try:
        bom = loads(await _json_body(request), "request")
        importer = request.query_params.get("to") or bom.product.importing_country
        if not importer:
            raise OriginrulesError(Problem("the BOM names no product.importing_country: give ?to=COUNTRY", code="CLI004"))
        return JSONResponse(compare(bom, importer=importer))
    except _TooLarge:
        return PlainTextResponse("request body over 20 MB", status_code=413)
    except OriginrulesError as e:
        return _api_error(e, 422 if e.code.startswith("BOM") else 400)


async def report_css(request: Request) -> Response:
    """The report's own style sheet (the one its self-contained HTML pages carry)."""
    from originrules.report.markup import CSS

    return Response(CSS, media_type="text/css")


async def openapi(request: Request) -> Response:
    return JSONResponse(json.loads((HERE / "openapi.json").read_text(encoding="utf-8")))


def create_app(db: str | None = None) -> Starlette:
    app = Starlette(
        routes=[
            Route("/", index),
            Route("/check", check_page, methods=["POST"]),
            Route("/what-if", what_if_page, methods=["POST"]),
            Route("/rules", rules_page),
            Route("/declarations", declarations_page, methods=["GET", "POST"]),
            Route("/history", history_page, methods=["GET", "POST"]),
            Route("/api/check", api_check, methods=["POST"]),
            Route("/api/rules/{agreement}/{hs}", api_rules),
            Route("/api/compare", api_compare, methods=["POST"]),
            Route("/openapi.json", openapi),
            Route("/static/report.css", report_css),
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ],
        middleware=[Middleware(_Guard)],
    )
    app.state.db = db
    return app
