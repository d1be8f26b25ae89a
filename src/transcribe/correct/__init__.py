"""Correct: the researcher's corrections from the review page, applied to transcripts.

    corrections  the corrections file (edit words, give them to another speaker, split and
                 join turns, mark [unclear]) applied to a transcript, timings kept; by word
                 id on the transcript the page showed, else where the words still align
    apply        `transcribe corrections apply`: the corrected transcript written, the one
                 before kept, the file kept to apply again after a later transcription;
                 the word-edit rate of a folder (a study)

The page that makes the file is the review page (`--formats html`, export's).
"""

from .apply import CORRECTIONS_FOLDER, correct_file, corrected_share, reapply
from .corrections import Corrections, apply_corrections, read_corrections

__all__ = ["CORRECTIONS_FOLDER", "Corrections", "apply_corrections", "correct_file", "corrected_share", "read_corrections", "reapply"]
