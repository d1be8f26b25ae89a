"""Study: a study's folders, its settings, and the hand-off of its transcripts to coding.

    handoff        the study's folders (restricted, hand-off), pseudonymize then hand off (`HandOff`)
    settings_file  the study's settings.yaml, that every run of the study starts from
"""

from .handoff import HandOff, Study, run_formats
from .settings_file import read_study_settings, settings_path

__all__ = ["HandOff", "Study", "read_study_settings", "run_formats", "settings_path"]
