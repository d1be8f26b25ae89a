"""Export: a transcript in the formats coding tools import, written atomically.

    writers   one `Writer` per format (txt, quality, srt, vtt, maxqda, nvivo, docx, html, qdpx, json)
    qdpx      the REFI-QDA project (NVivo, ATLAS.ti, MAXQDA)
    outputs   a transcript's files as one unit: paths, atomic writes, rebuilding what is missing

Private: `_turns` (segments grouped into turns, the lines every text format shares),
`_review_page` (the review page: text beside the recording).
"""

from .outputs import output_paths, read_transcript, write_transcript
from .writers import DEFAULT_FORMATS, WRITERS, parse_formats

__all__ = ["DEFAULT_FORMATS", "WRITERS", "output_paths", "parse_formats", "read_transcript", "write_transcript"]
