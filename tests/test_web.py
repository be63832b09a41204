"""The web workspace: the JSON API in-process, and the user's stories in a real headless Chromium
(Debian's chromium and chromium-driver, driven by Selenium). .ci/run installs them and sets
ORIGINRULES_REQUIRE_BROWSER=1, so CI cannot skip the browser."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

starlette = pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from click.testing import CliRunner  # noqa: E402

from originrules.cli import main  # noqa: E402
from originrules.web.app import create_app  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ARTIFACTS = Path(os.environ.get("ORIGINRULES_ARTIFACTS", Path(__file__).resolve().parent.parent / ".artifacts"))


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return TestClient(create_app(f"sqlite:///{tmp_path / 'web.db'}"), base_url="http://127.0.0.1:8000")


# ---------------------------------------------------------------- the JSON API


def test_api_check_gives_exactly_the_command_lines_json(client: TestClient) -> None:
    for name, agreement in (("motorcycle-uae.json", "UAE"), ("motorcycle-uae-fail.json", "UAE"), ("car-uk.json", "UK")):
        body = (EXAMPLES / name).read_bytes()
        api = client.post(f"/api/check?agreement={agreement}", content=body, headers={"content-type": "application/json"})
        cli = CliRunner().invoke(main, ["check", str(EXAMPLES / name), "-a", agreement, "--format", "json"])
        assert api.status_code == 200
        assert api.text == cli.output


def test_api_bad_input_has_the_command_lines_code_and_message(client: TestClient, tmp_path: Path) -> None:
    bad = json.loads((EXAMPLES / "motorcycle-uae.json").read_text(encoding="utf-8"))
    bad["materials"][0]["value"] = "abc"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    api = client.post("/api/check?agreement=UAE", content=path.read_bytes(), headers={"content-type": "application/json"})
    assert api.status_code == 422 and api.json()["code"] == "BOM001"
    cli = CliRunner().invoke(main, ["check", str(path), "-a", "UAE"])
    assert api.json()["message"].replace("request", str(path)) == cli.output.strip()
    unknown = client.post("/api/check?agreement=NOPE", content=b"{}", headers={"content-type": "application/json"})
    assert unknown.status_code == 400 and unknown.json()["code"] == "CLI001"
    form = client.post("/api/check?agreement=UAE", content=b"{}", headers={"content-type": "text/plain"})
    assert form.status_code == 400 and form.json()["code"] == "WEB003"  # a cross-site form cannot post JSON


def test_a_body_over_20_mb_is_refused_with_413(client: TestClient) -> None:
    big = b'{"x": "' + b"a" * (20 * 1024 * 1024 + 10) + b'"}'
    assert client.post("/api/check?agreement=UAE", content=big, headers={"content-type": "application/json"}).status_code == 413


def test_api_rules_and_compare_and_the_openapi_description(client: TestClient) -> None:
    rule = client.get("/api/rules/UAE/8703").json()
    assert rule["rules"][0]["key"] == "87" and "plain" not in rule and rule["rules"][0]["reading"]
    assert client.get("/api/rules/UAE/87x").status_code == 400
    rows = client.post("/api/compare", content=(EXAMPLES / "car-uk.json").read_bytes(), headers={"content-type": "application/json"}).json()
    assert rows[0]["agreement"] == "UK" and rows[0]["verdict"] == "originating"
    spec = client.get("/openapi.json").json()
    assert set(spec["paths"]) == {"/api/check", "/api/rules/{agreement}/{hs}", "/api/compare"}


def test_every_page_sends_a_strict_content_security_policy_and_forms_need_their_token(client: TestClient) -> None:
    page = client.get("/")
    assert "default-src 'none'" in page.headers["content-security-policy"] and "script-src 'self'" in page.headers["content-security-policy"]
    forged = client.post("/check?csrf=forged", data={"agreement": "UAE"}, files={"bom": ("b.json", b"{}", "application/json")})
    assert forged.status_code == 403 and "WEB001" in forged.text


def test_user_text_is_escaped_on_every_page(client: TestClient) -> None:
    hostile = json.loads((EXAMPLES / "motorcycle-uae.json").read_text(encoding="utf-8"))
    hostile["product"]["description"] = "<script>alert(1)</script>"
    hostile["materials"][0]["description"] = '"><img src=x onerror=alert(1)>'
    token = client.get("/").cookies["csrf"]
    page = client.post(f"/check?csrf={token}", data={"agreement": "UAE"}, files={"bom": ("../../etc/passwd", json.dumps(hostile).encode(), "application/json")})
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "<img src=x" not in page.text


# ---------------------------------------------------------------- only its user can reach it


@pytest.mark.parametrize("host, status", [
    ("127.0.0.1:8000", 200), ("localhost:8000", 200), ("[::1]:8000", 200), ("localhost", 200),
    ("evil.example", 400), ("evil.example:8000", 400), ("127.0.0.1.evil.example", 400), ("localhost.:8000", 400),
])
def test_only_this_computers_own_names_are_answered(client: TestClient, host: str, status: int) -> None:
    # a page that rebinds its own name to 127.0.0.1 still sends its own name as Host
    assert client.get("/declarations", headers={"host": host}).status_code == status


def test_a_host_given_on_the_command_line_is_answered_too(tmp_path: Path) -> None:
    app = TestClient(create_app(f"sqlite:///{tmp_path / 'w.db'}", hosts=("workspace.lan",)), base_url="http://workspace.lan:8000")
    assert app.get("/").status_code == 200
    assert app.get("/", headers={"host": "other.lan"}).status_code == 400


def _token(client: TestClient) -> str:
    client.get("/")
    return client.cookies["csrf"]


@pytest.mark.parametrize("headers", [{"origin": "http://evil.example"}, {"origin": "null"}, {"origin": "http://localhost:9999"}, {"sec-fetch-site": "cross-site"}, {"sec-fetch-site": "same-site"}])
def test_a_post_from_another_sites_page_is_refused_even_with_a_token(client: TestClient, headers: dict[str, str]) -> None:
    token = _token(client)
    sent = client.post(f"/history?csrf={token}", headers=headers)
    assert sent.status_code == 403
    same = client.post(f"/history?csrf={token}", headers={"origin": "http://127.0.0.1:8000", "sec-fetch-site": "same-origin"})
    assert same.status_code == 200


def test_a_csrf_cookie_planted_by_a_page_on_another_port_is_not_accepted(client: TestClient) -> None:
    # cookies do not keep ports apart: a page on localhost:9999 can set "csrf" for this one
    client.cookies.set("csrf", "planted")
    refused = client.post("/history?csrf=planted")
    assert refused.status_code == 403 and "WEB001" in refused.text
    assert client.get("/").cookies["csrf"] != "planted"  # a token of this server's is issued instead


def test_bad_query_and_form_fields_are_400_with_a_code_never_500(client: TestClient) -> None:
    assert client.get("/declarations?within=abc").status_code == 400 and "WEB002" in client.get("/declarations?within=abc").text
    token = _token(client)
    bom = (EXAMPLES / "motorcycle-uae.json").read_text(encoding="utf-8")
    for fields in ({"changes": "["}, {"changes": "5"}, {"m:1:__class__": "x"}, {"m:": "x"}, {"p:product:nosuchfield": "1"}, {"m:1:value": "abc"}):
        answer = client.post(f"/what-if?csrf={token}", data={"bom_json": bom, "agreement": "UAE", **fields})
        assert answer.status_code in (200, 400) and answer.status_code != 500, (fields, answer.status_code)
        assert answer.status_code == 400 or fields == {"changes": "5"}, fields


def test_an_upload_error_names_the_upload_not_the_servers_temporary_path(client: TestClient) -> None:
    token = _token(client)
    page = client.post(f"/declarations?csrf={token}", files={"file": ("ltsd.xlsx", b"not a zip", "application/octet-stream")})
    assert page.status_code == 400 and "not an Excel workbook" in page.text
    assert "/tmp" not in page.text and "upload.xlsx" not in page.text
    bad_csv = client.post(f"/check?csrf={token}", data={"agreement": "UAE"}, files={"bom": ("my-bom.csv", b"id,hs_code\n1,zz\n", "text/csv")})
    assert bad_csv.status_code == 400 and "/tmp" not in bad_csv.text


def test_the_what_if_reads_the_workspaces_own_register(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'own.db'}"
    register = tmp_path / "ltsd.csv"
    register.write_text("supplier,part_number,hs_code,origin,originating,agreement,valid_from,valid_to,reference\n"
                        "Pune Castings,PC-7,840991,IN,true,UAE,2020-01-01,2099-12-31,LTSD-7\n", encoding="utf-8")
    assert CliRunner().invoke(main, ["declarations", "import", str(register), "--db", db]).exit_code == 0
    bom = json.loads((EXAMPLES / "motorcycle-uae.json").read_text(encoding="utf-8"))
    bom["materials"][0].pop("originating", None)
    bom["materials"][0].update(supplier="Pune Castings", part_number="PC-7")
    client = TestClient(create_app(db), base_url="http://127.0.0.1:8000")
    token = _token(client)
    page = client.post(f"/what-if?csrf={token}", data={"bom_json": json.dumps(bom), "agreement": "UAE", "changes": json.dumps(["product.fob=1090"])})
    assert page.status_code == 200 and "declaration LTSD-7" in page.text and "undetermined" not in page.text.lower().split("verdict")[1][:200]


def _raw(url: str, head: str, body_parts: Iterator[bytes], pause: float = 0.0) -> tuple[bytes, int]:
    """Send a request by hand (headers, then the body's parts) and read the answer as soon as
    one comes: (the answer's first bytes, the body bytes sent before it came)."""
    import select

    host, port = url.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head.encode("latin-1"))
        for part in body_parts:
            if select.select([sock], [], [], pause)[0]:
                break
            try:
                sock.sendall(part)
            except OSError:
                break
            sent += len(part)
        sock.settimeout(30)
        try:
            return sock.recv(4096), sent
        except OSError:
            return b"", sent


def _chunks(total: int, size: int = 256 * 1024, first: bytes = b"") -> Iterator[bytes]:
    if first:
        yield f"{len(first):x}\r\n".encode() + first + b"\r\n"
    piece = b"a" * size
    for _ in range(total // size):
        yield f"{size:x}\r\n".encode() + piece + b"\r\n"
    yield b"0\r\n\r\n"


def test_a_chunked_form_without_its_token_is_refused_before_its_body_is_read(server: str) -> None:
    host = server.removeprefix("http://")
    head = f"POST /check HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\nContent-Type: multipart/form-data; boundary=x\r\n\r\n"
    answer, sent = _raw(server, head, _chunks(1024 * 1024 * 1024), pause=0.01)
    assert answer.startswith(b"HTTP/1.1 403") and sent < 64 * 1024 * 1024  # not the gigabyte


def _session(server: str) -> tuple[str, str]:
    import urllib.request

    with urllib.request.urlopen(server + "/") as page:
        cookie = page.headers["set-cookie"].split(";")[0]
    return cookie, cookie.split("=", 1)[1]


def test_a_chunked_body_over_the_limit_is_413_whatever_its_framing(server: str) -> None:
    cookie, token = _session(server)
    host = server.removeprefix("http://")
    head = (f"POST /check?csrf={token} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nTransfer-Encoding: chunked\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\n\r\n")
    part = b'--x\r\nContent-Disposition: form-data; name="bom"; filename="b.json"\r\nContent-Type: application/json\r\n\r\n'
    answer, sent = _raw(server, head, _chunks(64 * 1024 * 1024, first=part))
    assert answer.startswith(b"HTTP/1.1 413")
    api = f"POST /api/check?agreement=UAE HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
    assert _raw(server, api, _chunks(64 * 1024 * 1024))[0].startswith(b"HTTP/1.1 413")


def test_a_body_that_stalls_times_out_and_a_dropped_client_logs_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with _running(create_app(f"sqlite:///{tmp_path / 'w.db'}", body_timeout=1.0)) as url:
        cookie, token = _session(url)
        host = url.removeprefix("http://")
        head = (f"POST /check?csrf={token} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nContent-Length: 100000\r\n"
                "Content-Type: multipart/form-data; boundary=x\r\n\r\n")
        answer, _ = _raw(url, head, iter([b"--x\r\n"]))
        assert answer.startswith(b"HTTP/1.1 408")
        with socket.create_connection((host.split(":")[0], int(host.split(":")[1]))) as sock:  # a client that goes away mid-body
            sock.sendall(head.encode("latin-1") + b"--x\r\nContent-Disposition: form-data; name=\"bom\"")
        time.sleep(1.5)
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")], [r.getMessage() for r in caplog.records]


def test_serve_binds_this_computer_only_unless_told_otherwise() -> None:
    refused = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0"])
    assert refused.exit_code == 2 and "--allow-remote" in refused.output


# ---------------------------------------------------------------- in a real browser

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
needs_browser = pytest.mark.skipif(
    not (CHROMIUM and DRIVER) and not os.environ.get("ORIGINRULES_REQUIRE_BROWSER"),
    reason="Debian's chromium and chromium-driver are not installed (.ci/run installs them)",
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with _running(create_app(f"sqlite:///{tmp_path / 'browser.db'}")) as url:
        yield url


@contextmanager
def _running(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app served by uvicorn on a free port of 127.0.0.1, as `originrules serve` does."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "the workspace did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[object]:
    assert CHROMIUM and DRIVER, "ORIGINRULES_REQUIRE_BROWSER is set but chromium/chromedriver are missing"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1600"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _upload(browser, server: str, path: Path, agreement: str = "") -> str:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(server + "/")
    browser.find_element(By.NAME, "bom").send_keys(str(path))
    Select(browser.find_element(By.NAME, "agreement")).select_by_value(agreement)
    browser.find_element(By.ID, "decide").click()
    return _verdict_when(browser, bool)


def _text_when(browser, how: str, what: str, ready=bool) -> str:  # type: ignore[no-untyped-def]
    """An element's text once it is there and `ready(text)` holds. After a click the page is
    replaced while we look, so an element found a moment ago may belong to the old document:
    Chromium then answers with a stale reference or, as CI saw, an "unhandled inspector error".
    Any WebDriver error is therefore a "not yet" until the deadline."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def text(driver) -> str | bool:  # type: ignore[no-untyped-def]
        value = driver.find_element(how, what).text
        return value if ready(value) else False

    return WebDriverWait(browser, 20, ignored_exceptions=(WebDriverException,)).until(text)  # type: ignore[no-any-return]


def _verdict_when(browser, ready) -> str:  # type: ignore[no-untyped-def]
    return _text_when(browser, "id", "verdict", ready)


@needs_browser
def test_upload_a_bom_and_read_the_verdict_with_a_screenshot(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    assert _upload(browser, server, EXAMPLES / "motorcycle-uae.json", "UAE") == "UAE: originating"
    body = _text_when(browser, By.TAG_NAME, "body")
    assert "VA build-down on FOB = (1,090.00 - 145.00) / 1,090.00 = 86.70% >= 45%" in body  # the same content as the HTML report
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "result-page.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    # all agreements on the BOM's route: the UK car is decided under UK
    assert _upload(browser, server, EXAMPLES / "car-uk.json", "") == "UK: originating"


@needs_browser
def test_flip_a_material_in_the_what_if_and_follow_the_advice(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    assert _upload(browser, server, EXAMPLES / "motorcycle-uae.json", "UAE") == "UAE: originating"
    # the crankcase declared non-originating: decided again at once (the page's script submits)
    # as a user's pick does: the value changes and a change event fires; the page's own script
    # then submits (done in one step here: a driver-side pick races the page it replaces)
    browser.execute_script(
        "const s = document.getElementsByName('m:1:originating')[0]; s.value = 'false';"
        "s.dispatchEvent(new Event('change', {bubbles: true}));"
    )
    assert _verdict_when(browser, lambda text: "hypothetical" in text) == "UAE: originating (hypothetical)"
    body = _text_when(browser, By.TAG_NAME, "body")
    assert "HYPOTHETICAL" in body and "1.originating=false" in body
    # a product that does not originate: the advisor's suggestion is one click
    assert _upload(browser, server, EXAMPLES / "motorcycle-uae-fail.json", "UAE") == "UAE: not originating"
    browser.find_element(By.ID, "apply-advice").click()
    assert _verdict_when(browser, lambda text: "hypothetical" in text) == "UAE: originating (hypothetical)"


@needs_browser
def test_look_up_a_rule_in_every_agreement(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    browser.get(server + "/rules")
    browser.find_element(By.ID, "hs").send_keys("8703.22")
    browser.find_element(By.ID, "look-up").click()
    text = _text_when(browser, By.TAG_NAME, "body", lambda t: "MAURITIUS" in t)
    assert "UK: India–UK Comprehensive Economic and Trade Agreement" in text and "rulesets/india-uk-ceta.roo:" in text
    assert re.search(r"MAURITIUS.*\n.*no rule encoded for chapter 87", text)


@needs_browser
def test_import_declarations_and_see_them_listed(server: str, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    path = tmp_path / "ltsd.csv"
    path.write_text(
        "supplier,part_number,hs_code,origin,originating,agreement,valid_from,valid_to,reference\n"
        "Pune Castings,PC-7,840991,IN,true,UAE,2026-01-01,2099-12-31,LTSD-7\n"
        "Pune Castings,PC-6,840991,IN,true,UAE,2020-01-01,2020-12-31,LTSD-6\n",
        encoding="utf-8",
    )
    browser.get(server + "/declarations")
    browser.find_element(By.ID, "declarations-file").send_keys(str(path))
    browser.find_element(By.ID, "import").click()
    assert _text_when(browser, By.ID, "import-message") == "2 imported, 0 updated, 0 unchanged"
    assert "Pune Castings" in _text_when(browser, By.ID, "declarations")
    # the register marks the declaration that has ended
    status = {r.find_elements(By.TAG_NAME, "td")[0].text: r.find_elements(By.TAG_NAME, "td")[-1].text for r in browser.find_elements(By.CSS_SELECTOR, "#declarations tbody tr")}
    assert status == {"LTSD-7": "valid", "LTSD-6": "expired"}
    browser.get(server + "/history")
    browser.find_element(By.ID, "verify").click()
    assert _text_when(browser, By.ID, "verified") == "0 records, 0 reproduced, 0 not"


def test_the_history_page_marks_a_recorded_what_if_as_hypothetical(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    fail = str(EXAMPLES / "motorcycle-uae-fail.json")
    assert CliRunner().invoke(main, ["check", fail, "-a", "UAE", "--record", "--what-if", "1.origin=IN", "--what-if", "1.originating=true", "--db", db]).exit_code in (0, 1)
    assert CliRunner().invoke(main, ["check", fail, "-a", "UAE", "--record", "--db", db]).exit_code == 1
    page = TestClient(create_app(db), base_url="http://127.0.0.1:8000").get("/history").text
    assert page.count("what-if (1.origin=IN; 1.originating=true): not the BOM as declared") == 1  # the what-if only


# ---------------------------------------------------------------- what an officer files (issue 25, item 6)


def test_api_check_decides_as_on_the_date_asked_and_refuses_a_parameter_it_does_not_know(client: TestClient) -> None:
    body = (EXAMPLES / "motorcycle-uae.json").read_bytes()
    post = lambda query: client.post(f"/api/check?{query}", content=body, headers={"content-type": "application/json"})  # noqa: E731
    dated = post("agreement=UAE&date=2026-12-05")
    cli = CliRunner().invoke(main, ["check", str(EXAMPLES / "motorcycle-uae.json"), "-a", "UAE", "--date", "2026-12-05", "--format", "json"])
    assert dated.status_code == 200 and dated.text == cli.output
    before = post("agreement=UAE&date=2021-01-01")  # the CEPA entered into force on 2022-05-01
    assert before.status_code == 400 and "not in force on 2021-01-01" in before.json()["message"]
    assert post("agreement=UAE&dat=2021-01-01").status_code == 400  # misspelt: never silently "today"
    assert post("agreement=UAE&date=05/12/2026").json()["code"] == "WEB002"


def test_a_result_downloads_as_json_html_and_carotar_and_is_kept_as_a_record(client: TestClient) -> None:
    token = _token(client)
    page = client.post(f"/check?csrf={token}", data={"agreement": "UAE", "date": "2026-12-05"}, files={"bom": ("m.json", (EXAMPLES / "motorcycle-uae-fail.json").read_bytes(), "application/json")})
    assert page.status_code == 200 and "decided as on 2026-12-05" in page.text
    assert 'href="/rules?hs=871120&amp;agreement=UAE"' in page.text  # the rule it was decided under
    bom_json = re.search(r'name="bom_json" value="([^"]*)"', page.text).group(1)  # type: ignore[union-attr]
    import html as html_module

    form = {"agreement": "UAE", "date": "2026-12-05", "bom_json": html_module.unescape(bom_json)}
    got = client.post(f"/download?csrf={token}", data={**form, "format": "json"})
    cli = CliRunner().invoke(main, ["check", str(EXAMPLES / "motorcycle-uae-fail.json"), "-a", "UAE", "--date", "2026-12-05", "--format", "json", "--explain", "full"])
    assert got.headers["content-disposition"].startswith('attachment; filename="decision-uae-871120-')
    assert json.loads(got.text)["verdict"] == json.loads(cli.output)["verdict"] == "not originating"
    assert "<html" in client.post(f"/download?csrf={token}", data={**form, "format": "html"}).text
    assert "CAROTAR" in client.post(f"/download?csrf={token}", data={**form, "format": "carotar"}).text
    kept = client.post(f"/keep?csrf={token}", data=form, follow_redirects=False)
    assert kept.status_code == 303 and kept.headers["location"].startswith("/history/")
    record = client.get(kept.headers["location"])
    assert record.status_code == 200 and "UAE: not originating" in record.text and "2026-12-05" in record.text
    assert client.get("/history/nosuchdecision").status_code == 404


@needs_browser
def test_decide_as_on_a_date_keep_the_result_as_a_record_and_read_it(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(server + "/")
    browser.find_element(By.NAME, "bom").send_keys(str(EXAMPLES / "motorcycle-uae-fail.json"))
    Select(browser.find_element(By.NAME, "agreement")).select_by_value("UAE")
    browser.execute_script("document.getElementById('date').value = '2026-12-05';")
    browser.find_element(By.ID, "decide").click()
    assert _verdict_when(browser, bool) == "UAE: not originating"
    assert "decided as on 2026-12-05" in _text_when(browser, By.TAG_NAME, "body")
    browser.find_element(By.ID, "keep").click()
    assert _text_when(browser, By.ID, "record-verdict") == "UAE: not originating"
    assert "2026-12-05" in _text_when(browser, By.ID, "record")
    assert '"verdict": "not originating"' in _text_when(browser, By.ID, "record-output")


def test_the_agreement_list_can_be_narrowed_to_one_partys_agreements(client: TestClient) -> None:
    # issue 25, item 7: India's seven agreements (and the UK's schemes that name India), not the UK's with third countries
    page = client.get("/?party=IN").text
    listed = set(re.findall(r'<option value="([A-Z][A-Z0-9-]+)">', page.split('id="agreement"')[1].split("</select>")[0]))
    assert {"UAE", "UK", "EFTA", "OMAN", "MAURITIUS", "AUSTRALIA", "ASEAN"} <= listed and "UK-JAPAN" not in listed
    assert page.split('id="agreement"')[1].split("<option")[1].startswith(' value="">all agreements on the BOM')  # the default stays the BOM's route
    assert "UK-JAPAN" in client.get("/").text
    assert client.get("/?party=India").status_code == 400 and client.get("/?country=IN").status_code == 400


@needs_browser
def test_decide_an_ai_chip_order_in_the_workspace(server: str, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    browser.get(server + "/chips")
    browser.find_element(By.ID, "order").send_keys(str(EXAMPLES / "orders" / "h100-india-1000.json"))
    browser.find_element(By.ID, "decide-order").click()
    assert _text_when(browser, By.ID, "chips-verdict") == "NO LICENCE REQUIRED: IN, 1,000 chips under US-AI-DIFFUSION-2025"
    assert "never enforced" in _text_when(browser, By.ID, "chips-caveats")
