"""A long synthetic two-party telephone interview of any length, with its ground truth.

Semi-structured health-services interviews as researchers run them: the interviewer asks,
the participant answers in one to four sentences, the interviewer sometimes acknowledges
briefly, and now and then says a short backchannel *over* the participant's answer.
Sentences are drawn (seeded) from banks written for this purpose, so a 12-minute and a
48-minute interview are equally real speech (espeak-ng) with a known transcript.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scripts import INTERVIEWER, PARTICIPANT
from synthetic import Utterance, build_dialogue, telephone_mono, telephone_stereo

QUESTIONS = [
    "Could you start by telling me a little about yourself and your family",
    "How did you first notice that something was wrong with your health",
    "What happened when you went to see your doctor the first time",
    "How long did you have to wait before you got an appointment at the hospital",
    "Can you describe what the first day at the hospital was like",
    "Who explained the diagnosis to you and how was it explained",
    "How did you feel when you heard what the tests had shown",
    "What kind of treatment were you offered and did you have a choice",
    "How did the nurses on the ward help you during that time",
    "Were there moments when you felt that nobody was listening to you",
    "How did your family react to the news",
    "What was it like to come home after the operation",
    "Did anyone from the hospital follow up with you after you went home",
    "How did the telephone consultations work for you",
    "Were you able to reach someone when you had questions in the evening",
    "How did you manage your medicines during the first weeks",
    "What information did you get about side effects",
    "Did you ever feel that the different services did not talk to each other",
    "How did your general practitioner stay involved in your care",
    "What role did the home care nurses play in your recovery",
    "How did the illness affect your work and your income",
    "Were you offered any help with the practical things at home",
    "How would you describe your contact with the pharmacy",
    "Did you use any digital services, such as video calls or an app",
    "What was the most difficult part of the whole process",
    "What helped you most when things were hard",
    "If you could change one thing about the care you received, what would it be",
    "How do you feel about your health today",
    "Is there anything you wish someone had told you earlier",
    "How did you find the waiting times for the follow up appointments",
    "What do you think about the way the letters from the hospital were written",
    "Did you feel involved in the decisions about your treatment",
    "How did you prepare for the meetings with the specialist",
    "Did you bring someone with you to the appointments",
    "What was your experience with the rehabilitation program",
    "How did the physiotherapist work with you",
    "Were there any costs that surprised you",
    "How did you keep track of all the different appointments",
    "What advice would you give to someone in the same situation",
    "Is there anything else you would like to add before we finish",
]

ANSWERS = [
    "I live with my husband in a small house outside the town",
    "We have two grown children who both live quite far away",
    "I worked as a teacher for almost thirty years before I retired",
    "At first I thought it was just because I was tired",
    "I had a pain in my chest that would not go away",
    "My wife was the one who told me to call the doctor",
    "The doctor listened carefully and sent me for blood tests the same week",
    "I had to wait almost two months for the appointment",
    "The waiting was the worst part because I did not know what was happening",
    "The hospital was very busy and nobody seemed to have time",
    "A young doctor came in and explained everything very slowly",
    "She drew a small picture on a piece of paper to show me",
    "I remember that I could not really take in what she said",
    "I was frightened but I also felt relieved to finally know",
    "They gave me a choice between surgery and a course of tablets",
    "I chose the operation because I wanted it to be over",
    "The nurses were kind and they always had a smile",
    "One of them sat with me for a long time the night before the operation",
    "Sometimes I felt like I was just a number in the system",
    "When I asked questions the answers were often very short",
    "My daughter came home for a week to help us",
    "My husband was more worried than he wanted to show",
    "Coming home was strange because everything looked the same but I felt different",
    "I could not climb the stairs for the first few days",
    "A nurse called me two days after I came home",
    "She asked how the wound was healing and whether I had any pain",
    "The telephone calls were useful but they often came very late",
    "I would have liked to know what time they were going to call",
    "In the evening there was nobody to call except the emergency number",
    "I did not want to bother them with small questions",
    "I had a list of tablets and I ticked them off every morning",
    "My husband helped me to sort them into a box for each day",
    "Nobody told me that the tablets could make me so dizzy",
    "I found out about the side effects by reading the leaflet myself",
    "The hospital and the local doctor did not seem to share the same information",
    "I had to explain my whole story again every time I saw someone new",
    "My general practitioner has known me for many years",
    "He called me himself after he got the letter from the hospital",
    "The home care nurses came every morning for two weeks",
    "They changed the bandage and checked my blood pressure",
    "I was on sick leave for almost four months",
    "It was hard for us because my salary was the main income",
    "A social worker helped us to fill in the forms",
    "The people at the pharmacy were very patient with me",
    "They explained how to take the new medicine with food",
    "We tried a video call once but the sound kept breaking up",
    "I prefer to talk to a real person on the telephone",
    "The most difficult part was not knowing what would happen next",
    "Talking to other patients who had been through the same thing helped a lot",
    "My neighbour drove me to every appointment",
    "I would make sure that every patient gets one person to call",
    "Today I feel much better than I did a year ago",
    "I still get tired in the afternoon but I can walk every day",
    "I wish someone had told me how long the recovery would take",
    "The follow up appointments were always running late",
    "Once I waited for more than an hour in the corridor",
    "The letters were full of words that I did not understand",
    "I had to ask my son to read them and explain them to me",
    "I felt involved when the specialist asked what mattered most to me",
    "Before each meeting I wrote down my questions in a notebook",
    "My husband came with me because two people remember more than one",
    "The rehabilitation program was twice a week for ten weeks",
    "We did exercises in a group and that was good for my mood",
    "The physiotherapist gave me a sheet with exercises to do at home",
    "She was strict but I needed that",
    "The parking at the hospital was very expensive",
    "We also paid for some of the medicines ourselves",
    "I kept all the appointments in a calendar on the kitchen wall",
    "My advice would be to ask questions and to write everything down",
    "Do not be afraid to call if something does not feel right",
    "I think the staff are doing their best under a lot of pressure",
    "There were simply not enough people on the ward at night",
    "I was lucky to have my family around me",
    "Some of the other patients had nobody to help them at home",
    "The food in the hospital was better than I expected",
    "I could not sleep well because of the noise in the room",
    "The doctor on the ward changed almost every day",
    "It would have helped to see the same doctor each time",
    "They gave me a booklet but it was written for younger people",
    "I only understood the plan after the second meeting",
    "My blood tests are now checked every three months",
    "I am more careful with what I eat these days",
    "I have started to walk with a group from the church",
    "Sometimes I still worry that it will come back",
    "The nurse on the telephone always took her time with me",
    "She remembered what we had talked about the week before",
    "It felt good that someone followed up without me having to ask",
    "I was surprised by how many different people were involved",
    "There was a coordinator but I never met her in person",
    "I think that is all I wanted to say",
]

ACKNOWLEDGEMENTS = [
    "I see",
    "That makes sense",
    "Thank you for explaining that",
    "That sounds difficult",
    "I understand",
    "That is helpful to hear",
    "Right",
    "Okay",
]

# Two espeak-ng voices as far apart as real callers: CAM++ cosine similarity 0.40 through an
# 8 kHz line (real callers of pyannote's sample call: 0.29-0.48). The voices of the short test
# calls (scripts.ENGLISH_VOICES) score 0.82, as alike as one voice with itself, which no
# diarization of a mono mix can separate.
INTERVIEW_VOICES = {INTERVIEWER: "en-us+m3", PARTICIPANT: "en-gb-x-gbclan+f5"}

# Said over the participant's answer (overlapping speech).
BACKCHANNELS = ["yes", "right", "okay", "I see"]


@dataclass
class Interview:
    mono: Path
    stereo: Path
    truth: list[Utterance]
    duration: float

    @property
    def reference(self) -> str:
        return " ".join(u.text for u in sorted(self.truth, key=lambda u: u.start))

    def reference_by_speaker(self) -> dict[str, str]:
        return {
            speaker: " ".join(u.text for u in sorted(self.truth, key=lambda u: u.start) if u.speaker == speaker)
            for speaker in (INTERVIEWER, PARTICIPANT)
        }

    def rttm_rows(self) -> list[tuple[float, float, str]]:
        return [(u.start, u.end, u.speaker) for u in self.truth]


def interview_script(minutes: float, seed: int = 0) -> list[tuple[str, str, float]]:
    """(speaker, line, gap before) lines for about `minutes` of interview (espeak speaks
    about 3.3 words a second; gaps are drawn like telephone turn-taking)."""
    rng = random.Random(seed)
    questions, answers = list(QUESTIONS), list(ANSWERS)
    rng.shuffle(questions)
    rng.shuffle(answers)
    script: list[tuple[str, str, float]] = []
    seconds = 0.0
    q = a = 0
    while seconds < minutes * 60:
        question = questions[q % len(questions)]
        q += 1
        script.append((INTERVIEWER, question, rng.uniform(0.4, 1.2)))
        for sentence in range(rng.randint(1, 4)):
            answer = answers[a % len(answers)]
            a += 1
            gap = rng.uniform(0.5, 1.0) if sentence == 0 else rng.uniform(0.25, 1.6)
            script.append((PARTICIPANT, answer, gap))
            seconds += gap + len(answer.split()) / 3.3
            if rng.random() < 0.12:  # a backchannel over the middle of the answer
                script.append((INTERVIEWER, rng.choice(BACKCHANNELS), -len(answer.split()) / 5.0))
        if rng.random() < 0.3:
            script.append((INTERVIEWER, rng.choice(ACKNOWLEDGEMENTS), rng.uniform(0.4, 0.9)))
        seconds += len(question.split()) / 3.3 + 1.0
    return script


def build_interview(workdir: Path, minutes: float, seed: int = 0, voices: dict[str, str] = INTERVIEW_VOICES) -> Interview:
    """Mono and stereo 8 kHz telephone recordings of one synthetic interview."""
    workdir.mkdir(parents=True, exist_ok=True)
    tracks, truth, duration = build_dialogue(interview_script(minutes, seed), voices, workdir)
    for clip in workdir.glob("tts-*.wav"):
        clip.unlink()
    left, right = tracks[INTERVIEWER], tracks[PARTICIPANT]
    stereo = telephone_stereo(left, right, workdir / f"interview-{minutes:g}min-stereo.wav")
    noise = np.random.default_rng(seed).normal(0, 3e-4, size=len(left))
    mono = telephone_mono(left + right + noise, workdir / f"interview-{minutes:g}min-mono.wav")
    return Interview(mono, stereo, truth, duration)
