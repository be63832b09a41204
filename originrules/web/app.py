"""The local web workspace: routes only. Deciding is the engine's, rendering the report's,
keeping declarations and records the store's; a page shows what they give.

Safety (docs/web.md): every form carries a CSRF token (double-submit cookie), the JSON API
takes only application/json, user text is escaped by Jinja2's autoescape, uploads are read in
memory or written under names of our own, bodies over 20 MB are refused (413), and a strict
Content-Security-Policy allows scripts and styles from this server only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import json
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from originrules.errors import OriginrulesError, Problem
from originrules.safetext import one_line

HERE = Path(__file__).resolve().parent
MAX_BODY = 20 * 1024 * 1024
CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
templates = Jinja2Templates(directory=str(HERE / "templates"))  # autoescape is on for .html


LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")
BODY_TIMEOUT = 30.0  # seconds a request body may pause between two parts before it is refused (408)
HOSTS_ENV = "ORIGINRULES_WEB_HOSTS"  # serve --host NAME, passed down to its worker processes
SECRET_ENV = "ORIGINRULES_WEB_SECRET"  # shared by the worker processes of one `serve`, so a token from one holds in all


class _TooLarge(Exception):
    pass


class _SlowBody(Exception):
    pass


class _Guard:
    """Before any route sees a request: the Host must be this computer (or the host given on the
    command line: a page that rebinds its own name to 127.0.0.1 is refused); a POST must come
    from this origin (Origin, Sec-Fetch-Site) and, for a form, carry the CSRF token in its URL or
    an X-CSRF-Token header, checked against the signed cookie before one byte of the body is
    read. The body is counted while it streams (413 at the limit whatever the framing, chunked
    included) and a body that stalls times out (408). A client that goes away is no error. Every
    answer carries the security headers, and a page its signed CSRF cookie."""

    def __init__(self, app: Any, hosts: tuple[str, ...] = (), secret: bytes = b"", body_timeout: float = BODY_TIMEOUT):
        self.app, self.hosts, self.secret, self.body_timeout = app, {h.lower() for h in (*LOCAL_HOSTS, *hosts)}, secret, body_timeout

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        host = request.headers.get("host", "")
        if _hostname(host) not in self.hosts:
            await PlainTextResponse("this workspace answers only at its own address (Host not allowed)", status_code=400)(scope, receive, send)
            return
        cookie = request.cookies.get("csrf", "")
        valid_cookie = _signed(cookie, self.secret)
        token = cookie if valid_cookie else _new_token(self.secret)
        scope.setdefault("state", {})["csrf"] = token
        refused = self._refusal(request, host, cookie if valid_cookie else "")
        if refused is not None:
            await refused(scope, receive, send)
            return
        started = False

        async def send_guarded(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = CSP
                headers["X-Content-Type-Options"] = "nosniff"
                # not "no-referrer": with it a browser sends "Origin: null" on this site's own forms;
                # same-origin keeps the address (and a form's token in it) from every other site
                headers["Referrer-Policy"] = "same-origin"
                if not valid_cookie:
                    headers.append("Set-Cookie", f"csrf={token}; HttpOnly; Path=/; SameSite=strict")
            await send(message)

        received = 0

        async def receive_counted() -> Any:
            nonlocal received
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout)
            except asyncio.TimeoutError:
                raise _SlowBody from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, receive_counted, send_guarded)
        except (_TooLarge, _SlowBody) as e:
            if not started:
                status, text = (413, "request body over 20 MB") if isinstance(e, _TooLarge) else (408, f"the request body stalled for {self.body_timeout:g} s")
                await PlainTextResponse(text, status_code=status, headers={"Connection": "close"})(scope, receive, send_guarded)
        except ClientDisconnect:
            return  # the client went away: nothing to answer, nothing to log

    def _refusal(self, request: Request, host: str, cookie: str) -> Response | None:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return PlainTextResponse("request body over 20 MB", status_code=413)
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        origin = request.headers.get("origin")
        site = request.headers.get("sec-fetch-site")
        if origin == "null" and site != "same-origin":  # an opaque origin (a sandboxed frame, a data: page) proves nothing
            return PlainTextResponse("a request from an opaque origin is refused (Origin: null)", status_code=403)
        if origin not in (None, "null") and origin.lower() not in (f"http://{host}".lower(), f"https://{host}".lower()):
            return PlainTextResponse("a request from another site's page is refused (Origin)", status_code=403)
        if (site or "same-origin") not in ("same-origin", "none"):
            return PlainTextResponse("a request from another site's page is refused (Sec-Fetch-Site)", status_code=403)
        if not request.url.path.startswith("/api/"):  # a form: its token, before its body
            sent = request.query_params.get("csrf") or request.headers.get("x-csrf-token", "")
            if not cookie or not hmac.compare_digest(sent, cookie):
                return PlainTextResponse("[WEB001] the form's security token is missing or stale: reload the page and try again", status_code=403)
        return None


def _hostname(host: str) -> str:
    """The Host header's name without its port: 127.0.0.1:8000 -> 127.0.0.1, [::1]:8000 -> [::1]."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _new_token(secret: bytes) -> str:
    nonce = secrets.token_urlsafe(18)
    return f"{nonce}.{_mac(nonce, secret)}"


