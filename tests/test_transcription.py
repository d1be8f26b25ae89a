"""Transcription with real Whisper weights imported from registry packages."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from transcribe.ingest.audio import load_audio
from transcribe.quality.metrics import (
    normalize,
    speaker_attributed_wer,
    wer,
    words_by_speaker,
)
from transcribe.transcript import SCHEMA_VERSION, Transcript

pytestmark = pytest.mark.slow


def test_sample_call_words_are_right(sample_transcript, sample_reference):
    reference = " ".join(text for *_, text in sample_reference)
    hypothesis = " ".join(s.text for s in sample_transcript.segments)
    plain = wer(reference, hypothesis)
    attributed = speaker_attributed_wer(
        words_by_speaker((speaker, text) for speaker, _, _, text in sample_reference),
        words_by_speaker((s.speaker, s.text) for s in sample_transcript.segments),
    )
    print(f"\nsample.wav: WER {plain:.3f}, speaker-attributed WER {attributed:.3f}")
    # Whisper base measured 0.126 / 0.161; per-turn chunks with greedy decoding gave
    # 0.161 / 0.184, plain whisper.transcribe 0.55-0.64 (it loops on this call)
    assert plain <= 0.15
    assert attributed - plain <= 0.05
    assert sample_transcript.language == "en"
    assert len(sample_transcript.speakers) == 2


def test_sample_call_has_word_timings_inside_the_speech(sample_transcript, sample_reference):
    for segment in sample_transcript.segments:  # every word of the text carries a timing
        assert normalize(" ".join(w.text for w in segment.words)) == normalize(segment.text)
    words = [w for s in sample_transcript.segments for w in s.words]
    speech_start, speech_end = sample_reference[0][1], sample_reference[-1][2]
    for word in words:
        assert word.start <= word.end
        assert 0 <= word.probability <= 1
        assert speech_start - 1.0 <= word.start and word.end <= speech_end + 1.0
    # "Chicago" is said twice: by Sheila at 14.4-17.8 s and by Diane at 17.8-20.1 s
    chicago = [w for w in words if "chicago" in w.text.lower()]
    assert len(chicago) == 2
    assert 14.0 <= chicago[0].start <= 18.0 and 17.5 <= chicago[1].start <= 20.5


def test_transcript_records_what_made_it(sample_transcript, sample_wav):
    from transcribe.utils.files import file_sha256

    recording = sample_transcript.recording
    assert recording.source_name == "sample.wav" and recording.sha256 == file_sha256(sample_wav)
    assert recording.duration == 30.0 and recording.channels == 1
    provenance = sample_transcript.provenance
    assert {m.role for m in provenance.models} == {"asr", "segmentation", "embedding"}
    assert all(m.sha256 and len(m.sha256) == 64 for m in provenance.models)
    assert provenance.settings["diarization_method"] == "pyannote"
    assert set(provenance.timings) >= {"decode_audio", "diarization", "transcription"}
    assert provenance.settings["windows"] == 1 and provenance.settings["beam_size"] == 5  # 23 s of speech: one window
    again = Transcript.from_dict(json.loads(json.dumps(sample_transcript.to_dict())))
    assert again == sample_transcript


def test_stereo_call_each_turn_has_the_right_speaker(pipeline, stereo_call):
    path, truth = stereo_call
    transcript = pipeline.transcribe(path)
    role_of = {s.id: ("interviewer" if s.channel == 0 else "participant") for s in transcript.speakers}
    assert transcript.provenance.settings["diarization_method"] == "channels"
    assert [m.role for m in transcript.provenance.models] == ["speech-detection", "asr"]
    for segment in transcript.segments:
        middle = (segment.start + segment.end) / 2
        spoken_by = {u.speaker for u in truth if u.start - 0.3 <= middle <= u.end + 0.3}
        assert spoken_by == {role_of[segment.speaker]}, (segment.start, segment.text)
    # No word lands on the wrong speaker: attributing words to speakers adds no error.
    # (espeak speech through an 8 kHz band is hard for Whisper base: plain WER is ~0.3.)
    reference = {role: " ".join(u.text for u in truth if u.speaker == role) for role in ("interviewer", "participant")}
    hypothesis = words_by_speaker((role_of[s.speaker], s.text) for s in transcript.segments)
    plain = wer(" ".join(u.text for u in truth), " ".join(s.text for s in transcript.segments))
    attributed = speaker_attributed_wer(reference, hypothesis)
    print(f"\nstereo call: WER {plain:.3f}, speaker-attributed WER {attributed:.3f}")
    assert plain <= 0.40
    assert attributed - plain <= 0.01


def test_language_detection_only_answers_allowed_languages(pipeline, sample_wav):
    from transcribe.asr.backend import Region
    from transcribe.asr.languages import fold_probabilities

    audio = load_audio(sample_wav)
    encoded = pipeline.asr.encode(pipeline.asr.prepare([audio.samples[0][6 * 16000 : 28 * 16000]]))
    [detected] = pipeline.asr.detect_languages(encoded, [Region(0, 0.0, 22.0)])
    assert max(detected, key=detected.get) == "en" and len(detected) == 99  # every language Whisper knows
    probs = fold_probabilities(detected, ["en", "no"])
    assert max(probs, key=probs.get) == "en" and set(probs) == {"en", "no"}
    probs = fold_probabilities(detected, ["de", "no"])
    assert set(probs) == {"de", "no"} and abs(sum(probs.values()) - 1) < 1e-6


def test_cli_writes_json_and_text_and_a_rerun_resumes(stereo_call, tmp_path, model_home):
    path, _ = stereo_call
    before = path.read_bytes()
    command = [sys.executable, "-m", "transcribe", "run", str(path), "-o", str(tmp_path), "--quiet", "--model", "base"]
    env = {**os.environ, "TRANSCRIBE_HOME": str(model_home)}
    first = subprocess.run(command, capture_output=True, text=True, env=env)
    assert first.returncode == 0 and first.stderr == "", first.stderr  # no stray library warnings
    text = (tmp_path / "stereo-call.txt").read_text()
    lines = text.splitlines()
    assert len(lines) >= 8
    assert all(re.fullmatch(r"\[\d\d:\d\d:\d\d\] (interviewer|participant): \S.*", line) for line in lines), text
    # the interviewer (left channel) asks the questions: the heuristic finds them
    assert lines[0].startswith("[00:00:00] interviewer: Thank you")
    data = json.loads((tmp_path / "stereo-call.json").read_text())
    assert data["schema_version"] == SCHEMA_VERSION and data["language"] == "en"

    second = subprocess.run(command, capture_output=True, text=True, env=env)
    assert second.returncode == 0 and "already transcribed" in second.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stereo-call.json", "stereo-call.quality.txt", "stereo-call.txt"]

    # the channel map is exact and wins over the heuristic, even when it says the opposite
    mapped = subprocess.run(command + ["--force", "--channel-map", "left=participant"], capture_output=True, text=True, env=env)
    assert mapped.returncode == 0, mapped.stderr
    assert (tmp_path / "stereo-call.txt").read_text().startswith("[00:00:00] participant: Thank you")
    assert path.read_bytes() == before


def test_a_three_second_pause_inside_a_turn_is_marked(pipeline, tmp_path):
    from scripts import ENGLISH_VOICES, INTERVIEWER, PARTICIPANT
    from synthetic import build_dialogue, telephone_stereo

    from transcribe.export.writers import render_text

    script = [
        (INTERVIEWER, "How did the telephone follow up work for you", 0.0),
        (PARTICIPANT, "The nurses called me every week", 0.6),
        (PARTICIPANT, "and that helped me a lot", 3.0),  # same turn, after a 3 s pause
    ]
    # a participant voice Whisper base hears clearly: the test is about the pause
    tracks, truth, _ = build_dialogue(script, {**ENGLISH_VOICES, PARTICIPANT: "en-us+f2"}, tmp_path)
    path = telephone_stereo(tracks[INTERVIEWER], tracks[PARTICIPANT], tmp_path / "pause.wav")
    lines = render_text(pipeline.transcribe(path)).splitlines()
    answer = [line for line in lines if "participant:" in line]
    assert len(answer) == 1, lines  # one turn, not split by the pause
    # the words around the pause vary with Whisper's hearing of espeak ("week"/"weak"):
    # assert the mark itself, its length, and that it separates the two sentences
    pauses = re.findall(r"\((\d+\.\d)\)", answer[0])
    assert len(pauses) == 1 and 2.6 <= float(pauses[0]) <= 3.4, answer[0]
    before, after = answer[0].split(f"({pauses[0]})")
    assert "called" in before and "lot" in after, answer[0]
