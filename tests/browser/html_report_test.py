#!/usr/bin/env python3
"""The HTML report in a real browser: headless Chromium driven through
chromedriver's W3C WebDriver HTTP API (Python standard library only).

Traces the `leaks` sample, writes its report, loads it, and checks what a
user sees: the flame graph shows leak_small_blocks (leaks.c:20) with its
exact leaked bytes (1,000 B in 10 blocks) in the tooltip, a click zooms on
it, search finds it, and picking the peak and the end in the timeline shows
the 1 MiB block freed in between. Saves screenshots as test artefacts.

Exit status: 0 passed, 1 failed, 77 skipped (Chromium or chromedriver is
not installed; scripts/setup.sh installs both).

Usage: html_report_test.py --cli B/bin/heaptrail --sample B/samples/leaks
           --artifacts DIR [--report REPORT.html]
With --report, only loads that report and prints the time to interactive
(for measuring big traces).
"""
import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SKIP = 77
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--window-size=1280,1500",
    "--hide-scrollbars",
]
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # W3C web element key


class WebDriver:
    """The few WebDriver commands the test needs, over HTTP."""

    def __init__(self, chromium, chromedriver, profile_dir):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.process = subprocess.Popen(
            [chromedriver, f"--port={self.port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        while True:
            try:
                self._call("GET", "/status")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.time() > deadline:
                    raise RuntimeError("chromedriver did not start")
                time.sleep(0.1)
        options = {"binary": chromium,
                   "args": CHROMIUM_FLAGS + [f"--user-data-dir={profile_dir}"]}
        session = self._call("POST", "/session", {
            "capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}})
        self.session = f"/session/{session['sessionId']}"

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
            headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())["value"]
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"WebDriver {method} {path}: {error.read()[:500]}")

    def cmd(self, method, path, body=None):
        return self._call(method, self.session + path, body)

    def script(self, source, *args):
        return self.cmd("POST", "/execute/sync", {"script": source, "args": list(args)})

    def find(self, css):
        found = self.cmd("POST", "/elements", {"using": "css selector", "value": css})
        return [f[ELEMENT] for f in found]

    def click(self, element):
        self.cmd("POST", f"/element/{element}/click", {})

    def hover(self, element):
        self.cmd("POST", "/actions", {"actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [{"type": "pointerMove", "duration": 0,
                         "origin": {ELEMENT: element}, "x": 0, "y": 0}]}]})

    def type(self, element, text):
        self.cmd("POST", f"/element/{element}/value", {"text": text})

    def screenshot(self, path):
        with open(path, "wb") as out:
            out.write(base64.b64decode(self.cmd("GET", "/screenshot")))

    def quit(self):
        try:
            self.cmd("DELETE", "")
        finally:
            self.process.terminate()
            self.process.wait(timeout=10)


def load(driver, report):
    """Opens the report; returns its time to interactive in milliseconds."""
    driver.cmd("POST", "/url", {"url": "file://" + os.path.abspath(report)})
    deadline = time.time() + 30
    while not driver.script("return document.body && document.body.dataset.ready === 'true'"):
        if time.time() > deadline:
            raise AssertionError("the report never became ready")
        time.sleep(0.05)
    return driver.script("return window.heaptrailReadyMs")


def check(condition, message):
    if not condition:
        raise AssertionError(message)
    print("ok:", message)


