"""Quality: how far to trust a transcript, and how accurate a system is.

    report   the quality report of one transcript: share transcribed, unsure words, guards, where to listen again
    metrics  WER (with substitutions, deletions, insertions), cpWER, missing stretches, filler recall
"""

from .metrics import speaker_attributed_wer, wer
from .report import assess, headline

__all__ = ["assess", "headline", "speaker_attributed_wer", "wer"]
