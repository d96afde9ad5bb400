"""`python -m bench [SECTION ...]`: run benchmark sections (default: all) and print their tables."""

from __future__ import annotations

import importlib
import sys

SECTIONS = ("complaints", "knowledge", "bot", "hardening")


def main(argv: list[str]) -> int:
    chosen = argv or list(SECTIONS)
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        print(f"unknown section(s): {', '.join(unknown)}; choose from {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    for section in chosen:
        module = importlib.import_module(f"bench.{section}")
        print(f"\n## {section}\n", flush=True)
        module.main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
