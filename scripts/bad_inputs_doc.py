"""Write docs/bad-inputs.md from the bad-input test table (tests/security/bad_inputs.py).

Usage: python scripts/bad_inputs_doc.py  (a test fails while the page is out of date)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "security"), str(ROOT / "tests")]

from bad_inputs import render_markdown  # noqa: E402

if __name__ == "__main__":
    (ROOT / "docs" / "bad-inputs.md").write_text(render_markdown(), encoding="utf-8")
    print(f"wrote {ROOT / 'docs' / 'bad-inputs.md'}")
