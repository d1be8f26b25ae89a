"""Words of mixed windows given to the right speaker, by their timings against the diarization."""

from __future__ import annotations

from transcribe.asr.attribution import (
    SpeakerTimeline,
    WindowText,
    guard_events,
    segments_of,
    snap_changes,
)
from transcribe.asr.windows import Span, Window
from transcribe.diarize.diarization import Turn
from transcribe.transcript import Word


def words(*items: tuple[str, float, float]) -> list[Word]:
    return [Word(start, end, text, 0.9) for text, start, end in items]


def decoded(found: list[Word], window: Window | None = None, guard: str | None = None) -> WindowText:
    window = window or Window([Span(0.0, 30.0)])
    return WindowText(window, found, "en", -0.3, 0.1, 0.0, guard)


TURNS = [Turn(0.0, 4.0, "A"), Turn(4.2, 9.0, "B"), Turn(9.1, 12.0, "A")]


def test_a_turn_change_in_the_middle_of_a_window_splits_the_segment():
    found = words(("How", 0.5, 0.8), ("are", 0.8, 1.0), ("you?", 1.0, 1.4),
                  ("I'm", 4.4, 4.6), ("fine,", 4.6, 5.0), ("thanks.", 5.0, 5.5),
                  ("Good.", 9.3, 9.8))
    segments = segments_of(decoded(found), SpeakerTimeline(TURNS))
    assert [(s.speaker, s.text) for s in segments] == [("A", "How are you?"), ("B", "I'm fine, thanks."), ("A", "Good.")]
    assert segments[1].start == 4.4 and segments[1].end == 5.5 and segments[1].language == "en"


def test_a_word_between_turns_goes_to_the_nearest_turn():
    found = words(("you?", 3.5, 4.05), ("Yes.", 4.15, 4.19))  # both in the 0.2 s gap, nearer B for "Yes."
    assert [s.speaker for s in segments_of(decoded(found), SpeakerTimeline(TURNS))] == ["A", "B"]


def test_a_change_of_speaker_moves_to_the_end_of_the_sentence():
    # the timings put "And I'm" in A's turn, but A's sentence ended before them
    found = words(("Jersey.", 3.1, 3.6), ("And", 3.8, 3.95), ("I'm", 3.95, 4.15), ("Sheila", 4.25, 4.7), ("here.", 4.7, 5.0))
    segments = segments_of(decoded(found), SpeakerTimeline(TURNS))
    assert [(s.speaker, s.text) for s in segments] == [("A", "Jersey."), ("B", "And I'm Sheila here.")]


def test_a_short_turn_between_two_others_is_kept():
    found = words(("there.", 3.3, 3.7), ("Neither", 4.3, 4.5), ("did", 4.5, 4.7), ("I.", 4.7, 4.9), ("Okay.", 5.2, 5.3))
    speakers = snap_changes(found, ["A", "B", "B", "A", "A"])
    assert speakers == ["A", "B", "B", "B", "A"]  # "I." ends B's sentence; the change moves after it


def test_overlapping_speech_goes_to_whoever_the_exclusive_turns_name():
    # B's backchannel inside A's long turn: the diarization's exclusive turns give it to B
    turns = [Turn(0.0, 5.0, "A"), Turn(5.0, 5.6, "B"), Turn(5.6, 10.0, "A")]
    found = words(("So", 4.0, 4.3), ("then", 4.3, 4.9), ("yeah", 5.05, 5.5), ("we", 5.7, 5.9), ("went.", 5.9, 6.3))
    segments = segments_of(decoded(found), SpeakerTimeline(turns))
    assert [(s.speaker, s.text) for s in segments] == [("A", "So then"), ("B", "yeah"), ("A", "we went.")]


def test_a_channel_window_belongs_to_its_speaker():
    window = Window([Span(0.0, 12.0)], channel=1, speaker="RIGHT")
    found = words(("All", 0.5, 0.7), ("mine.", 4.5, 4.9))  # inside A's and B's mixed-audio turns alike
    assert {s.speaker for s in segments_of(decoded(found, window), SpeakerTimeline(TURNS))} == {"RIGHT"}


def test_a_long_silence_starts_a_new_segment_of_the_same_speaker():
    found = words(("One.", 0.2, 0.6), ("Two.", 2.5, 2.9))
    segments = segments_of(decoded(found), SpeakerTimeline(TURNS))
    assert [(s.speaker, s.text) for s in segments] == [("A", "One."), ("A", "Two.")]


def test_a_guard_is_recorded_under_each_speaker_of_the_window():
    window = Window([Span(3.0, 6.0), Span(9.0, 11.0, offset=3.0)])
    events = guard_events(decoded([], window, guard="no-speech"), SpeakerTimeline(TURNS))
    assert [(e.guard, e.start, e.end, e.speaker) for e in events] == [
        ("no-speech", 3.0, 4.0, "A"), ("no-speech", 4.2, 6.0, "B"), ("no-speech", 9.1, 11.0, "A")
    ]
