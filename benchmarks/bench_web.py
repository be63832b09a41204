"""The web workspace under load, on this machine only (127.0.0.1; bounded requests).

    python benchmarks/bench_web.py [WORKERS]      # default 1, as `originrules serve` runs

1. `POST /api/check` of a 50-material UAE BOM from 16 concurrent clients, 40 requests each:
   p50 and p95 latency. Goal (issue 17): p95 <= 50 ms.
2. The check page's first contentful paint in headless Chromium (Debian's chromium and
   chromium-driver). Goal: under 1 s.
"""

from __future__ import annotations

import shutil
import socket
import statistics
import sys
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_check import make_bom  # noqa: E402


CLIENTS, REQUESTS = 16, 40


def serve(workers: int) -> tuple[str, subprocess.Popen[bytes]]:
    """`originrules serve` in a process of its own (the clients here must not share its GIL)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = "import sys; from originrules.cli import run; run(sys.argv[1:])"
    proc = subprocess.Popen([sys.executable, "-c", code, "serve", "--port", str(port), "--workers", str(workers)], stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(base + "/openapi.json", timeout=1)
            return base, proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the workspace did not start")


def load(base: str) -> list[float]:
    body = make_bom(50, 7).canonical_json().encode()

    def client(_: int) -> list[float]:
        times = []
        with httpx.Client(base_url=base, timeout=30) as c:
            for _ in range(REQUESTS):
                t = time.perf_counter()
                r = c.post("/api/check?agreement=UAE", content=body, headers={"content-type": "application/json"})
                times.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text
        return times

    with httpx.Client(base_url=base) as c:  # warm: the ruleset loaded and compiled
        c.post("/api/check?agreement=UAE", content=body, headers={"content-type": "application/json"})
    with ThreadPoolExecutor(CLIENTS) as pool:
        return [t for ts in pool.map(client, range(CLIENTS)) for t in ts]


def first_paint(base: str) -> float | None:
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        return None
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")  # type: ignore[assignment]
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        best = float("inf")
        for _ in range(5):
            driver.get(base + "/")
            for _ in range(50):  # the paint entry is recorded a moment after the load
                entries = driver.execute_script("return performance.getEntriesByName('first-contentful-paint').map(e => e.startTime)")
                if entries:
                    best = min(best, entries[0] / 1000)
                    break
                time.sleep(0.05)
        return best
    finally:
        driver.quit()


def main() -> None:
    workers = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    base, server = serve(workers)
    print(f"originrules serve --workers {workers}")
    try:
        times = sorted(load(base))
        p50, p95 = statistics.median(times), times[int(len(times) * 0.95) - 1]
        print(f"/api/check, 50 materials, {CLIENTS} clients x {REQUESTS}: p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms   goal p95 <= 50 ms: {'met' if p95 <= 0.05 else 'NOT met'}")
        paint = first_paint(base)
        if paint is None:
            print("first paint: chromium not installed")
        else:
            print(f"check page, first contentful paint: {paint * 1000:.0f} ms   goal < 1 s: {'met' if paint < 1 else 'NOT met'}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
