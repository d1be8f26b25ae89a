"""Diarize: who spoke when, as speaker turns, and which speaker is who.

    diarization        the stage: a stereo call split exactly by channel, else pyannote; overlaps
    pyannote_diarizer  pyannote.audio's pipeline (segmentation-3.0, CAM++ embeddings) behind one adapter
    speech_detector    pyannote's segmentation model as a speech detector for the transcription stage
    voices             enrolled voiceprints (CAM++), matched to speakers
    roles              interviewer and participant, from the channel map, voices or who asks questions

A recording with long stretches of music, tones or silence is diarized without them
(Silero VAD, private module `_voice_activity`).
"""

from .diarization import Diarization, SpeakerCount, Turn, diarize

__all__ = ["Diarization", "SpeakerCount", "Turn", "diarize"]
