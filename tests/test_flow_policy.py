"""What the flows retry and how (logic only, on a CPU: no GPU is needed to test it)."""

from __future__ import annotations

import errno
import sys
from pathlib import Path

import pytest
from prefect.states import Completed, Failed

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows.interviews import Options, _Run, _worth_retrying  # noqa: E402

from transcribe.batch import Roots  # noqa: E402
from transcribe.errors import CorruptAudioError, SettingsError, UnexpectedError  # noqa: E402


def _failed(error: BaseException):
    return Failed(data=error)


def _unexpected(cause: BaseException) -> UnexpectedError:
    try:
        raise UnexpectedError("transcription", cause) from cause
    except UnexpectedError as error:
        return error


@pytest.mark.parametrize("error, retried", [
    (_unexpected(RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")), True),
    (OSError(errno.EIO, "Input/output error"), True),
    (OSError(errno.ESTALE, "Stale file handle"), True),
    (CorruptAudioError("call.wav is damaged"), False),
    (SettingsError("`language` de is not among `languages` en, no"), False),
    (_unexpected(ValueError("a bug")), False),
    (OSError(errno.ENOSPC, "No space left on device"), False),
])
def test_only_what_a_second_attempt_can_fix_is_retried(error, retried):
    assert _worth_retrying(None, None, _failed(error)) is retried


def test_a_completed_task_is_not_retried():
    assert _worth_retrying(None, None, Completed(data=1)) is False


def test_each_retry_after_running_out_of_memory_halves_the_batch(tmp_path):
    (tmp_path / "audio").mkdir()
    run = _Run(Options(model="base", device="cpu", batch_size=8), Roots(tmp_path / "audio", tmp_path / "transcripts"))
    assert [run.pipeline_for_attempt(n).batch_size for n in (1, 2, 3, 4, 5)] == [8, 4, 2, 1, 1]
    assert run.pipeline_for_attempt(2).models is run.pipeline.models  # the loaded models are kept
    assert run.pipeline_for_attempt(1) is run.pipeline


def test_a_guide_from_the_form_is_found_in_the_study_folders_and_checked_before_any_work(tmp_path):
    from transcribe.errors import GuideFileError, SettingsError

    roots = Roots(tmp_path / "audio", tmp_path / "transcripts")
    roots.audio.mkdir()
    roots.transcripts.mkdir()
    (roots.transcripts / "guide.txt").write_text("[workday] Could you describe a normal working day?\n")
    assert _Run(Options(device="cpu", guide="guide.txt"), roots).guide == roots.transcripts / "guide.txt"
    (roots.transcripts / "empty.txt").write_text("\n")
    with pytest.raises(GuideFileError, match="empty.txt holds no questions"):
        _Run(Options(device="cpu", guide="empty.txt"), roots)
    with pytest.raises(SettingsError):
        _Run(Options(device="cpu", guide="../guide.txt"), roots)
