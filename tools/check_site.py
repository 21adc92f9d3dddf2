"""Open the built documentation site in a real headless browser and check that it works.

    python tools/check_site.py                # build with mkdocs --strict, then check
    python tools/check_site.py --site site/   # check an already built site

Needs Chromium and its WebDriver (Debian: ``apt-get install chromium chromium-driver``) and the
``selenium`` package (``nox -s site-check`` installs it). The site is served over HTTP on a
loopback port (the search index is fetched by a web worker, which ``file://`` forbids), and:

1. every page of the site loads: a title, one ``h1``, the navigation, and no severe
   JavaScript error in the browser console;
2. navigation works: from the home page, the side navigation leads to the quickstart and to the
   orders reference, and a model link on the orders page lands on that model's heading;
3. search works: typing an operation name and an error class into the search box lists
   results, and following the first one opens the page that documents it.

Prints what it saw; exits 1 on the first failed check.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class SiteCheckError(Exception):
    pass


def check(condition: object, message: str) -> None:
    if not condition:
        raise SiteCheckError(message)


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port); yield the base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def browser() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver") or "/usr/lib/chromium/chromedriver"
    check(binary, "no chromium on PATH (apt-get install chromium chromium-driver)")
    check(Path(driver_path).exists(), "no chromedriver (apt-get install chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=driver_path), options=options)


def wait_for(driver: Any, css: str, timeout: float = 15.0) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, css))
    )


def severe_console_errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def site_pages(site: Path, base: str) -> list[str]:
    """The URL of every page of the built site (``.../index.html`` with directory URLs)."""
    pages = sorted(p.relative_to(site) for p in site.rglob("index.html"))
    return [base + str(p.parent).removeprefix(".") + ("/" if p.parent != Path(".") else "")
            for p in pages if not str(p).startswith(("assets", "search"))]


def check_pages(driver: Any, site: Path, base: str) -> int:
    from selenium.webdriver.common.by import By

    pages = site_pages(site, base)
    check(len(pages) >= 20, f"the site has only {len(pages)} pages")
    for url in pages:
        driver.get(url)
        wait_for(driver, "article h1")
        title = driver.title
        h1 = driver.find_elements(By.CSS_SELECTOR, "article h1")
        check(title and len(h1) == 1, f"{url}: title {title!r}, {len(h1)} h1")
        check(driver.find_elements(By.CSS_SELECTOR, "nav.md-nav"), f"{url}: no navigation")
        errors = severe_console_errors(driver)
        check(not errors, f"{url}: console errors {errors}")
    return len(pages)


def click_nav(driver: Any, text: str) -> None:
    from selenium.webdriver.common.by import By

    for link in driver.find_elements(By.CSS_SELECTOR, "nav.md-nav--primary a.md-nav__link"):
        if link.get_attribute("textContent").strip() == text:
            driver.execute_script("arguments[0].click();", link)
            return
    raise SiteCheckError(f"no navigation link {text!r}")


def check_navigation(driver: Any, base: str) -> list[str]:
    from selenium.webdriver.common.by import By

    seen = []
    driver.get(base)
    wait_for(driver, "article h1")
    click_nav(driver, "Quickstart")
    wait_for(driver, "article h1")
    h1 = driver.find_element(By.CSS_SELECTOR, "article h1").text
    check(driver.current_url.endswith("/quickstart/") and "Quickstart" in h1,
          f"the Quickstart link led to {driver.current_url} ({h1!r})")
    seen.append(f"Home -> Quickstart: {driver.current_url} ({h1})")
    click_nav(driver, "Orders")
    wait_for(driver, "article h1")
    h1 = driver.find_element(By.CSS_SELECTOR, "article h1").text
    check("/reference/operations/orders/" in driver.current_url and h1.startswith("Orders"),
          f"the Orders link led to {driver.current_url} ({h1!r})")
    seen.append(f"Quickstart -> Orders: {driver.current_url} ({h1})")
    link = driver.find_element(By.CSS_SELECTOR, "a[href*='#createorderv2response']")
    driver.execute_script("arguments[0].click();", link)
    heading = wait_for(driver, "h2#createorderv2response")
    check("CreateOrderV2Response" in heading.text, "the model link has no matching heading")
    seen.append(f"Orders -> model link: {driver.current_url} ({heading.text.strip()})")
    return seen


def check_search(driver: Any, base: str, query: str, expect_in_url: str) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(base)
    wait_for(driver, "article h1")
    toggle = driver.find_element(By.CSS_SELECTOR, "label[for='__search']")
    driver.execute_script("arguments[0].click();", toggle)
    box = wait_for(driver, "input.md-search__input")
    box.clear()
    box.send_keys(query)
    WebDriverWait(driver, 20).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "li.md-search-result__item a")
    )
    results = driver.find_elements(By.CSS_SELECTOR, "li.md-search-result__item a")
    hrefs = [r.get_attribute("href") or "" for r in results]
    check(any(expect_in_url in h for h in hrefs),
          f"search {query!r}: no result under {expect_in_url}: {hrefs[:5]}")
    meta = driver.find_element(By.CSS_SELECTOR, ".md-search-result__meta").text
    first = next(h for h in hrefs if expect_in_url in h)
    driver.get(first)
    wait_for(driver, "article h1")
    check(query.lower() in driver.page_source.lower(), f"{first} does not mention {query!r}")
    return f"search {query!r}: {meta}; followed {first.removeprefix(base)}"


def build(site: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="an already built site directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = args.site or Path(tmp) / "site"
        if args.site is None:
            started = time.perf_counter()
            build(site)
            print(f"built the site with --strict in {time.perf_counter() - started:.1f} s")
        with serve(site) as base:
            driver = browser()
            try:
                count = check_pages(driver, site, base)
                print(f"pages: all {count} pages load (title, one h1, navigation, "
                      "no console errors)")
                for line in check_navigation(driver, base):
                    print(f"navigation: {line}")
                print(check_search(driver, base, "create_order_v2", "reference/operations/orders"))
                print(check_search(driver, base, "OrderAlreadyExistsError", "/"))
            except SiteCheckError as failure:
                print(f"FAILED: {failure}", file=sys.stderr)
                return 1
            finally:
                driver.quit()
    print("the site works in a headless browser")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
