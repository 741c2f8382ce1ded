"""Opens darkscope's HTML report in headless Chromium (Debian's chromium and
chromium-driver, through Selenium) and prints, as one JSON object, what
tests/report_html.rs checks: the console messages of the page, each chart's
series names, its data marks and how many of them are drawn with a size, and
per series how many pixels of its colour the chart's screenshot holds.
A full-page screenshot is written beside the report (REPORT.png).

Usage: html_check.py REPORT.html, or html_check.py URL SCREENSHOT.png (a
page served over HTTP: the capture daemon's status page). The JSON also
holds every table's rows (cell texts) under its caption.

Before the report, a control page that logs one console error is opened: if
that message does not come back, console capture is broken and the script
fails rather than report a clean console it could not see.
"""

import io
import json
import pathlib
import sys

from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

if sys.argv[1].startswith("http://"):
    url, screenshot = sys.argv[1], pathlib.Path(sys.argv[2]).resolve()
else:
    report = pathlib.Path(sys.argv[1]).resolve()
    url, screenshot = report.as_uri(), report.with_suffix(".png")

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", "--window-size=1200,900"]:
    options.add_argument(flag)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
try:
    driver.get("data:text/html,<!DOCTYPE html><title>probe</title><script>console.error('darkscope-probe')</script>")
    if not any("darkscope-probe" in e.get("message", "") for e in driver.get_log("browser")):
        sys.exit("console capture does not work: the control page's console.error was not seen")

    driver.get(url)
    console = [{"level": e["level"], "message": e["message"]} for e in driver.get_log("browser")]
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1200, min(height + 100, 30000))
    driver.save_screenshot(str(screenshot))

    charts = {}
    for figure in driver.find_elements(By.CSS_SELECTOR, "figure.chart"):
        # The chart itself, without its legend's swatches.
        svg = figure.find_element(By.CSS_SELECTOR, "svg")
        shot = Image.open(io.BytesIO(svg.screenshot_as_png)).convert("RGB").tobytes()
        pixels = [shot[i:i + 3] for i in range(0, len(shot), 3)]
        series = {}
        for group in figure.find_elements(By.CSS_SELECTOR, "g[data-series]"):
            marks = group.find_elements(By.CSS_SELECTOR, ".mark")
            sized = [m for m in marks if m.rect["width"] > 0 and m.rect["height"] > 0]
            colours = {m.get_attribute("fill") for m in marks}
            near = 0
            for colour in colours - {"#8c8c8c"}:
                r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
                near += sum(1 for p in pixels if abs(p[0] - r) < 10 and abs(p[1] - g) < 10 and abs(p[2] - b) < 10)
            series[group.get_attribute("data-series")] = {"marks": len(marks), "sized": len(sized), "pixels": near}
        legend = [li.text for li in figure.find_elements(By.CSS_SELECTOR, "ul.legend li")]
        charts[figure.get_attribute("id")] = {"series": series, "legend": legend,
                                              "width": figure.rect["width"], "height": figure.rect["height"]}
    tables = {}
    for table in driver.find_elements(By.CSS_SELECTOR, "table"):
        caption = table.find_element(By.CSS_SELECTOR, "caption").text
        rows = [[td.text for td in tr.find_elements(By.CSS_SELECTOR, "td")]
                for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")]
        tables.setdefault(caption, rows)
    print(json.dumps({"console": console, "charts": charts, "tables": tables, "screenshot": str(screenshot)}))
finally:
    driver.quit()
