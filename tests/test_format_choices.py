"""Every choice of `--formats`, with and without `--study` and `--pseudonymize`: the run
ends with exit 0, writes exactly the files asked for, and its summary names them (a run
without the quality report or the .txt used to fail after all the work)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from synthetic import write_wav
from test_handoff import every_text_in
from test_reliability import FakePipeline

from transcribe import cli
from transcribe.export.writers import WRITERS
from transcribe.quality.report import assess

DERIVED = [name for name in WRITERS if name != "json"]
# Each format alone, each left out of all of them, none but the JSON, and the default.
CHOICES = [[name] for name in DERIVED] + [[n for n in DERIVED if n != left] for left in DERIVED] + [[], None]
SUFFIX = {"txt": ".txt", "quality": ".quality.txt", "srt": ".srt", "vtt": ".vtt", "maxqda": ".maxqda.txt",
          "nvivo": ".nvivo.txt", "docx": ".docx", "html": ".html", "qdpx": ".qdpx"}
MODES = {"plain": [], "study": ["--study", "calls"], "pseudonymized": ["--study", "calls", "--pseudonymize", "--key", "KEY"]}


@pytest.fixture
def recording(tmp_path, monkeypatch) -> Path:
    import transcribe.pipeline

    monkeypatch.setattr(transcribe.pipeline, "Pipeline", lambda settings, store: AssessedPipeline("My name is Kari Nordmann."))
    path = tmp_path / "interview.wav"
    write_wav(path, 0.3 * np.sin(np.arange(16000 * 3) / 5))
    (tmp_path / "key.yaml").write_text("ner: none\npeople: [Kari Nordmann]\n")
    return path


class AssessedPipeline(FakePipeline):
    """The fake transcript with its quality report, as the real pipeline makes it."""

    def transcribe(self, audio, diarization=None, hook=None):
        transcript = super().transcribe(audio, diarization, hook)
        transcript.quality = assess(transcript, self.settings.conventions.unclear_below)
        return transcript


def names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.is_file()} if folder.is_dir() else set()


def test_the_suffixes_cover_every_format():
    assert set(SUFFIX) == set(DERIVED)


@pytest.mark.parametrize("mode, formats", list(itertools.product(MODES, CHOICES)),
                         ids=lambda v: v if isinstance(v, str) else ("default" if v is None else ",".join(v) or "json-only"))
def test_every_format_choice_runs_and_writes_what_was_asked(recording, tmp_path, capsys, mode, formats):
    out = tmp_path / "out"
    args = ["run", str(recording), "-o", str(out), "-q", *(a.replace("KEY", str(tmp_path / "key.yaml")) for a in MODES[mode])]
    if formats is not None:
        args += ["--formats", ",".join(formats)]
    code = cli.main(args)
    printed = capsys.readouterr()
    assert code == 0, printed.err
    asked = set(formats) if formats is not None else None
    if mode == "pseudonymized":
        raw, handoff = out / "calls" / "restricted" / "raw", out / "calls" / "handoff"
        assert names(raw) == {"interview.json", "interview.txt", "interview.quality.txt", "interview.html"}  # the page to correct it on
        expected = asked if asked is not None else {"docx", "txt", "maxqda", "nvivo", "srt", "vtt", "html"}
        # The study's REFI-QDA project is part of every hand-off.
        assert names(handoff) == {"interview.json", "calls.qdpx"} | {"interview" + SUFFIX[f] for f in expected if f != "qdpx"}
        assert not any("Kari" in text for text in every_text_in(handoff).values())
    else:
        folder = out / "calls" / "restricted" / "raw" if mode == "study" else out
        expected = asked if asked is not None else {"txt", "quality"}
        assert names(folder) == {"interview.json"} | {"interview" + SUFFIX[f] for f in expected}
        for name in names(folder):
            assert name in printed.out, (name, printed.out)
