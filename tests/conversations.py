"""Synthetic conversations of other shapes than long_interview.py's, for validation.

long_interview.py made the interviews the engine was tuned on: one sentence bank, two
voices, one speed, answers with ordinary pauses. The shapes here are the ones that broke
it, each with its own sentences (managers and staff of health services talking about
their organisation, a bank the engine never saw), any espeak-ng voices and speeds:

* `recurring`: the interview's opening (thanks, the participant introducing herself, her
  organisation and its size, the first question) comes back, as when an interviewer runs
  the same protocol again after a dropped call, and questions recur;
* `monologue`: long answers whose sentences follow each other with no pause of 0.4 s;
* `rapid`: short turns handed over quickly, some overlapping;
* `backchannels`: the interviewer says "yes", "right", "I see" over most answers;
* `reading`: one voice reading a numbered list without a pause (`reading_script`).

Every line of a script is (speaker, text, gap before it in seconds); a negative gap starts
the line before the previous one ends (synthetic.build_dialogue lays them out).
"""

from __future__ import annotations

import random
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scripts import INTERVIEWER, PARTICIPANT
from synthetic import Utterance, build_dialogue, write_wav

Script = list[tuple[str, str, float]]

SHAPES = ("recurring", "monologue", "rapid", "backchannels")

OPENING = "Thank you for taking the time to talk with me tonight"

INTRODUCTIONS = [
    ("My name is Helen and I lead a home care service in a small municipality",
     "We are about forty employees, most of them nurses and care workers",
     "I have been in this position for six years"),
    ("I am Margaret and I work as a coordinator at a rehabilitation centre",
     "The centre has around one hundred and twenty staff and sixty beds",
     "Before that I worked on a surgical ward for many years"),
    ("My name is Susan and I manage a team of district nurses",
     "There are twelve of us covering three villages and the town",
     "Most of our patients are elderly and live alone"),
    ("I am Caroline and I run the reception at a large general practice",
     "We have eight doctors and about twenty thousand registered patients",
     "I started there as a receptionist fifteen years ago"),
]

FIRST_QUESTION = "To begin with, could you describe a normal working day for you"

QUESTIONS = [
    "How do you plan the work of your team from week to week",
    "What happens when a patient is sent home from the hospital on a Friday",
    "How do you receive information from the hospital about a new patient",
    "Which digital tools do you use to share information with other services",
    "How do you decide which patients need a visit and who can be followed up by telephone",
    "What do you do when you cannot reach a patient at the agreed time",
    "How has the demand for your services changed over the last few years",
    "How do you recruit new staff and keep the ones you have",
    "What kind of training do new employees get before they work alone",
    "How do you involve the families of the patients",
    "Can you give an example of a situation where the cooperation worked well",
    "Can you give an example of a situation where something went wrong",
    "How do you report errors and near misses",
    "What do the patients tell you about the waiting times",
    "How do you handle complaints from patients or their families",
    "How are decisions about priorities made in your organisation",
    "What role does the general practitioner play for your patients",
    "How do you cooperate with the pharmacy about medicines",
    "What would you need to do your job better",
    "How did the pandemic change the way you work",
    "Which parts of your work take more time than they should",
    "How do you make sure that everyone on the team has the same information",
    "What do you think about the new guidelines from the health authorities",
    "How do you follow up patients who live far away from the centre",
]