def _signed(token: str, secret: bytes) -> bool:
    """A token this server made: a cookie planted by a page on another port of this computer
    (cookies do not keep ports apart) is not one."""
    nonce, _, mac = token.partition(".")
    return bool(nonce) and hmac.compare_digest(mac, _mac(nonce, secret))


def _mac(nonce: str, secret: bytes) -> str:
    return hmac.new(secret, nonce.encode("ascii", "replace"), "sha256").hexdigest()[:32]


async def _body(request: Request) -> bytes:
    data = b""
    async for chunk in request.stream():  # counted and timed by _Guard as it streams
        data += chunk
    return data


async def _form(request: Request) -> Any:
    """The form (its CSRF token was checked by _Guard before the body was read)."""
    return await request.form(max_part_size=MAX_BODY)


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
        with _uploaded(data, ".csv" if suffix == ".csv" else ".xlsx", name) as path:
            return load_any(path)
    return loads(data, "upload")


@contextmanager
def _uploaded(data: bytes, suffix: str, name: str) -> Iterator[Path]:
    """An upload as a file under a name of ours in a private temporary folder; a problem found
    in it names the upload as the user called it, never the server's temporary path."""
    shown = one_line(Path(name or "upload").name)[:100] or "upload"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            yield path
        except OriginrulesError as e:
            raise type(e)([msgspec.structs.replace(p, where=p.where.replace(str(path), shown).replace(folder, "upload"), message=p.message.replace(str(path), shown).replace(folder, "upload"))
                           for p in e.problems]) from None


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
        decided, _ = _with_register(bom, crs.agreement.code, day, db)
        decision = check(decided, crs, on=day)
        advice = advise(decided, crs, decision=decision) if decision.originating is False else None
        out.append({
            # the full explanation: a "no" shows the value tests that were met too, as an officer files it
            "agreement": crs.agreement.code, "verdict": decision.verdict, "html": html_fragment(decision, "full", advice),
            "advice": advice, "bom": decided, "bom_json": decided.canonical_json(), "what_if": list(decided.what_if),
        })
    return out


def _with_register(bom: Any, agreement: str, day: dt.date, db: str | None) -> tuple[Any, tuple[str, ...]]:
    """The BOM with its materials' status from the workspace's register (where it names suppliers),
    and the declarations used."""
    from originrules.store.declarations import needs_register

    if not needs_register(bom):
        return bom, ()
    from originrules.store import Store

    resolved = Store(db, create=False).resolve(bom, agreement, day)
    return resolved.bom, resolved.used


