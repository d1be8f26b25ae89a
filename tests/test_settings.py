"""Typed settings: validated once, errors naming the setting (the CLI's flag on the command
line); run-time choices (downloads, the HF token) belong to the run, not the process."""

from __future__ import annotations

import json

import pytest

from transcribe import cli
from transcribe.errors import ModelError, SettingsError
from transcribe.export.outputs import output_paths, write_transcript
from transcribe.models.store import ModelStore
from transcribe.pipeline import changed_settings, transcribe_file
from transcribe.settings import Settings
from transcribe.transcript import Provenance, Recording, Transcript
from transcribe.utils.offline import hub_opened


def test_values_are_normalised_once():
    settings = Settings(languages=["English", "nb", "en"], terms=[" Haukeland ", ""], voices=["anna"])
    assert settings.languages == ("en", "no") and settings.terms == ("Haukeland",) and settings.voices == ("anna",)
    assert Settings(channel_map={"right": "interviewer"}).channel_roles == {1: "interviewer"}


@pytest.mark.parametrize("values, message", [
    ({"languages": ()}, "`languages` needs at least one"),
    ({"language": "de"}, "`language` de is not among `languages` en, no"),
    ({"style": "tidy"}, "unknown `style` 'tidy'"),
    ({"precision": "int8"}, "unknown `precision` 'int8'"),
    ({"diarization": "magic"}, "unknown `diarization` 'magic'"),
    ({"beam_size": 0}, "`beam_size` must be at least 1"),
    ({"roles": ("a", "a")}, "`roles` names a role twice"),
    ({"voices": "some"}, "`voices` is auto, none or a list"),
    ({"pause": 0.1}, "`pause` must be at least"),
])
def test_bad_values_name_the_setting(values, message):
    with pytest.raises(SettingsError, match=message):
        Settings(**values)


def test_the_command_line_names_its_flags(tmp_path, capsys):
    recording = tmp_path / "call.wav"
    recording.write_bytes(b"RIFF")
    assert cli.main(["run", str(recording), "--language", "de"]) == 2
    assert "error: --language de is not among --languages en, no" in capsys.readouterr().err
    assert cli.main(["run", str(recording), "--min-speakers", "3", "--max-speakers", "2"]) == 2
    assert "--min-speakers 3 is larger than --max-speakers 2" in capsys.readouterr().err
    assert cli.main(["run", str(recording), "--channel-map", "middle=interviewer"]) == 2
    assert "--channel-map entries look like left=interviewer" in capsys.readouterr().err


def _schema2_transcript(tmp_path, settings: dict):
    """A transcript written before settings were typed, as its JSON said them."""
    tmp_path.mkdir(exist_ok=True)
    source = tmp_path / "call.wav"
    source.write_bytes(b"RIFF recording")
    from transcribe.utils.files import file_sha256

    transcript = Transcript(
        recording=Recording("call.wav", file_sha256(source), 60.0, 2, 8000),
        language="en",
        speakers=[],
        segments=[],
        provenance=Provenance("0.1.0", "2026-11-01T00:00:00+00:00", settings=settings),
    )
    paths = output_paths(tmp_path / "out", source)
    write_transcript(transcript, paths)
    data = json.loads(paths["json"].read_text())
    paths["json"].write_text(json.dumps({**data, "schema_version": 2}))
    return source, paths


def test_a_transcript_recorded_with_string_settings_is_still_up_to_date(tmp_path):
    old = {
        **Settings().recorded(),
        "languages": "en,no", "roles": "interviewer,participant", "channel_map": "l=interviewer", "voices": "auto",
    }
    source, paths = _schema2_transcript(tmp_path, old)
    settings = Settings(channel_map={"left": "interviewer"})

    class NeverTranscribes:
        def __init__(self):
            self.settings = settings

        def check(self):
            pass

        def transcribe(self, *args, **kwargs):
            raise AssertionError("the transcript is up to date")

    outcome = transcribe_file(NeverTranscribes(), source, tmp_path / "out")
    assert outcome.status == "skipped"
    assert outcome.transcript.provenance.settings["channel_map"] == {"left": "interviewer"}
    assert changed_settings({**old, "roles": "none"}, Settings(roles=()))  # an unmigrated dict differs
    none = _schema2_transcript(tmp_path / "b", {**Settings(roles=()).recorded(), "roles": "none"})[1]
    from transcribe.export.outputs import read_transcript

    assert read_transcript(none["json"]).provenance.settings["roles"] == []


def test_downloads_are_a_choice_of_the_run_not_of_the_process(tmp_path, monkeypatch):
    from huggingface_hub import constants

    from transcribe.models.whisper_models import resolve_whisper

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # no Whisper model downloaded
    allowed = ModelStore(tmp_path / "models", allow_download=True)
    assert resolve_whisper("tiny", "cpu", allowed).info.name == "tiny"  # would download when loaded
    with pytest.raises(ModelError, match="downloads are off"):
        resolve_whisper("tiny", "cpu", ModelStore(tmp_path / "models"))  # the next run did not allow it
    assert constants.HF_HUB_OFFLINE
    with hub_opened(True):
        assert not constants.HF_HUB_OFFLINE
    with hub_opened(False):
        assert constants.HF_HUB_OFFLINE
    assert constants.HF_HUB_OFFLINE  # closed again after the call that allowed it