ANSWERS = [
    "The day starts with a short meeting where we go through the list of patients",
    "Every nurse gets a route with between eight and twelve visits",
    "We try to give the same patients to the same nurse as often as we can",
    "In the afternoon I usually spend an hour answering emails and phone calls",
    "On Fridays it is always difficult because the hospital wants to empty its beds",
    "Sometimes we get a phone call at three o'clock about a patient who arrives at five",
    "The discharge letter often comes a day or two after the patient",
    "We use an electronic messaging system, but not every service reads it every day",
    "When the message is missing we have to call the ward and ask",
    "The patients who are most ill get a visit, the others we call in the morning",
    "If nobody answers the door we call the family and then the emergency number",
    "We have a key safe for most of the patients who live alone",
    "There are many more old people now, and they live at home much longer",
    "The patients are sicker when they come home than they were ten years ago",
    "It is hard to find nurses who want to work evenings and weekends",
    "We have had three vacant positions for almost a year",
    "The ones who stay are usually the ones who feel that they are listened to",
    "New employees follow an experienced colleague for two weeks",
    "They also take a course in medicine handling before they can give injections",
    "Families are important, but they are often tired and worried",
    "We invite the closest relative to a meeting when the patient comes home",
    "Last winter we had a patient who needed oxygen at home on a Saturday",
    "The hospital, the pharmacy and our team solved it together within a few hours",
    "Once a patient got the wrong dose because the list from the hospital was old",
    "Nobody noticed it until the patient became very drowsy",
    "We write a report in the quality system and discuss it at the next meeting",
    "The most important thing is that people are not afraid to report",
    "Many patients say that they wait too long for the first visit",
    "Some families call me directly when they are unhappy",
    "I always try to meet them in person instead of answering by email",
    "The budget is decided by the municipality, and we have to make it work",
    "When we have too much to do, the practical help is the first thing to go",
    "The general practitioner is the one who knows the patient best",
    "It can take days before we get an answer from a busy doctor",
    "The pharmacy packs the medicines in bags for each day, which saves us time",
    "I would need two more nurses and a better computer system",
    "During the pandemic we did many of the follow ups by video",
    "Some of that has stayed, especially for the younger patients",
    "Documentation takes much more time than it did when I started",
    "Every visit has to be written down in three different places",
    "We have a board in the office where we write the most important changes",
    "The guidelines are good on paper, but they do not say who should pay",
    "For patients far away we try to combine visits on the same day",
    "In the winter the roads can be closed for a day or two",
    "I think we are good at solving problems when they come up",
    "What worries me most is that we never have time to plan ahead",
    "Some evenings I go home and think about the patients we did not have time for",
    "The young nurses are very good with the new technology",
    "The older ones know the patients and the families much better",
    "We need both, and we need them to learn from each other",
]

BACKCHANNELS = ["yes", "right", "okay", "I see", "sure", "exactly", "of course"]

RAPID_LINES = {
    INTERVIEWER: ["And then", "Who called", "On the same day", "Was that normal", "Really", "How often",
                  "And the family", "By telephone", "Why not", "Did it help", "And after that", "Which ward"],
    PARTICIPANT: ["The hospital called us", "Yes, on a Friday", "Almost every week", "No, not at all",
                  "The daughter came", "Only the nurse", "Because nobody answered", "A little", "Two days later",
                  "The surgical ward", "We wrote it down", "That is right"],
}


def reading_script(items: int = 60, first: int = 1, noun: str = "item") -> Script:
    """One line: "item 1 is number 1, item 2 is number 2, ...", read without a pause (espeak
    makes at most a short break at each comma)."""
    text = ", ".join(f"{noun} {i} is number {i}" for i in range(first, first + items))
    return [(PARTICIPANT, text, 0.0)]