async def index(request: Request) -> Response:
    """The check form. `?party=IN`: the agreement list holds only the agreements that country is a
    party to (the default choice stays "all agreements on the BOM's route")."""
    from originrules.registry import codes, parties

    try:
        party = _query(request, "party").get("party", "").strip().upper() or None
        if party is not None and not (len(party) == 2 and party.isascii() and party.isalpha()):
            raise OriginrulesError(Problem(f"party: {one_line(party)[:20]!r} is not an ISO 3166 alpha-2 country code", code="WEB002"))
    except OriginrulesError as e:
        return _error_page(request, e)
    return _page(request, "check.html", today=dt.date.today().isoformat(), agreements=codes(party), party=party or "", parties=parties())


async def check_page(request: Request) -> Response:
    try:
        form = await _form(request)
        upload = form.get("bom")
        if upload is None or not hasattr(upload, "read"):
            raise OriginrulesError(Problem("choose a BOM file (JSON, CSV or Excel)", code="WEB002"))
        data = await upload.read()
        bom = _load_upload(upload.filename or "", data)
        day = _day(str(form.get("date") or ""))
        results = _decisions(bom, str(form.get("agreement", "")), day, request.app.state.db)
    except OriginrulesError as e:
        return _error_page(request, e)
    return _page(request, "result.html", results=results, day=day.isoformat())


async def what_if_page(request: Request) -> Response:
    """Re-decide the BOM with the edited fields (or the advisor's changes): hypothetical."""
    from originrules.advice import what_if
    from originrules.bom import loads

    try:
        form = await _form(request)
        bom = loads(str(form.get("bom_json", "")), "what-if")
        agreement = str(form.get("agreement", ""))
        listed = json.loads(str(form.get("changes") or "[]"))
        changes = [c for c in listed if isinstance(c, str)] if isinstance(listed, list) else []
        for key, value in form.multi_items():
            if key.startswith("m:") or key.startswith("p:"):
                target, _, field = key[2:].rpartition(":")
                head = "product" if key.startswith("p:") else target
                current = _current(bom, head, field)
                value = str(value).strip()
                if value != current and value != "":
                    changes.append(f"{head}.{field}={value}")
        changed = what_if(bom, changes) if changes else bom
        day = _day(str(form.get("date") or ""))
        results = _decisions(changed, agreement, day, request.app.state.db)
    except (OriginrulesError, ValueError) as e:
        return _error_page(request, e if isinstance(e, OriginrulesError) else OriginrulesError(Problem(f"what-if: {e}", code="WEB002")))
    return _page(request, "result.html", results=results, day=day.isoformat())


_EDITABLE = {"product": ("fob", "ex_works", "hs_code"), "material": ("originating", "value", "hs_code", "origin")}


def _current(bom: Any, head: str, field: str) -> str:
    """A field's value as the form shows it; a field the form does not offer is a bad request."""
    if field not in _EDITABLE["product" if head == "product" else "material"]:
        raise OriginrulesError(Problem(f"what-if: {field[:40]!r} is not a field the form can change", code="WEB002"))
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
    within_text = request.query_params.get("within", "60") or "60"
    if not within_text.isascii() or not within_text.isdigit() or int(within_text) > 100_000:
        return _error_page(request, OriginrulesError(Problem(f"within: {within_text[:20]!r} is not a number of days (0 to 100000)", code="WEB002")))
    within = int(within_text)
    try:
        store = Store(request.app.state.db)
        if request.method == "POST":
            form = await _form(request)
            upload = form.get("file")
            if upload is None or not hasattr(upload, "read"):
                raise OriginrulesError(Problem("choose a declarations file (CSV or Excel)", code="WEB002"))
            suffix = ".xlsx" if (upload.filename or "").lower().endswith((".xlsx", ".xlsm")) else ".csv"
            with _uploaded(await upload.read(), suffix, upload.filename or "declarations") as path:
                counts = store.import_declarations(str(path))
            message = f"{counts['imported']} imported, {counts['updated']} updated, {counts['unchanged']} unchanged"
        today = dt.date.today()
        rows = [{**d.to_dict(), "status": d.status_on(today)} for d in store.declarations()]
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


