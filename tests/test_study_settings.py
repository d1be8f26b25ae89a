"""A study's settings file: every run of the study starts from it (the command line, the
Prefect form, the nightly batch), a run's own choice overrides it for that run only and is
reported, and a broken file is a clear error naming the file and the setting."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from synthetic import write_wav
from test_outputs import make_transcript
from test_reliability import FakePipeline

from flows.interviews import Options
from transcribe import cli
from transcribe.batch import ReportRow, other_settings, plan
from transcribe.diarize.diarization import SpeakerCount
from transcribe.errors import SettingsError
from transcribe.export.outputs import read_transcript, write_transcript
from transcribe.settings import Settings
from transcribe.study.settings_file import (
    STUDY_FIELDS,
    describe,
    differences,
    languages_in_use,
    read_study_settings,
    run_settings,
    settings_path,
    write_template,
)
from transcribe.utils.files import file_sha256


def study_file(root: Path, text: str, study: str = "pilot") -> Path:
    path = settings_path(root, study)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_new_study_pins_todays_defaults_owner_only_and_keeps_an_edited_file(tmp_path):
    path = settings_path(tmp_path, "pilot")
    path.parent.mkdir()
    assert write_template(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # terms may name people
    values = read_study_settings(path)
    assert set(values) == set(STUDY_FIELDS)
    assert run_settings(values, {}) == Settings()
    path.write_text("model: tiny.en\nlanguages: [no, nn]\nlanguage: no\nspeakers: 2\n")  # no: Norwegian, not False
    assert not write_template(path)
    settings = run_settings(read_study_settings(path), {})
    assert (settings.model, settings.languages, settings.language, settings.speakers) == ("tiny.en", ("no", "nn"), "no", SpeakerCount(2))


def test_no_file_means_no_study_settings(tmp_path):
    assert read_study_settings(settings_path(tmp_path, None)) == {}
    assert settings_path(tmp_path, None) == tmp_path / "settings.yaml"


@pytest.mark.parametrize("text, says", [
    ("model: [unclosed\n", "settings.yaml in pilot is not readable YAML (line 2)"),
    ("- model\n", "must hold names and values"),
    ("modle: base\n", "unknown setting `modle` (known: model, language"),
    ("device: cuda\n", "`device` belongs to the machine, not the study"),
    ("style: loud\n", "settings.yaml in pilot: unknown `style` 'loud' (expected verbatim, clean)"),
    ("speakers: {exact: 0}\n", "`speakers` must be at least 1"),
    ("speakers: two\n", "`speakers` is a number, or exact/minimum/maximum"),
    ("language: de\nlanguages: [en, 'no']\n", "`language` de is not among `languages` en, no"),
])
def test_a_broken_settings_file_names_the_file_and_the_setting(tmp_path, text, says):
    with pytest.raises(SettingsError) as raised:
        read_study_settings(study_file(tmp_path, text))
    assert says in str(raised.value)


def test_the_report_and_the_logs_never_show_the_terms_which_may_name_people():
    assert describe({"model": "tiny.en", "terms": ["Kari Nordmann"], "languages": ["en"], "channel_map": {"left": "interviewer"}}) == (
        "model tiny.en, terms, languages en, channel_map left=interviewer")


def test_the_form_lists_the_languages_the_studies_allow(tmp_path):
    study_file(tmp_path, "languages: [no, nn, en]\n", "a")
    study_file(tmp_path, "languages: [en, sv]\n", "b")
    study_file(tmp_path, "style: loud\n", "broken")  # its runs say why; the form still deploys
    assert languages_in_use(tmp_path) == ["no", "nn", "en", "sv"]


# --- the command line -------------------------------------------------------------------

class SettingsPipeline(FakePipeline):
    """The fake pipeline, made with the `Settings` the command line built."""

    made: ClassVar[list[Settings]] = []

    def __init__(self, settings: Settings, store=None):
        super().__init__()
        self.settings = settings
        SettingsPipeline.made.append(settings)


@pytest.fixture
def recording(tmp_path, monkeypatch) -> Path:
    import transcribe.pipeline

    SettingsPipeline.made = []
    monkeypatch.setattr(transcribe.pipeline, "Pipeline", SettingsPipeline)
    return write_wav(tmp_path / "int-01.wav", 0.3 * np.sin(np.arange(16000 * 2) / 5))


def run(recording: Path, *flags: str) -> int:
    return cli.main(["run", str(recording), "-o", str(recording.parent / "out"), "-q", "--study", "pilot", *flags])


def test_the_command_line_starts_from_the_studys_settings(recording, capsys):
    study_file(recording.parent / "out", "model: tiny.en\nstyle: clean\nspeakers: 2\nroles: [interviewer, participant]\n")
    assert run(recording) == 0
    made = SettingsPipeline.made[-1]
    assert (made.model, made.style, made.speakers) == ("tiny.en", "clean", SpeakerCount(2))
    assert "other than the study's" not in capsys.readouterr().err


def test_a_flag_overrides_the_study_for_that_run_only_and_says_so(recording, capsys):
    study_file(recording.parent / "out", "model: tiny.en\nstyle: clean\n")
    assert run(recording, "--model", "base", "--speakers", "3", "--device", "cpu") == 0
    made = SettingsPipeline.made[-1]
    assert (made.model, made.style, made.speakers, made.device) == ("base", "clean", SpeakerCount(3), "cpu")
    err = capsys.readouterr().err
    assert "int-01.wav: settings other than the study's for this run: model base, speakers exact=3" in err
    raw = recording.parent / "out" / "pilot" / "restricted" / "raw" / "int-01.json"
    assert read_transcript(raw).provenance.settings["model"] == "base"
    # The next run without flags is the study's again: it transcribes anew and keeps this one.
    assert run(recording) == 0
    assert SettingsPipeline.made[-1].model == "tiny.en"
    assert "transcribed again (model, speakers changed since the last transcript)" in capsys.readouterr().err
    assert [p.name.split(".")[0] for p in (raw.parent / "previous").iterdir()] == ["int-01"]


def test_a_new_study_gets_its_settings_file_and_is_told(recording, capsys):
    assert run(recording) == 0
    assert (recording.parent / "out" / "pilot" / "settings.yaml").is_file()
    assert "study pilot: its settings are in pilot/settings.yaml" in capsys.readouterr().err


def test_a_broken_study_file_stops_the_run_before_any_work(recording, capsys):
    study_file(recording.parent / "out", "beam: 3\n")
    assert run(recording) == 2
    assert "error: settings.yaml in pilot: unknown setting `beam`" in capsys.readouterr().err
    assert SettingsPipeline.made == []


# --- the Prefect form and the nightly batch ----------------------------------------------

STUDY = {"model": "tiny.en", "language": "no", "languages": ("no", "en"), "speakers": SpeakerCount(2), "style": "clean"}


def test_form_fields_left_at_their_defaults_take_the_studys_settings():
    settings = Options().settings(STUDY)
    assert (settings.model, settings.language, settings.speakers, settings.style) == ("tiny.en", "no", SpeakerCount(2), "clean")
    assert differences(settings, STUDY) == {}


def test_form_fields_changed_override_the_study_for_that_run():
    settings = Options(other_model="base", speakers=3, left_channel="interviewer", device="cpu", batch_size=2).settings(STUDY)
    assert (settings.model, settings.speakers, settings.channel_map, settings.device, settings.batch_size) == (
        "base", SpeakerCount(3), {"left": "interviewer"}, "cpu", 2)
    assert settings.language == "no"  # left at its default: the study's
    assert differences(settings, STUDY) == {"model": "base", "speakers": {"exact": 3, "minimum": None, "maximum": None},
                                            "channel_map": {"left": "interviewer"}}


def test_the_nightly_batch_leaves_a_transcript_made_with_other_settings_and_reports_how(tmp_path):
    source = write_wav(tmp_path / "int-01.wav", 0.3 * np.sin(np.arange(16000) / 5))
    chosen = Options(other_model="base").settings(STUDY)  # a run from the form
    transcript = make_transcript(file_sha256(source))
    transcript.provenance.settings = chosen.recorded()
    write_transcript(transcript, {"json": tmp_path / "out" / "int-01.json"})
    nightly = Options().settings(STUDY)
    [planned] = plan([source], tmp_path / "out", nightly, keep_other_settings=True)
    assert (planned.status, planned.differs) == ("done", ("model",))
    kept = read_transcript(planned.transcript)
    row = ReportRow.of("int-01.wav", "up to date", kept, other_settings=other_settings(kept, planned.differs))
    assert (row.model, row.other_settings) == ("base", "model base")