def conversation_script(shape: str, minutes: float, seed: int) -> Script:
    """(speaker, line, gap before) lines of about `minutes` of a conversation of `shape`."""
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r} (expected one of {', '.join(SHAPES)})")
    rng = random.Random(seed)
    questions, answers = list(QUESTIONS), list(ANSWERS)
    rng.shuffle(questions)
    rng.shuffle(answers)
    script: Script = []
    seconds, q, a = 0.0, 0, 0

    def say(speaker: str, text: str, gap: float) -> None:
        nonlocal seconds
        script.append((speaker, text, gap))
        seconds += max(gap, 0.0) + len(text.split()) / 3.0

    def answer(sentences: int, pause: tuple[float, float]) -> None:
        nonlocal a
        for i in range(sentences):
            text = answers[a % len(answers)]
            a += 1
            say(PARTICIPANT, text, rng.uniform(0.5, 0.9) if i == 0 else rng.uniform(*pause))
            if shape == "backchannels" and rng.random() < 0.7:
                script.append((INTERVIEWER, rng.choice(BACKCHANNELS), -len(text.split()) / rng.uniform(4.0, 7.0)))

    def opening(introduction: tuple[str, ...]) -> None:
        say(INTERVIEWER, OPENING, 0.4)
        for i, sentence in enumerate(introduction):
            say(PARTICIPANT, sentence, rng.uniform(0.5, 0.8) if i == 0 else rng.uniform(0.3, 0.7))
        say(INTERVIEWER, FIRST_QUESTION, rng.uniform(0.5, 0.9))
        answer(3, (0.3, 0.8))

    introductions = list(INTRODUCTIONS)
    rng.shuffle(introductions)
    if shape == "recurring":
        opening(introductions[0])
    while seconds < minutes * 60:
        if shape == "rapid":
            for _ in range(rng.randint(6, 14)):
                speaker = INTERVIEWER if len(script) % 2 == 0 else PARTICIPANT
                say(speaker, rng.choice(RAPID_LINES[speaker]), rng.uniform(-0.25, 0.35))
            say(INTERVIEWER, questions[q % len(questions)], rng.uniform(0.3, 0.8))
            q += 1
            answer(rng.randint(1, 2), (0.2, 0.6))
            continue
        if shape == "recurring" and q and q % 5 == 0:
            opening(introductions[(q // 5) % len(introductions)])
        if shape == "recurring" and q >= 3 and rng.random() < 0.3:
            say(INTERVIEWER, "Let me come back to something I asked before", rng.uniform(0.5, 0.9))
            say(INTERVIEWER, questions[rng.randrange(q)], rng.uniform(0.2, 0.5))
        else:
            say(INTERVIEWER, questions[q % len(questions)], rng.uniform(0.5, 1.0))
        q += 1
        if shape == "monologue":
            answer(rng.randint(5, 9), (0.05, 0.35))
        else:
            answer(rng.randint(1, 4), (0.3, 1.2))
    return script


@dataclass
class Conversation:
    path: Path
    truth: list[Utterance]
    duration: float
    channels: str  # "mono" or "stereo"

    @property
    def reference(self) -> str:
        return " ".join(u.text for u in sorted(self.truth, key=lambda u: u.start))

    def reference_by_speaker(self) -> dict[str, str]:
        ordered = sorted(self.truth, key=lambda u: u.start)
        return {s: " ".join(u.text for u in ordered if u.speaker == s) for s in dict.fromkeys(u.speaker for u in ordered)}


# How a conversation reaches the recorder: "mono8k-mulaw" (a telephone line recorded to one
# channel, mu-law), "stereo8k" (one party per channel, crosstalk), "mono16k" (wideband, a
# room or a headset), each with background noise at `snr_db`.
FORMATS = ("mono8k-mulaw", "stereo8k", "mono16k")


def record(
    script: Script, voices: dict[str, str], workdir: Path, name: str, form: str = "mono8k-mulaw",
    speeds: dict[str, int] | None = None, snr_db: float = 35.0, crosstalk_db: float = -22.0, seed: int = 0,
) -> Conversation:
    """The script spoken by espeak-ng `voices` at `speeds` (words a minute) and recorded in
    `form` (see FORMATS) into workdir/name.wav."""
    if form not in FORMATS:
        raise ValueError(f"unknown form {form!r} (expected one of {', '.join(FORMATS)})")
    workdir.mkdir(parents=True, exist_ok=True)
    tracks, truth, duration = build_dialogue(script, voices, workdir, speeds=speeds)
    for clip in workdir.glob("tts-*.wav"):
        clip.unlink()
    speakers = list(voices)
    rng = np.random.default_rng(seed)
    level = np.sqrt(np.mean(np.concatenate(list(tracks.values())) ** 2) * 2)
    noise_rms = level * 10 ** (-snr_db / 20)
    if form == "stereo8k":
        leak = 10 ** (crosstalk_db / 20)
        first, second = tracks[speakers[0]], tracks[speakers[-1]] if len(speakers) > 1 else np.zeros_like(tracks[speakers[0]])
        mix = np.stack([first + leak * second, second + leak * first])
    else:
        mix = sum(tracks.values())[None, :]
    mix = mix + rng.normal(0, noise_rms, size=mix.shape)
    wide = write_wav(workdir / f"{name}.wide.wav", mix.astype(np.float32))
    path = workdir / f"{name}.wav"
    telephone = form != "mono16k"
    output = (["-r", "8000"] if telephone else []) + (["-e", "mu-law"] if form == "mono8k-mulaw" else [])
    band = ["sinc", "300-3400"] if telephone else ["sinc", "80-7600"]
    subprocess.run(["sox", str(wide), *output, str(path), *band], check=True)
    wide.unlink()
    return Conversation(path, truth, duration, "stereo" if form == "stereo8k" else "mono")
