"""Synthetic interviews that follow an interview guide as interviewers do: every question
paraphrased (never read as the guide words it), the order shuffled, some questions
skipped, follow-up probes and backchannels between, answers of one to four sentences.
English and Norwegian. Each interview is a transcript (no audio: what is measured is the
matching of text) with the truth: the guide code of every answer turn, and the codes
skipped. bench/guide.py measures on them; tests/test_guide.py checks the figure."""

from __future__ import annotations

import random
from dataclasses import dataclass

from conversations import ANSWERS as ENGLISH_ANSWERS
from test_outputs import make_transcript, segment

from transcribe.transcript import GuideQuestion, Transcript

# (code, the guide's wording, how interviewers asked it)
GUIDES = {
    "en": [
        ("workday", "Could you describe a normal working day for you?",
         ["What does an ordinary day at work look like for you?", "Take me through a typical working day, from the morning on."]),
        ("planning", "How do you plan the work of your team?",
         ["How is the team's work planned, week by week?", "Who decides what each of you does, and how is that planned?"]),
        ("discharge", "What happens when a patient is discharged from hospital to your service?",
         ["When the hospital sends a patient home to you, what happens then?", "Tell me about the day a patient comes home from hospital."]),
        ("information", "How do you receive information about new patients?",
         ["How does information about a new patient reach you?", "Where do you get to know about new patients from?"]),
        ("tools", "Which digital tools do you use to share information with other services?",
         ["What systems or apps do you use to exchange information with others?", "Do you share information with other services digitally, and with which tools?"]),
        ("staffing", "How do you recruit new staff and keep the ones you have?",
         ["Is it hard to find new staff, and to keep them?", "How do you get people to come and work for you, and to stay?"]),
        ("training", "What training do new employees get?",
         ["How are newly employed staff trained before they work alone?", "When someone new starts, how do they learn the job?"]),
        ("families", "How do you involve the patients' families?",
         ["What part do relatives play, and how do you include them?", "How do you work with the families of the people you care for?"]),
        ("errors", "How do you report errors and near misses?",
         ["When something goes wrong, or nearly does, how is it reported?", "What do you do with mistakes and incidents, do you write them down?"]),
        ("needs", "What would you need to do your job better?",
         ["If you could change one thing to do your work better, what would it be?", "What is missing for you to do a better job?"]),
    ],
    "no": [
        ("arbeidsdag", "Kan du beskrive en vanlig arbeidsdag for deg?",
         ["Hvordan ser en helt vanlig dag på jobben ut for deg?", "Kan du ta meg gjennom arbeidsdagen din, fra morgenen av?"]),
        ("planlegging", "Hvordan planlegger dere arbeidet i teamet?",
         ["Hvordan blir arbeidet i teamet planlagt fra uke til uke?", "Hvem bestemmer hva hver enkelt gjør, og hvordan planlegges det?"]),
        ("utskrivning", "Hva skjer når en pasient skrives ut fra sykehuset til dere?",
         ["Når sykehuset sender en pasient hjem til dere, hva skjer da?", "Fortell om dagen en pasient kommer hjem fra sykehus."]),
        ("informasjon", "Hvordan får dere informasjon om nye pasienter?",
         ["Hvordan når informasjonen om en ny pasient fram til dere?", "Hvor får dere vite om nye pasienter fra?"]),
        ("verktøy", "Hvilke digitale verktøy bruker dere for å dele informasjon med andre tjenester?",
         ["Hvilke systemer eller apper bruker dere til å utveksle informasjon med andre?", "Deler dere informasjon digitalt med andre tjenester, og med hvilke verktøy?"]),
        ("bemanning", "Hvordan rekrutterer dere nye ansatte og beholder dem dere har?",
         ["Er det vanskelig å få tak i nye ansatte, og å beholde dem?", "Hvordan får dere folk til å begynne hos dere, og til å bli?"]),
        ("opplæring", "Hvilken opplæring får nye ansatte?",
         ["Hvordan læres nyansatte opp før de jobber alene?", "Når noen nye begynner, hvordan lærer de seg jobben?"]),
        ("pårørende", "Hvordan involverer dere pasientenes pårørende?",
         ["Hvilken rolle har de pårørende, og hvordan tar dere dem med?", "Hvordan samarbeider dere med familiene til dem dere gir tjenester til?"]),
        ("avvik", "Hvordan melder dere avvik og nesten-uhell?",
         ["Når noe går galt, eller nesten gjør det, hvordan meldes det?", "Hva gjør dere med feil og uønskede hendelser, skriver dere dem ned?"]),
        ("behov", "Hva ville du trengt for å gjøre jobben din bedre?",
         ["Hvis du kunne endre én ting for å gjøre arbeidet bedre, hva ville det vært?", "Hva mangler for at du skal kunne gjøre en bedre jobb?"]),
    ],
}

