"""Runs the Python package's unit tests (tests/python) and writes their counts as JSON for scripts/test-summary.mjs.

usage: .venv/bin/python scripts/test-python.py <report.json>
"""

import json
import sys
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(report_path: str) -> int:
    tests = str(ROOT / "tests" / "python")
    suite = unittest.defaultTestLoader.discover(tests, top_level_dir=tests)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped) + len(result.expectedFailures)
    report = {
        "total": result.testsRun,
        "passed": result.testsRun - failed - skipped,
        "failed": failed,
        "skipped": skipped,
    }
    Path(report_path).write_text(json.dumps(report) + "\n", encoding="utf-8")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: test-python.py <report.json>", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