def _decided_again(form: Any, db: str | None) -> tuple[Any, dt.date, tuple[str, ...]]:
    """The decision a result page shows, made again from its form (the BOM as decided, the
    agreement, the date): for a download or a record of exactly what was shown."""
    from originrules.bom import loads
    from originrules.engine import check
    from originrules.registry import find

    crs = find(str(form.get("agreement", "")))
    day = _day(str(form.get("date") or ""))
    bom, used = _with_register(loads(str(form.get("bom_json", "")), "result"), crs.agreement.code, day, db)
    return check(bom, crs, on=day), day, used


_DOWNLOADS = {"json": ("application/json", "json"), "html": ("text/html; charset=utf-8", "html"), "carotar": ("text/plain; charset=utf-8", "txt")}


async def download(request: Request) -> Response:
    """The decision as a file to keep: its JSON, its self-contained HTML report, or the CAROTAR worksheet."""
    from originrules.report import render

    try:
        form = await _form(request)
        fmt = str(form.get("format", ""))
        if fmt not in _DOWNLOADS:
            raise OriginrulesError(Problem(f"format: one of {', '.join(_DOWNLOADS)}", code="WEB002"))
        decision, _, _ = _decided_again(form, request.app.state.db)
    except OriginrulesError as e:
        return _error_page(request, e)
    media, ext = _DOWNLOADS[fmt]
    name = f"decision-{decision.agreement.code.lower()}-{decision.bom.product.hs_code}-{decision.decision_id[:12]}.{ext}"
    return Response(render(decision, fmt, explain="full"), media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'})


async def keep(request: Request) -> Response:
    """Keep the decision shown as a record (as `check --record`), then show the record."""
    from originrules.store import Store

    try:
        form = await _form(request)
        decision, day, used = _decided_again(form, request.app.state.db)
        decision_id = Store(request.app.state.db).keep(decision, day, used)
    except OriginrulesError as e:
        return _error_page(request, e)
    return RedirectResponse(f"/history/{decision_id}", status_code=303)


async def chips_page(request: Request) -> Response:
    """An AI-chip export scenario: an order decided under the regime (originrules.chips)."""
    if request.method == "GET":
        return _page(request, "chips.html")
    from originrules.bom import decode
    from originrules.chips import check, load, read_order, whole_numbers
    from originrules.chips.report import parts

    try:
        form = await _form(request)
        upload = form.get("order")
        if upload is None or not hasattr(upload, "read"):
            raise OriginrulesError(Problem("choose an order file (JSON)", code="WEB002"))
        name = one_line(Path(upload.filename or "order.json").name)[:100]
        try:
            text = (await upload.read()).decode("utf-8")
        except UnicodeDecodeError:
            raise OriginrulesError(Problem("cannot read: not UTF-8", name, "CHP010")) from None
        regime = load()
        what_if = [w.strip() for w in str(form.get("what_if") or "").split(",") if w.strip()]
        decision = check(read_order(whole_numbers(decode(text, name)), regime, name), regime, what_if=what_if)
    except OriginrulesError as e:
        return _error_page(request, e)
    headline, facts, trail, caveats = parts(decision)
    return _page(request, "chips.html", result={"headline": headline, "facts": facts, "trail": trail, "caveats": caveats})


async def record_page(request: Request) -> Response:
    """One recorded decision in full: what was recorded, and its report as kept."""
    from originrules.store import Store

    try:
        record = Store(request.app.state.db, create=False).show(request.path_params["decision_id"])
    except OriginrulesError as e:
        return _error_page(request, e)
    if record is None:
        return _error_page(request, OriginrulesError(Problem(f"no record {one_line(request.path_params['decision_id'])[:40]!r}", code="WEB002")), 404)
    return _page(request, "record.html", record=record, decision=json.loads(record["output"]) if record["kind"] == "check" else None)


# ---------------------------------------------------------------- the JSON API


def _api_error(e: OriginrulesError, status: int = 400) -> JSONResponse:
    return JSONResponse({"code": e.code, "message": e.render()}, status_code=status)


def _query(request: Request, *known: str) -> dict[str, str]:
    """The query's parameters, each one the endpoint knows (an unknown one is a 400, not silently
    ignored: `?date=` misspelt would otherwise decide as of today)."""
    unknown = sorted(set(request.query_params) - {*known, "csrf"})
    if unknown:
        raise OriginrulesError(Problem(f"unknown query parameter {', '.join(repr(one_line(u)[:40]) for u in unknown)}: this endpoint takes {', '.join(known)}", code="WEB002"))
    return {k: request.query_params[k] for k in known if k in request.query_params}


def _day(text: str | None) -> dt.date:
    """The decision date: YYYY-MM-DD, else today."""
    from originrules.bom import as_date

    text = (text or "").strip()
    if not text:
        return dt.date.today()
    try:
        return as_date(text, "date")  # type: ignore[return-value]
    except OriginrulesError as e:
        raise OriginrulesError(Problem(f"date: expected YYYY-MM-DD, got {one_line(text or '')[:40]!r}", code="WEB002")) from e


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
        query = _query(request, "agreement", "date")
        crs = find(query.get("agreement", ""))
        day = _day(query.get("date"))
        bom, _ = _with_register(loads(await _json_body(request), "request"), crs.agreement.code, day, request.app.state.db)
        decision = check(bom, crs, on=day)
        advice = advise(bom, crs, decision=decision) if decision.originating is False else None
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
        query = _query(request, "to", "date")
        day = _day(query.get("date"))
        bom = loads(await _json_body(request), "request")
        importer = query.get("to") or bom.product.importing_country
        if not importer:
            raise OriginrulesError(Problem("the BOM names no product.importing_country: give ?to=COUNTRY", code="CLI004"))
        return JSONResponse(compare(bom, importer=importer, on=day))
    except OriginrulesError as e:
        return _api_error(e, 422 if e.code.startswith("BOM") else 400)


async def report_css(request: Request) -> Response:
    """The report's own style sheet (the one its self-contained HTML pages carry)."""
    from originrules.report.markup import CSS

    return Response(CSS, media_type="text/css")


async def openapi(request: Request) -> Response:
    return JSONResponse(json.loads((HERE / "openapi.json").read_text(encoding="utf-8")))


def create_app(db: str | None = None, hosts: tuple[str, ...] = (), body_timeout: float = BODY_TIMEOUT) -> Starlette:
    """The workspace. `hosts`: names it answers to besides this computer's own (serve --host)."""
    secret = os.environ.get(SECRET_ENV, "").encode() or secrets.token_bytes(32)
    hosts = hosts or tuple(h for h in os.environ.get(HOSTS_ENV, "").split(",") if h)
    app = Starlette(
        routes=[
            Route("/", index),
            Route("/check", check_page, methods=["POST"]),
            Route("/what-if", what_if_page, methods=["POST"]),
            Route("/rules", rules_page),
            Route("/declarations", declarations_page, methods=["GET", "POST"]),
            Route("/history", history_page, methods=["GET", "POST"]),
            Route("/history/{decision_id}", record_page),
            Route("/download", download, methods=["POST"]),
            Route("/chips", chips_page, methods=["GET", "POST"]),
            Route("/keep", keep, methods=["POST"]),
            Route("/api/check", api_check, methods=["POST"]),
            Route("/api/rules/{agreement}/{hs}", api_rules),
            Route("/api/compare", api_compare, methods=["POST"]),
            Route("/openapi.json", openapi),
            Route("/static/report.css", report_css),
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ],
        middleware=[Middleware(_Guard, hosts=hosts, secret=secret, body_timeout=body_timeout)],
    )
    app.state.db = db
    return app
