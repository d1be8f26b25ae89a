"""The review file: every replacement of one transcript, for the researcher to check.

A CSV (UTF-8 with a byte-order mark, so Excel and LibreOffice read "ø" right), one row
per replacement: decision, time, speaker, kind, original, pseudonym, detector,
confidence, context. The researcher sets `decision` to `reject` where a replacement is
wrong (a common word taken for a name), and adds a row with decision `add`, the `kind`
and the `original` for anything the detectors missed: it is then replaced wherever it is
said in that transcript. `transcribe review apply` pseudonymizes the transcript again
with these decisions; the file is then rewritten with the decisions kept. It holds real
names, so it lives in the study's restricted folder.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..errors import ReviewFileError
from .replace import Decisions, Replacement

COLUMNS = ("decision", "time", "speaker", "kind", "original", "pseudonym", "detector", "confidence", "context")
DECISIONS = ("accept", "reject", "add")
KINDS = ("PERSON", "ORG", "PLACE", "ADDRESS", "PHONE", "ID-NUMBER", "EMAIL", "URL")


def render_review(replacements: list[Replacement]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in replacements:
        writer.writerow([r.decision, f"{r.time:.2f}", r.speaker, r.kind, r.original, r.pseudonym, r.detector, f"{r.confidence:.2f}", r.context])
    return "\ufeff" + out.getvalue()


def read_review(path: Path) -> Decisions:
    """The decisions in a review file (a missing file decides nothing)."""
    if not path.exists():
        return Decisions()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ReviewFileError(f"the review file {path.name} cannot be read ({type(error).__name__})") from None
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t") if text.strip() else csv.excel
    rows = list(csv.DictReader(io.StringIO(text), dialect=dialect))
    missing = {"decision", "time", "kind", "original"} - set(rows[0] if rows else COLUMNS)
    if missing:
        raise ReviewFileError(f"the review file {path.name} lacks the column(s) {', '.join(sorted(missing))}")
    decisions = Decisions()
    for line, row in enumerate(rows, start=2):
        decision = (row.get("decision") or "accept").strip().lower()
        original = (row.get("original") or "").strip()
        kind = (row.get("kind") or "").strip().upper()
        if decision not in DECISIONS:
            raise ReviewFileError(f"the review file {path.name}, line {line}: decision must be accept, reject or add (not '{decision}')")
        if not original:
            raise ReviewFileError(f"the review file {path.name}, line {line}: the original is empty")
        if decision == "add":
            if kind not in KINDS:
                raise ReviewFileError(f"the review file {path.name}, line {line}: kind must be one of {', '.join(KINDS)}")
            if (kind, original) not in decisions.added:
                decisions.added.append((kind, original))
        elif decision == "reject":
            try:
                time = round(float(row.get("time") or ""), 2)
            except ValueError:
                raise ReviewFileError(f"the review file {path.name}, line {line}: the time is not a number") from None
            decisions.rejected.add((time, original.casefold()))
    return decisions
