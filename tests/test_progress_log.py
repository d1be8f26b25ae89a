"""Progress lines of a run nobody watches: every tenth of a stage, and at least once a
minute while a stage runs on; the recording's name, the stage and a number, nothing else."""

from __future__ import annotations

from transcribe.utils.progress_log import HEARTBEAT_S, ProgressLog


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_line_at_every_tenth_and_at_least_every_minute():
    lines, clock = [], Clock()
    progress = ProgressLog("int-014.m4a", lines.append, clock)
    progress("diarization", 0.0)
    for fraction in (0.05, 0.12, 0.13, 0.47, 1.0):
        progress("diarization", fraction)
    assert lines == ["int-014.m4a: diarization 0%", "int-014.m4a: diarization 10%", "int-014.m4a: diarization 40%",
                     "int-014.m4a: diarization 100%"]
    lines.clear()
    progress("transcription", 0.0)
    clock.now += HEARTBEAT_S - 1
    progress.beat()
    assert lines == ["int-014.m4a: transcription 0%"]  # not yet a minute
    clock.now += 1
    progress("transcription", 0.04)  # no new tenth
    progress.beat()
    assert lines[-1] == "int-014.m4a: transcription 4%, still working"
    progress.beat()
    assert len(lines) == 2  # the next one a minute later
    progress("transcription", 1.0)
    clock.now += 2 * HEARTBEAT_S
    progress.beat()
    assert lines[-1] == "int-014.m4a: transcription 100%"  # finished: nothing more


def test_the_heartbeat_runs_while_the_block_does_and_stops_after():
    lines = []
    with ProgressLog("a.wav", lines.append) as progress:
        progress("transcription", 0.5)
    assert lines == ["a.wav: transcription 50%"] and not progress._thread.is_alive()