ANSWERS = {
    "en": ENGLISH_ANSWERS,
    "no": [
        "Dagen starter med et kort møte der vi går gjennom listen over pasienter",
        "Hver sykepleier får en rute med mellom åtte og tolv besøk",
        "Vi prøver å gi de samme pasientene til den samme sykepleieren så ofte vi kan",
        "På fredager er det alltid vanskelig fordi sykehuset vil tømme sengene",
        "Epikrisen kommer ofte en dag eller to etter pasienten",
        "Vi bruker elektroniske meldinger, men ikke alle tjenester leser dem hver dag",
        "De sykeste pasientene får besøk, de andre ringer vi om morgenen",
        "Det er vanskelig å finne sykepleiere som vil jobbe kvelder og helger",
        "Vi har hatt tre ledige stillinger i nesten et år",
        "Nye ansatte går sammen med en erfaren kollega i to uker",
        "De pårørende er viktige, men de er ofte slitne og bekymret",
        "Vi inviterer nærmeste pårørende til et møte når pasienten kommer hjem",
        "En gang fikk en pasient feil dose fordi listen fra sykehuset var gammel",
        "Vi skriver en melding i kvalitetssystemet og tar det opp på neste møte",
        "Det viktigste er at folk ikke er redde for å si fra",
        "Jeg ville trengt to sykepleiere til og et bedre datasystem",
        "Fastlegen er den som kjenner pasienten best",
        "Apoteket pakker medisinene i poser for hver dag, og det sparer oss for tid",
    ],
}

PROBES = {
    "en": ["Can you say a bit more about that?", "And what happened then?", "Why do you think that is?", "Mm, go on.", "Right."],
    "no": ["Kan du si litt mer om det?", "Og hva skjedde da?", "Hvorfor tror du det er slik?", "Mm, fortsett.", "Akkurat."],
}
SKIP_SHARE = 0.2  # of the guide's questions, not asked in an interview


@dataclass
class GuideInterview:
    language: str
    guide: list[GuideQuestion]
    transcript: Transcript
    truth: dict[float, str]  # an answer turn's start -> the code of the question it answers
    skipped: list[str]


def guide_questions(language: str) -> list[GuideQuestion]:
    return [GuideQuestion(code, question) for code, question, _ in GUIDES[language]]


def build(language: str, seed: int) -> GuideInterview:
    rng = random.Random(f"{language}-{seed}")
    entries = list(GUIDES[language])
    asked = rng.sample(entries, round(len(entries) * (1 - SKIP_SHARE)))  # shuffled, some left out
    transcript = make_transcript()
    transcript.language = language
    transcript.speakers[0].role, transcript.speakers[1].role = "interviewer", "participant"
    segments, truth, t = [], {}, 2.0

    def say(speaker: str, text: str) -> float:
        nonlocal t
        start = t
        segments.append(segment(start, speaker, text))
        t = segments[-1].end + rng.uniform(0.4, 1.5)
        return start

    for code, _, paraphrases in asked:
        say("SPEAKER_00", rng.choice(paraphrases))
        for _ in range(rng.randint(1, 3)):  # answers, with probes between
            truth[say("SPEAKER_01", ". ".join(rng.sample(ANSWERS[language], rng.randint(1, 4))) + ".")] = code
            if rng.random() < 0.5:
                say("SPEAKER_00", rng.choice(PROBES[language]))
    transcript.segments = segments
    skipped = [code for code, _, _ in entries if code not in {c for c, _, _ in asked}]
    return GuideInterview(language, guide_questions(language), transcript, truth, skipped)