def run_checks(driver, report, artifacts):
    ready_ms = load(driver, report)
    print(f"time to interactive: {ready_ms:.0f} ms")
    errors = driver.script("return document.querySelectorAll('script[src], link[href]').length")
    check(errors == 0, "the report loads nothing from outside")

    # Flame graph of the leaks.
    driver.click(driver.find("#flame-view option[value=leaked]")[0])
    nodes = driver.find('.fnode[data-name="leak_small_blocks"]')
    check(len(nodes) == 1, "the leaked flame graph has one leak_small_blocks node")
    node = nodes[0]
    check(driver.script("return arguments[0].dataset.value", {ELEMENT: node}) == "1000",
          "leak_small_blocks holds 1000 leaked bytes")
    driver.hover(node)
    tip = driver.script("return document.getElementById('tooltip').innerText")
    check("1,000 B" in tip and "10 blocks" in tip and "leaks.c:20" in tip,
          f"its tooltip gives the exact bytes, blocks and line: {tip!r}")
    driver.screenshot(os.path.join(artifacts, "flame_leaked.png"))

    width = lambda e: driver.script("return arguments[0].getBoundingClientRect().width", {ELEMENT: e})
    panel = driver.find("#flame")[0]
    before = width(node)
    driver.click(node)
    zoomed = driver.find('.fnode[data-name="leak_small_blocks"]')[0]
    check(before < width(panel) / 2 and abs(width(zoomed) - width(panel)) <= 2,
          f"a click zooms on it: {before:.0f}px -> {width(zoomed):.0f}px of {width(panel):.0f}px")
    status = driver.script("return document.getElementById('flame-status').textContent")
    check(status.startswith("1,000 B shown"), f"the status tells the zoomed total: {status!r}")
    driver.screenshot(os.path.join(artifacts, "flame_zoomed.png"))
    driver.click(driver.find("#flame-reset")[0])

    driver.type(driver.find("#flame-search")[0], "leak_small")
    status = driver.script("return document.getElementById('flame-status').textContent")
    check("matched: 1,000 B" in status, f"search finds the leak: {status!r}")
    driver.script("const s = document.getElementById('flame-search'); s.value = '';"
                  "s.dispatchEvent(new Event('input'));")

    driver.click(driver.find("#flame-inverted")[0])
    inverted = driver.find('.fnode[data-name="leak_small_blocks"]')
    check(len(inverted) == 1 and
          driver.script("return arguments[0].dataset.value", {ELEMENT: inverted[0]}) == "1000",
          "the inverted graph keeps its 1000 bytes")
    driver.click(driver.find("#flame-inverted")[0])

    # Timeline: pick the peak, then the end.
    markers = driver.find("#timeline .marker")
    check(len(markers) == 2, "the timeline marks the peak and the end")
    driver.click(driver.find('#timeline .marker[data-moment="peak"] circle')[0])
    driver.click(driver.find('#timeline .marker[data-moment="end"] circle')[0])
    diff = driver.script("return document.getElementById('diff').innerText")
    check("-1,048,576 B" in diff and "leaks.c:42" in diff,
          "the diff of the peak and the end shows the freed 1 MiB block")

    # Tables sort.
    driver.click(driver.find("#sites th")[5])  # Allocated
    first = driver.script("return document.querySelector('#sites tr:nth-child(2) td').innerText")
    check("leaks.c:42" in first, f"sorted by allocated bytes, the 1 MiB line comes first: {first!r}")

    driver.click(driver.find("#flame-view option[value=peak]")[0])
    driver.script("window.scrollTo(0, 0)")
    driver.screenshot(os.path.join(artifacts, "report.png"))
    print("screenshots in", artifacts)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cli", required=True)
    parser.add_argument("--sample")
    parser.add_argument("--artifacts", required=True)
    parser.add_argument("--report")
    args = parser.parse_args()

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = shutil.which("chromedriver")
    if not chromium or not chromedriver:
        print("SKIP: chromium and chromedriver are needed "
              "(Debian: apt-get install chromium chromium-driver; scripts/setup.sh does it)")
        return SKIP

    os.makedirs(args.artifacts, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        report = args.report
        if report is None:
            trace = os.path.join(work, "leaks.trace")
            subprocess.run([args.cli, "run", "-o", trace, "--", args.sample], check=True)
            report = os.path.join(args.artifacts, "leaks.html")
            subprocess.run([args.cli, "html", trace, "-o", report], check=True)
        driver = WebDriver(chromium, chromedriver, os.path.join(work, "profile"))
        try:
            if args.report:
                print(f"time to interactive: {load(driver, report):.0f} ms")
                driver.screenshot(os.path.join(args.artifacts, "big_report.png"))
            else:
                run_checks(driver, report, args.artifacts)
        except AssertionError as failure:
            print("FAILED:", failure)
            return 1
        finally:
            driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
