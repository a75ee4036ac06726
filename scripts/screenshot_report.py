"""The README's screenshot of the HTML report, made as the browser test makes its own (tests/browser.py).

Writes the report of the shared bookinfo archive (with one cross-proxy trace) and a PNG of its first screen
as headless Chromium shows it:

    python scripts/screenshot_report.py [--out docs/images/report.png] [--archive PATH] [--full-page]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.browser import BOOKINFO_TRACE, BrowserError, chromium, open_report, write_report  # noqa: E402

ARCHIVE = REPO.parent / "shared" / "fixtures" / "bugreport" / "bookinfo-mesh.tar.gz"


def main(argv: list[str] | None = None) -> int:
    """Write the screenshot; 2 with one line when the archive or Chromium is missing."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(REPO / "docs" / "images" / "report.png"))
    ap.add_argument("--archive", default=str(ARCHIVE))
    ap.add_argument("--full-page", action="store_true", help="the whole page, not only its first screen")
    ap.add_argument("--height", type=int, default=900, help="viewport height in CSS pixels")
    args = ap.parse_args(argv)
    if not Path(args.archive).is_file():
        print(f"screenshot_report: {args.archive}: no such archive", file=sys.stderr)
        return 2
    try:
        with tempfile.TemporaryDirectory() as tmp, chromium(timeout=60, height=args.height) as browser:
            html = write_report(args.archive, Path(tmp) / "report.html", (BOOKINFO_TRACE,))
            page = open_report(browser, html)
            if page.console_errors:
                print(f"screenshot_report: console errors: {page.console_errors}", file=sys.stderr)
                return 1
            out = page.screenshot(args.out, full_page=args.full_page)
    except BrowserError as exc:
        print(f"screenshot_report: {exc}", file=sys.stderr)
        return 2
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
