"""The interview guide: the questions a study's interviews ask, each with a short code name.

Plain text, one question per line, a code name in brackets first if wanted (a line
starting with # is a comment):

    [workday] Could you describe a normal working day?
    How do you plan the work of your team?

or YAML, a list of questions or of {code: ..., question: ...}. A question without a code
is coded Q1, Q2, ... by its place in the guide. English or Norwegian, or both.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import yaml

from ..errors import GuideFileError
from ..transcript import GuideQuestion

_CODED = re.compile(r"^\[([^\]]{1,40})\]\s*(.+)$")
_CODE = re.compile(r"^[\w][\w .-]{0,39}$")


def read_guide(path: Path) -> tuple[list[GuideQuestion], str]:
    """The guide's questions and the SHA-256 of the file. Raises GuideFileError naming
    what is wrong (unreadable, no questions, an entry without a question, a code twice)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise GuideFileError(f"{path.name} cannot be read as an interview guide ({type(error).__name__})") from None
    entries = _yaml_entries(path, text) if path.suffix.lower() in (".yaml", ".yml") else _text_entries(text)
    questions = []
    for number, (code, question) in enumerate(entries, 1):
        question = " ".join(str(question or "").split())
        if not question:
            raise GuideFileError(f"{path.name}: entry {number} has no question")
        code = str(code).strip() if code else f"Q{number}"
        if not _CODE.fullmatch(code):
            raise GuideFileError(f"{path.name}: the code '{code}' of entry {number} is not a short name (letters, digits, ' ', '.', '_', '-')")
        questions.append(GuideQuestion(code, question))
    if not questions:
        raise GuideFileError(f"{path.name} holds no questions")
    codes = [q.code for q in questions]
    if len(set(codes)) < len(codes):
        raise GuideFileError(f"{path.name} names the code '{next(c for c in codes if codes.count(c) > 1)}' twice")
    return questions, hashlib.sha256(text.encode()).hexdigest()


def _text_entries(text: str) -> list[tuple[str | None, str]]:
    entries = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        coded = _CODED.match(line)
        entries.append((coded.group(1), coded.group(2)) if coded else (None, line))
    return entries


def _yaml_entries(path: Path, text: str) -> list[tuple[str | None, str]]:
    try:
        data = yaml.safe_load(text) or []
    except yaml.YAMLError:
        raise GuideFileError(f"{path.name} is not readable YAML") from None
    if isinstance(data, dict) and "questions" in data:
        data = data["questions"]
    if not isinstance(data, list):
        raise GuideFileError(f"{path.name} must be a list of questions (or of code: and question:)")
    entries = []
    for number, item in enumerate(data, 1):
        if isinstance(item, str):
            entries.append((None, item))
        elif isinstance(item, dict) and set(item) <= {"code", "question"}:
            entries.append((item.get("code"), item.get("question", "")))
        else:
            raise GuideFileError(f"{path.name}: entry {number} is neither a question nor code: and question:")
    return entries
