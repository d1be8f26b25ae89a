"""Guide: answers coded by the interview guide's questions, for coding question by question.

    interview_guide  the guide file: one question per line (a code name in brackets first), or YAML
    matching         which interviewer turn asks which question (multilingual-e5-small sentence
                     embeddings of the turn, and of what the participant answers; offline),
                     the answer up to the next one, low-confidence matches, questions not
                     found or found only with low confidence

The coding is a suggestion: the quality report lists what to check, and the formats for
coding carry it (REFI-QDA codes on the answers, headings in the DOCX, markers for MAXQDA).
"""

from .interview_guide import read_guide
from .matching import code_by_guide, not_found, summary, to_check

__all__ = ["code_by_guide", "not_found", "read_guide", "summary", "to_check"]
