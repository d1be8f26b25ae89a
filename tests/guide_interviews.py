"""Synthetic interviews that follow an interview guide as interviewers do: every question
paraphrased (never read as the guide words it), the order shuffled, some questions
skipped, follow-up probes and backchannels between, answers of one to three sentences
about the question (now and then with an aside); the answer to a probe stays with the
question it follows.
English and Norwegian. Each interview is a transcript (no audio: what is measured is the
matching of text) with the truth: the guide code of every answer turn, and the codes
skipped. bench/guide.py measures on them; tests/test_guide.py checks the figure.

The halves are worded apart. An interview of the tuning half (TUNING_SEEDS) asks with the
paraphrases and probes of the tuning wordings and is answered with the tuning answers; one
of the reporting half (REPORTING_SEEDS) with the reporting wording's and answers of its
own, written before anything was run on them, so what was
chosen on the tuning half has never seen a sentence of the reporting half. A reporting
wording is run once; once seen it joins the tuning wordings and a new one is written
(WORDINGS says when)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from test_outputs import make_transcript, segment

from transcribe.transcript import GuideQuestion, Transcript


@dataclass(frozen=True)
class Wording:
    paraphrases: dict[str, list[str]]  # a guide code -> how interviewers asked that question
    probes: dict[str, list[str]]  # a language -> follow-ups and backchannels


GUIDES = {  # (code, the guide's wording)
    "en": [
        ("workday", "Could you describe a normal working day for you?"),
        ("planning", "How do you plan the work of your team?"),
        ("discharge", "What happens when a patient is discharged from hospital to your service?"),
        ("information", "How do you receive information about new patients?"),
        ("tools", "Which digital tools do you use to share information with other services?"),
        ("staffing", "How do you recruit new staff and keep the ones you have?"),
        ("training", "What training do new employees get?"),
        ("families", "How do you involve the patients' families?"),
        ("errors", "How do you report errors and near misses?"),
        ("needs", "What would you need to do your job better?"),
    ],
    "no": [
        ("arbeidsdag", "Kan du beskrive en vanlig arbeidsdag for deg?"),
        ("planlegging", "Hvordan planlegger dere arbeidet i teamet?"),
        ("utskrivning", "Hva skjer når en pasient skrives ut fra sykehuset til dere?"),
        ("informasjon", "Hvordan får dere informasjon om nye pasienter?"),
        ("verktøy", "Hvilke digitale verktøy bruker dere for å dele informasjon med andre tjenester?"),
        ("bemanning", "Hvordan rekrutterer dere nye ansatte og beholder dem dere har?"),
        ("opplæring", "Hvilken opplæring får nye ansatte?"),
        ("pårørende", "Hvordan involverer dere pasientenes pårørende?"),
        ("avvik", "Hvordan melder dere avvik og nesten-uhell?"),
        ("behov", "Hva ville du trengt for å gjøre jobben din bedre?"),
    ],
}

# How interviewers asked each question, and what they said between, in six sets of
# wording: the last is the reporting half's, the others the tuning half's.
WORDINGS = [
    Wording(  # the first, tuned on from the start
        paraphrases={
            "workday": [
                "What does an ordinary day at work look like for you?",
                "Take me through a typical working day, from the morning on.",
            ],
            "planning": ["How is the team's work planned, week by week?", "Who decides what each of you does, and how is that planned?"],
            "discharge": [
                "When the hospital sends a patient home to you, what happens then?",
                "Tell me about the day a patient comes home from hospital.",
            ],
            "information": ["How does information about a new patient reach you?", "Where do you get to know about new patients from?"],
            "tools": [
                "What systems or apps do you use to exchange information with others?",
                "Do you share information with other services digitally, and with which tools?",
            ],
            "staffing": ["Is it hard to find new staff, and to keep them?", "How do you get people to come and work for you, and to stay?"],
            "training": [
                "How are newly employed staff trained before they work alone?",
                "When someone new starts, how do they learn the job?",
            ],
            "families": [
                "What part do relatives play, and how do you include them?",
                "How do you work with the families of the people you care for?",
            ],
            "errors": [
                "When something goes wrong, or nearly does, how is it reported?",
                "What do you do with mistakes and incidents, do you write them down?",
            ],
            "needs": [
                "If you could change one thing to do your work better, what would it be?",
                "What is missing for you to do a better job?",
            ],
            "arbeidsdag": [
                "Hvordan ser en helt vanlig dag på jobben ut for deg?",
                "Kan du ta meg gjennom arbeidsdagen din, fra morgenen av?",
            ],
            "planlegging": [
                "Hvordan blir arbeidet i teamet planlagt fra uke til uke?",
                "Hvem bestemmer hva hver enkelt gjør, og hvordan planlegges det?",
            ],
            "utskrivning": [
                "Når sykehuset sender en pasient hjem til dere, hva skjer da?",
                "Fortell om dagen en pasient kommer hjem fra sykehus.",
            ],
            "informasjon": ["Hvordan når informasjonen om en ny pasient fram til dere?", "Hvor får dere vite om nye pasienter fra?"],
            "verktøy": [
                "Hvilke systemer eller apper bruker dere til å utveksle informasjon med andre?",
                "Deler dere informasjon digitalt med andre tjenester, og med hvilke verktøy?",
            ],
            "bemanning": [
                "Er det vanskelig å få tak i nye ansatte, og å beholde dem?",
                "Hvordan får dere folk til å begynne hos dere, og til å bli?",
            ],
            "opplæring": ["Hvordan læres nyansatte opp før de jobber alene?", "Når noen nye begynner, hvordan lærer de seg jobben?"],
            "pårørende": [
                "Hvilken rolle har de pårørende, og hvordan tar dere dem med?",
                "Hvordan samarbeider dere med familiene til dem dere gir tjenester til?",
            ],
            "avvik": [
                "Når noe går galt, eller nesten gjør det, hvordan meldes det?",
                "Hva gjør dere med feil og uønskede hendelser, skriver dere dem ned?",
            ],
            "behov": [
                "Hvis du kunne endre én ting for å gjøre arbeidet bedre, hva ville det vært?",
                "Hva mangler for at du skal kunne gjøre en bedre jobb?",
            ],
        },
        probes={
            "en": ["Can you say a bit more about that?", "And what happened then?", "Why do you think that is?", "Mm, go on.", "Right."],
            "no": ["Kan du si litt mer om det?", "Og hva skjedde da?", "Hvorfor tror du det er slik?", "Mm, fortsett.", "Akkurat."],
        },
    ),
    Wording(  # the second: the reporting half's until it was run (once), 2026-11-30
        paraphrases={
            "workday": ["Could you walk me through what you usually do on a shift?", "What do your days at work normally consist of?"],
            "planning": ["How do you organise who does what in your team?", "Tell me how the team's tasks get scheduled."],
            "discharge": [
                "What is it like when patients are sent from the hospital to you?",
                "How does the handover work when someone leaves hospital and comes to your service?",
            ],
            "information": [
                "How are you informed when you get a new patient?",
                "What information do you get when a new patient is referred, and how?",
            ],
            "tools": [
                "Which electronic systems do you use when you communicate with other services?",
                "What software helps you share patient information with the GP or the hospital?",
            ],
            "staffing": ["How difficult is it to hire staff, and to make them stay?", "What do you do to attract and keep employees?"],
            "training": ["How are new colleagues taught the job when they start?", "What sort of introduction does a new nurse get?"],
            "families": ["How are relatives involved in the care you give?", "In what ways do you include the family of a patient?"],
            "errors": [
                "What happens when someone makes a mistake or nearly makes one, is it reported?",
                "How are adverse events and near misses recorded in your service?",
            ],
            "needs": ["What would help you do your work better?", "Is there anything you lack that would make your job easier?"],
            "arbeidsdag": ["Kan du fortelle hva du vanligvis gjør i løpet av en vakt?", "Hva består dagene dine på jobb vanligvis av?"],
            "planlegging": ["Hvordan fordeler dere oppgavene i teamet?", "Fortell hvordan oppgavene i teamet blir satt opp."],
            "utskrivning": [
                "Hvordan er det når pasienter blir sendt fra sykehuset til dere?",
                "Hvordan foregår overføringen når noen forlater sykehuset og kommer til tjenesten deres?",
            ],
            "informasjon": [
                "Hvordan blir dere informert når dere får en ny pasient?",
                "Hvilken informasjon får dere når en ny pasient blir henvist, og hvordan?",
            ],
            "verktøy": [
                "Hvilke elektroniske systemer bruker dere når dere kommuniserer med andre tjenester?",
                "Hvilken programvare hjelper dere å dele pasientopplysninger med fastlegen eller sykehuset?",
            ],
            "bemanning": [
                "Hvor vanskelig er det å ansette folk, og å få dem til å bli?",
                "Hva gjør dere for å tiltrekke dere og beholde ansatte?",
            ],
            "opplæring": ["Hvordan lærer nye kolleger jobben når de begynner?", "Hva slags introduksjon får en ny sykepleier?"],
            "pårørende": [
                "Hvordan er de pårørende involvert i omsorgen dere gir?",
                "På hvilke måter tar dere med familien til en pasient?",
            ],
            "avvik": [
                "Hva skjer når noen gjør en feil eller nesten gjør en, blir det meldt?",
                "Hvordan blir uønskede hendelser og nesten-uhell registrert hos dere?",
            ],
            "behov": ["Hva ville hjulpet deg til å gjøre arbeidet ditt bedre?", "Er det noe du mangler som ville gjort jobben lettere?"],
        },
        probes={
            "en": [
                "What do you mean by that?",
                "Could you give me an example?",
                "How did you feel about that?",
                "How often does that happen?",
                "Okay, and was that the same for the others?",
                "Yes.",
                "I see.",
            ],
            "no": [
                "Hva mener du med det?",
                "Kan du gi meg et eksempel?",
                "Hvordan opplevde du det?",
                "Hvor ofte skjer det?",
                "Ok, og var det likt for de andre?",
                "Ja.",
                "Jeg skjønner.",
            ],
        },
    ),
    Wording(  # the third: the reporting half's until it was run (once), 2026-11-30
        paraphrases={
            "workday": [
                "So what's a usual day like for you at work?",
                "Tell me about your day, from when you start work until you go home.",
            ],
            "planning": ["How does your team decide who does which tasks?", "Can you describe how the work gets planned in your group?"],
            "discharge": [
                "What do you do when someone is discharged home to your care?",
                "How do the first days go when a patient comes from the hospital to you?",
            ],
            "information": [
                "When a new patient is coming, how do you find out?",
                "How do you get the details you need about new patients?",
            ],
            "tools": [
                "What kind of digital systems do you communicate through with other services?",
                "Do you use any electronic tools for sharing information, and which ones?",
            ],
            "staffing": [
                "How is it to recruit people, and to keep them in the job?",
                "What are the challenges with finding and holding on to staff?",
            ],
            "training": [
                "How do new staff learn what they need when they start?",
                "Is there any training for newcomers, and what does it look like?",
            ],
            "families": ["What role do the families have in your work with patients?", "How do you cooperate with next of kin?"],
            "errors": [
                "If there's an error, or almost one, what do you do about it?",
                "How does your service deal with incidents and near misses?",
            ],
            "needs": ["What do you need to be able to do your job better?", "What would make your work easier?"],
            "arbeidsdag": ["Hvordan er en vanlig dag på jobb for deg?", "Fortell om dagen din, fra du kommer på jobb til du går hjem."],
            "planlegging": [
                "Hvordan bestemmer teamet hvem som gjør hvilke oppgaver?",
                "Kan du beskrive hvordan arbeidet planlegges i gruppen deres?",
            ],
            "utskrivning": [
                "Hva gjør dere når noen skrives ut og skal hjem til dere?",
                "Hvordan går de første dagene når en pasient kommer fra sykehuset til dere?",
            ],
            "informasjon": [
                "Når en ny pasient skal komme, hvordan får dere vite det?",
                "Hvordan får dere opplysningene dere trenger om nye pasienter?",
            ],
            "verktøy": [
                "Hva slags digitale systemer kommuniserer dere med andre tjenester gjennom?",
                "Bruker dere noen elektroniske verktøy for å dele informasjon, og i så fall hvilke?",
            ],
            "bemanning": [
                "Hvordan er det å rekruttere folk, og å holde på dem?",
                "Hvilke utfordringer har dere med å finne og beholde ansatte?",
            ],
            "opplæring": [
                "Hvordan lærer nyansatte det de trenger når de begynner?",
                "Finnes det opplæring for nye, og hvordan ser den ut?",
            ],
            "pårørende": [
                "Hvilken rolle har familiene i arbeidet deres med pasientene?",
                "Hvordan samarbeider dere med nærmeste pårørende?",
            ],
            "avvik": [
                "Hvis det skjer en feil, eller nesten, hva gjør dere da?",
                "Hvordan håndterer tjenesten deres uønskede hendelser og nesten-uhell?",
            ],
            "behov": ["Hva trenger du for å kunne gjøre jobben din bedre?", "Hva ville gjort arbeidet ditt lettere?"],
        },
        probes={
            "en": [
                "Mhm, and then?",
                "What was that like for you?",
                "Could you explain what you mean?",
                "Is that common?",
                "And who was involved in that?",
                "Okay.",
            ],
            "no": [
                "Mhm, og så?",
                "Hvordan var det for deg?",
                "Kan du forklare hva du mener?",
                "Er det vanlig?",
                "Og hvem var involvert i det?",
                "Ok.",
            ],
        },
    ),
    Wording(  # the fourth: the reporting half's until it was run (once), 2026-11-30
        paraphrases={
            "workday": ["What does a working day usually involve for you?", "Could you start by telling me how your workday goes?"],
            "planning": ["Who plans the team's work, and how is it done?", "How are tasks shared out among the people in your team?"],
            "discharge": [
                "Could you tell me what happens after a patient leaves the hospital and is referred to you?",
                "What is the process when the hospital discharges someone to your care?",
            ],
            "information": [
                "How do you learn about a patient who is new to your service?",
                "Through which channels does information on new patients come to you?",
            ],
            "tools": [
                "Tell me about the digital tools you use with other services.",
                "How do you exchange information electronically with other parts of the health service?",
            ],
            "staffing": [
                "Do you have problems recruiting, or keeping the staff you have?",
                "How do you manage to get enough employees, and keep them?",
            ],
            "training": ["What kind of training is given to new employees?", "How do you prepare people who are new in the job?"],
            "families": ["Tell me how you involve relatives.", "To what extent are family members part of the care?"],
            "errors": [
                "What is the routine for reporting mistakes or close calls?",
                "Could you tell me how errors are reported in your service?",
            ],
            "needs": [
                "What would it take for you to do your job better?",
                "If you could wish for something to make your work better, what would it be?",
            ],
            "arbeidsdag": ["Hva går en arbeidsdag vanligvis ut på for deg?", "Kan du begynne med å fortelle hvordan arbeidsdagen din er?"],
            "planlegging": [
                "Hvem planlegger arbeidet i teamet, og hvordan gjøres det?",
                "Hvordan fordeles oppgavene mellom dem som er i teamet?",
            ],
            "utskrivning": [
                "Kan du fortelle hva som skjer etter at en pasient har forlatt sykehuset og er henvist til dere?",
                "Hvordan er prosessen når sykehuset skriver ut noen til dere?",
            ],
            "informasjon": [
                "Hvordan får dere kjennskap til en pasient som er ny hos dere?",
                "Gjennom hvilke kanaler kommer informasjon om nye pasienter til dere?",
            ],
            "verktøy": [
                "Fortell om de digitale verktøyene dere bruker sammen med andre tjenester.",
                "Hvordan utveksler dere informasjon elektronisk med andre deler av helsetjenesten?",
            ],
            "bemanning": [
                "Har dere problemer med å rekruttere, eller med å beholde de ansatte dere har?",
                "Hvordan klarer dere å få nok ansatte, og å beholde dem?",
            ],
            "opplæring": ["Hva slags opplæring gis til nye ansatte?", "Hvordan forbereder dere folk som er nye i jobben?"],
            "pårørende": ["Fortell hvordan dere involverer pårørende.", "I hvilken grad er familiemedlemmer en del av omsorgen?"],
            "avvik": ["Hva er rutinen for å melde feil eller nesten-feil?", "Kan du fortelle hvordan feil blir meldt hos dere?"],
            "behov": [
                "Hva skal til for at du kan gjøre jobben din bedre?",
                "Hvis du kunne ønske deg noe for å gjøre arbeidet bedre, hva ville det vært?",
            ],
        },
        probes={
            "en": [
                "Could you tell me a little more?",
                "What happened next?",
                "Why was that, do you think?",
                "Mhm.",
                "How did the others react?",
                "So it varies?",
            ],
            "no": [
                "Kan du fortelle litt mer?",
                "Hva skjedde så?",
                "Hvorfor var det slik, tror du?",
                "Mhm.",
                "Hvordan reagerte de andre?",
                "Så det varierer?",
            ],
        },
    ),
    Wording(  # the fifth: the reporting half's until it was run (once), 2026-11-30
        paraphrases={
            "workday": [
                "How would you describe an average day in your job?",
                "What do you typically do from the start to the end of a working day?",
            ],
            "planning": ["How is the work in your team organised?", "Who draws up the plans for the team, and how?"],
            "discharge": [
                "Tell me what happens when a patient is sent home from hospital and you take over.",
                "How is the transfer from the hospital to your service handled?",
            ],
            "information": [
                "How is information on new patients passed on to you?",
                "What do you hear about a new patient before you first meet them, and from whom?",
            ],
            "tools": [
                "What digital solutions do you use to communicate with other services?",
                "How do you share information with the hospital or the GP, is it electronic?",
            ],
            "staffing": [
                "How do you find new people to hire, and make sure they stay?",
                "Tell me about recruitment and keeping staff in your service.",
            ],
            "training": ["How are new employees trained?", "What does the first period look like for someone newly hired?"],
            "families": ["How do you include relatives in your work?", "What contact do you have with the patients' families?"],
            "errors": [
                "What do you do when an error or a near miss happens?",
                "Is there a system for reporting errors, and how is it used?",
            ],
            "needs": ["What would you need in order to work better?", "What would make it possible for you to do a better job?"],
            "arbeidsdag": [
                "Hvordan vil du beskrive en gjennomsnittlig dag i jobben din?",
                "Hva gjør du vanligvis fra du begynner til du slutter på en arbeidsdag?",
            ],
            "planlegging": ["Hvordan er arbeidet i teamet ditt organisert?", "Hvem lager planene for teamet, og hvordan?"],
            "utskrivning": [
                "Fortell hva som skjer når en pasient sendes hjem fra sykehuset og dere tar over.",
                "Hvordan håndteres overgangen fra sykehuset til tjenesten deres?",
            ],
            "informasjon": [
                "Hvordan blir informasjon om nye pasienter gitt videre til dere?",
                "Hva hører dere om en ny pasient før dere møter dem første gang, og fra hvem?",
            ],
            "verktøy": [
                "Hvilke digitale løsninger bruker dere for å kommunisere med andre tjenester?",
                "Hvordan deler dere informasjon med sykehuset eller fastlegen, skjer det elektronisk?",
            ],
            "bemanning": [
                "Hvordan finner dere nye folk å ansette, og sørger for at de blir?",
                "Fortell om rekruttering og det å beholde ansatte hos dere.",
            ],
            "opplæring": ["Hvordan læres nye ansatte opp?", "Hvordan ser den første tiden ut for en som er nyansatt?"],
            "pårørende": ["Hvordan tar dere med pårørende i arbeidet?", "Hvilken kontakt har dere med pasientenes familier?"],
            "avvik": [
                "Hva gjør dere når det skjer en feil eller et nesten-uhell?",
                "Finnes det et system for å melde feil, og hvordan brukes det?",
            ],
            "behov": ["Hva ville du trengt for å jobbe bedre?", "Hva ville gjort det mulig for deg å gjøre en bedre jobb?"],
        },
        probes={
            "en": ["And how was that?", "Can you give an example of that?", "What did you do then?", "Mm-hm.", "Does that happen often?", "Interesting, go on."],
            "no": ["Og hvordan var det?", "Kan du gi et eksempel på det?", "Hva gjorde du da?", "Mm-hm.", "Skjer det ofte?", "Interessant, fortsett."],
        },
    ),
    Wording(  # the reporting half's, written before anything was run on it
        paraphrases={
            "workday": [
                "Can you walk me through a normal day for you at work?",
                "What happens on an ordinary working day, from when you arrive?",
            ],
            "planning": [
                "How do you and your colleagues plan your work?",
                "Who makes the plan for the team, and what does it look like?",
            ],
            "discharge": [
                "What do you do when the hospital sends a patient home to your service?",
                "Can you describe what happens when a patient has been discharged and you take over?",
            ],
            "information": ["How do you find out about a new patient?", "Who tells you about new patients, and what do they tell you?"],
            "tools": [
                "Which digital systems do you use to talk to other services?",
                "How is information passed electronically between you and other services?",
            ],
            "staffing": [
                "How do you get hold of new staff, and how do you keep them?",
                "What is recruitment like for you, and do people stay?",
            ],
            "training": ["What sort of training do you give people who are new?", "How do you teach a new colleague the work?"],
            "families": ["How do you bring the family into the patient's care?", "What do you do to involve the relatives?"],
            "errors": [
                "What is done when something goes wrong or almost goes wrong?",
                "How do you record mistakes and near misses?",
            ],
            "needs": ["What would you need to be able to work better?", "Is there anything that would help you do a better job?"],
            "arbeidsdag": [
                "Kan du ta meg gjennom en vanlig dag for deg på jobben?",
                "Hva skjer på en vanlig arbeidsdag, fra du kommer?",
            ],
            "planlegging": [
                "Hvordan planlegger du og kollegene dine arbeidet?",
                "Hvem lager planen for teamet, og hvordan ser den ut?",
            ],
            "utskrivning": [
                "Hva gjør dere når sykehuset sender en pasient hjem til tjenesten deres?",
                "Kan du beskrive hva som skjer når en pasient er skrevet ut og dere tar over?",
            ],
            "informasjon": ["Hvordan finner dere ut om en ny pasient?", "Hvem forteller dere om nye pasienter, og hva får dere vite?"],
            "verktøy": [
                "Hvilke digitale systemer bruker dere for å snakke med andre tjenester?",
                "Hvordan går informasjon elektronisk mellom dere og andre tjenester?",
            ],
            "bemanning": [
                "Hvordan får dere tak i nye ansatte, og hvordan beholder dere dem?",
                "Hvordan er rekrutteringen hos dere, og blir folk værende?",
            ],
            "opplæring": ["Hva slags opplæring gir dere til folk som er nye?", "Hvordan lærer dere opp en ny kollega i arbeidet?"],
            "pårørende": [
                "Hvordan trekker dere familien inn i omsorgen for pasienten?",
                "Hva gjør dere for å involvere de pårørende?",
            ],
            "avvik": ["Hva gjøres når noe går galt eller nesten går galt?", "Hvordan registrerer dere feil og nesten-uhell?"],
            "behov": [
                "Hva ville du trengt for å kunne jobbe bedre?",
                "Er det noe som ville hjulpet deg til å gjøre en bedre jobb?",
            ],
        },
        probes={
            "en": [
                "Can you tell me more about that?",
                "What did that mean for you?",
                "How so?",
                "Mm.",
                "Was that a problem?",
                "And then what?",
            ],
            "no": [
                "Kan du fortelle mer om det?",
                "Hva betydde det for deg?",
                "Hvordan da?",
                "Mm.",
                "Var det et problem?",
                "Og hva så?",
            ],
        },
    ),
]

# What participants answered to each question (by code), sentences each half has of its
# own (the tuning half's include those of earlier reporting wordings); an answer turn is
# one to three of them, now and then with an aside.
ANSWERS = {
    "tuning": {
        "workday": [
            "I start at seven with the report from the night shift",
            "Most of the morning I drive between patients' homes",
            "After lunch I do the paperwork and plan the next day",
            "The day usually ends around three, but often later",
            "My shift starts with coffee and a look at today's list",
            "I see about ten people before lunch, some only for a few minutes",
            "The afternoons are quieter, that is when I call relatives and doctors",
        ],
        "planning": [
            "We meet every Monday and go through the list together",
            "The team leader sets up the rota four weeks ahead",
            "Each of us has a group of patients we know well",
            "If someone is ill we share out their visits at the morning meeting",
            "Our coordinator makes a draft and we adjust it together on Thursdays",
            "We try to give the heaviest patients to the most experienced nurses",
            "Holidays are planned half a year ahead, otherwise it never works",
        ],
        "discharge": [
            "The hospital often calls on a Friday afternoon and the patient arrives the same evening",
            "We visit the patient at home within a day of discharge",
            "The discharge letter often comes a day or two after the patient",
            "Sometimes they come home without the equipment they need",
            "Often nobody has told us what the patient can manage on their own",
            "The first visit after hospital takes much longer than a normal visit",
            "We check the medicines against the hospital's list on the first evening",
        ],
        "information": [
            "Most of it comes as electronic messages from the hospital",
            "The GP sometimes calls us about a patient before we hear anything else",
            "We get a referral form, but it is often missing the medication list",
            "Relatives are often the first to tell us that someone needs help",
            "A message arrives in our inbox with the diagnosis and the medicines",
            "Sometimes we only learn about a patient when the family rings",
            "The referral is short, so we phone the ward to ask for details",
        ],
        "tools": [
            "We use electronic messages, but not every service reads them every day",
            "The patient record system does not talk to the hospital's system",
            "For urgent things we still pick up the phone",
            "We have tablets in the cars so we can write notes at the patient's home",
            "We chat with the GP's office through the messaging system",
            "The hospital and we use different systems, so we fall back on the phone",
            "A shared care plan on the tablet would help, but we do not have one yet",
        ],
        "staffing": [
            "It is hard to find nurses who want to work evenings and weekends",
            "We have had three vacancies for almost a year",
            "Many leave after a year because the work is so heavy",
            "We try to keep people by letting them choose some of their shifts",
            "We advertise all the time and get very few applicants",
            "People stay when they feel they have a say in their schedule",
            "We use temporary staff in the summer, which is expensive",
        ],
        "training": [
            "New employees go with an experienced colleague for two weeks",
            "There is a course on medication in the first month",
            "They get a folder with our routines on the first day",
            "It takes about half a year before someone is really confident",
            "The first week they only follow a colleague and watch",
            "We have an online course they take before they give medicines",
            "A mentor checks in with them every week for the first three months",
        ],
        "families": [
            "The relatives are important, but they are often tired and worried",
            "We invite the closest family to a meeting when the patient comes home",
            "Some families call us every day, others we never meet",
            "We ask the patient first whether we may talk to the family",
            "Next of kin often know things about the patient that nobody wrote down",
            "We hold a meeting with the family when things change a lot",
            "Some relatives expect more than we are able to give",
        ],
        "errors": [
            "Once a patient got the wrong dose because the list from the hospital was old",
            "We write a report in the quality system and discuss it at the next meeting",
            "The most important thing is that people are not afraid to speak up",
            "Near misses are reported less often than they should be",
            "Last month a visit was forgotten, and we wrote it up the same day",
            "The reports are reviewed by the manager every week",
            "We talk about what went wrong without looking for someone to blame",
        ],
        "needs": [
            "I would need two more nurses and a better computer system",
            "More time with each patient would make the biggest difference",
            "A system that shared the medication list with the hospital would help a lot",
            "Better pay for evening shifts would make it easier to keep people",
            "Mostly I need fewer patients on each route",
            "Access to the hospital notes would save me a lot of phone calls",
            "Some training in palliative care would help me feel safer",
        ],
        "arbeidsdag": [
            "Jeg begynner klokka sju med rapport fra nattevakta",
            "Det meste av formiddagen kjører jeg mellom pasientene",
            "Etter lunsj skriver jeg journal og planlegger neste dag",
            "Dagen slutter vanligvis rundt tre, men ofte senere",
            "Vakta mi starter med kaffe og en titt på dagens liste",
            "Jeg er hos rundt ti personer før lunsj, noen bare i noen minutter",
            "Ettermiddagene er roligere, da ringer jeg pårørende og leger",
        ],
        "planlegging": [
            "Vi har møte hver mandag og går gjennom listen sammen",
            "Teamlederen setter opp turnusen fire uker fram i tid",
            "Hver av oss har en gruppe pasienter vi kjenner godt",
            "Hvis noen er syke, fordeler vi besøkene deres på morgenmøtet",
            "Koordinatoren lager et utkast, og vi justerer det sammen på torsdager",
            "Vi prøver å gi de tyngste pasientene til de mest erfarne sykepleierne",
            "Ferier planlegges et halvt år i forveien, ellers går det aldri",
        ],
        "utskrivning": [
            "Sykehuset ringer ofte en fredag ettermiddag, og pasienten kommer samme kveld",
            "Vi besøker pasienten hjemme innen et døgn etter utskrivning",
            "Epikrisen kommer ofte en dag eller to etter pasienten",
            "Noen ganger kommer de hjem uten hjelpemidlene de trenger",
            "Ofte har ingen fortalt oss hva pasienten klarer selv",
            "Det første besøket etter sykehuset tar mye lengre tid enn et vanlig besøk",
            "Vi sjekker medisinene mot sykehusets liste den første kvelden",
        ],
        "informasjon": [
            "Det meste kommer som elektroniske meldinger fra sykehuset",
            "Fastlegen ringer oss noen ganger om en pasient før vi hører noe annet",
            "Vi får et henvisningsskjema, men medisinlisten mangler ofte",
            "Ofte er det de pårørende som først sier fra at noen trenger hjelp",
            "En melding kommer i innboksen vår med diagnose og medisiner",
            "Noen ganger får vi først vite om en pasient når familien ringer",
            "Henvisningen er kort, så vi ringer avdelingen for å spørre om detaljer",
        ],
        "verktøy": [
            "Vi bruker elektroniske meldinger, men ikke alle tjenester leser dem hver dag",
            "Journalsystemet vårt snakker ikke med sykehusets system",
            "Når det haster, tar vi fortsatt telefonen",
            "Vi har nettbrett i bilene så vi kan skrive notater hjemme hos pasienten",
            "Vi skriver med fastlegekontoret gjennom meldingssystemet",
            "Sykehuset og vi bruker forskjellige systemer, så vi faller tilbake på telefonen",
            "En felles plan på nettbrettet ville hjulpet, men det har vi ikke ennå",
        ],
        "bemanning": [
            "Det er vanskelig å finne sykepleiere som vil jobbe kvelder og helger",
            "Vi har hatt tre ledige stillinger i nesten et år",
            "Mange slutter etter et år fordi arbeidet er så tungt",
            "Vi prøver å beholde folk ved å la dem velge noen av vaktene selv",
            "Vi lyser ut hele tiden og får svært få søkere",
            "Folk blir når de føler at de har noe de skulle ha sagt om turnusen",
            "Vi bruker vikarer om sommeren, og det er dyrt",
        ],
        "opplæring": [
            "Nye ansatte går sammen med en erfaren kollega i to uker",
            "Den første måneden er det et kurs i legemiddelhåndtering",
            "De får en perm med rutinene våre den første dagen",
            "Det tar et halvt år før noen er helt trygge",
            "Den første uka går de bare sammen med en kollega og ser på",
            "Vi har et nettkurs de tar før de får gi medisiner",
            "En mentor følger dem opp hver uke de første tre månedene",
        ],
        "pårørende": [
            "De pårørende er viktige, men de er ofte slitne og bekymret",
            "Vi inviterer nærmeste pårørende til et møte når pasienten kommer hjem",
            "Noen familier ringer oss hver dag, andre møter vi aldri",
            "Vi spør pasienten først om vi får snakke med familien",
            "Nærmeste pårørende vet ofte ting om pasienten som ingen har skrevet ned",
            "Vi har et møte med familien når ting endrer seg mye",
            "Noen pårørende forventer mer enn vi klarer å gi",
        ],
        "avvik": [
            "En gang fikk en pasient feil dose fordi listen fra sykehuset var gammel",
            "Vi skriver en melding i kvalitetssystemet og tar det opp på neste møte",
            "Det viktigste er at folk ikke er redde for å si fra",
            "Nesten-uhell meldes sjeldnere enn de burde",
            "Forrige måned ble et besøk glemt, og vi skrev avvik samme dag",
            "Lederen går gjennom meldingene hver uke",
            "Vi snakker om hva som gikk galt uten å lete etter en syndebukk",
        ],
        "behov": [
            "Jeg ville trengt to sykepleiere til og et bedre datasystem",
            "Mer tid med hver pasient ville gjort mest forskjell",
            "Et system som delte medisinlisten med sykehuset ville hjulpet mye",
            "Bedre betalte kveldsvakter ville gjort det lettere å beholde folk",
            "Mest av alt trenger jeg færre pasienter på hver rute",
            "Tilgang til sykehusjournalen ville spart meg for mange telefoner",
            "Litt opplæring i lindrende behandling ville gjort meg tryggere",
        ],
    },
    "reporting": {
        "workday": [
            "We start with a short meeting at half past seven",
            "I have my own list of visits and a car for the day",
            "Between visits I answer phone calls from the GP and the pharmacy",
        ],
        "planning": [
            "The plan is made in a spreadsheet that the team leader keeps",
            "We look at the week together every Friday",
            "When there are too many visits we decide together what can wait",
        ],
        "discharge": [
            "The patient often comes home before we have the medicines in order",
            "We try to be there the same day the patient comes home",
            "The ward calls us, but not always early enough",
        ],
        "information": [
            "The referral comes through the electronic messages",
            "Often the relatives ring before anyone else does",
            "What we get is usually a short note and a list of diagnoses",
        ],
        "tools": [
            "We send messages to the GP through the record system",
            "With the hospital it is mostly phone calls, the systems do not connect",
            "We have a tablet app, but it is slow out in the countryside",
        ],
        "staffing": [
            "We have had a nurse post empty since the spring",
            "Some come for a year and then go to the hospital where the pay is better",
            "We offer full-time posts now, and that helps people stay",
        ],
        "training": [
            "A new colleague shadows someone experienced for the first weeks",
            "We have a checklist they go through with a mentor",
            "They take a medicines course before they work alone",
        ],
        "families": [
            "We call the next of kin after the first visit",
            "Some relatives want to be part of everything, others do not",
            "We have family meetings when the care plan changes",
        ],
        "errors": [
            "We register it in the incident system the same day",
            "The leader goes through the reports at the monthly meeting",
            "It is about learning, not about finding someone to blame",
        ],
        "needs": [
            "More time at each visit is the first thing",
            "A record system that talks to the hospital's would help a lot",
            "More colleagues, so that we are not always running",
        ],
        "arbeidsdag": [
            "Vi starter med et kort møte halv åtte",
            "Jeg har min egen liste over besøk og en bil for dagen",
            "Mellom besøkene svarer jeg på telefoner fra fastlegen og apoteket",
        ],
        "planlegging": [
            "Planen lages i et regneark som teamlederen har",
            "Vi ser på uka sammen hver fredag",
            "Når det er for mange besøk, bestemmer vi sammen hva som kan vente",
        ],
        "utskrivning": [
            "Pasienten kommer ofte hjem før vi har fått orden på medisinene",
            "Vi prøver å være der samme dag som pasienten kommer hjem",
            "Avdelingen ringer oss, men ikke alltid tidlig nok",
        ],
        "informasjon": [
            "Henvisningen kommer gjennom de elektroniske meldingene",
            "Ofte ringer de pårørende før noen andre gjør det",
            "Det vi får, er som regel et kort notat og en liste over diagnoser",
        ],
        "verktøy": [
            "Vi sender meldinger til fastlegen gjennom journalsystemet",
            "Med sykehuset er det mest telefon, systemene henger ikke sammen",
            "Vi har en app på nettbrettet, men den er treg ute i distriktet",
        ],
        "bemanning": [
            "Vi har hatt en sykepleierstilling ledig siden våren",
            "Noen blir et år og går så til sykehuset der lønna er bedre",
            "Vi tilbyr hele stillinger nå, og det hjelper folk å bli",
        ],
        "opplæring": [
            "En ny kollega går sammen med en erfaren de første ukene",
            "Vi har en sjekkliste de går gjennom med en mentor",
            "De tar et legemiddelkurs før de jobber alene",
        ],
        "pårørende": [
            "Vi ringer nærmeste pårørende etter det første besøket",
            "Noen pårørende vil være med på alt, andre ikke",
            "Vi har familiemøter når pleieplanen endres",
        ],
        "avvik": [
            "Vi registrerer det i avvikssystemet samme dag",
            "Lederen går gjennom meldingene på månedsmøtet",
            "Det handler om å lære, ikke om å finne en syndebukk",
        ],
        "behov": [
            "Mer tid på hvert besøk er det første",
            "Et journalsystem som snakker med sykehusets, ville hjulpet mye",
            "Flere kolleger, så vi ikke alltid må løpe",
        ],
    },
}
ASIDES = {  # said in an answer, about nothing the guide asks
    "tuning": {"en": [
        "It depends a bit on the day",
        "I have worked here for eleven years",
        "That is hard to say",
        "Well, you know how it is",
        "I should say I am only speaking for myself",
    ], "no": [
        "Det kommer litt an på dagen",
        "Jeg har jobbet her i elleve år",
        "Det er vanskelig å si",
        "Ja, du vet hvordan det er",
        "Jeg snakker bare for meg selv, altså",
    ]},
    "reporting": {"en": ["Well, that is how it is here", "I can only speak for our team"], "no": ["Ja, sånn er det her", "Jeg kan bare snakke for teamet vårt"]},
}
ASIDE_SHARE = 0.3  # of answer turns

TUNING_WORDINGS, REPORTING_WORDING = WORDINGS[:-1], WORDINGS[-1]
TUNING_SEEDS = range(0, 30)
REPORTING_SEEDS = range(30, 60)
SKIP_SHARE = 0.2  # of the guide's questions, not asked in an interview


@dataclass
class GuideInterview:
    language: str
    guide: list[GuideQuestion]
    transcript: Transcript
    truth: dict[float, str]  # an answer turn's start -> the code of the question it answers
    skipped: list[str]


def guide_questions(language: str) -> list[GuideQuestion]:
    return [GuideQuestion(code, question) for code, question in GUIDES[language]]


def build(language: str, seed: int) -> GuideInterview:
    """Interview `seed` in `language` ("en", "no"), worded as its half (TUNING_SEEDS or
    REPORTING_SEEDS) asks."""
    rng = random.Random(f"{language}-{seed}")
    half = "tuning" if seed in TUNING_SEEDS else "reporting"
    wordings = TUNING_WORDINGS if half == "tuning" else [REPORTING_WORDING]
    entries = [(code, question, [p for w in wordings for p in w.paraphrases[code]]) for code, question in GUIDES[language]]
    probes = [p for w in wordings for p in w.probes[language]]
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
            sentences = rng.sample(ANSWERS[half][code], rng.randint(1, 3))
            if rng.random() < ASIDE_SHARE:
                sentences.insert(rng.randint(0, len(sentences)), rng.choice(ASIDES[half][language]))
            truth[say("SPEAKER_01", ". ".join(sentences) + ".")] = code
            if rng.random() < 0.5:
                say("SPEAKER_00", rng.choice(probes))
    transcript.segments = segments
    skipped = [code for code, _, _ in entries if code not in {c for c, _, _ in asked}]
    return GuideInterview(language, guide_questions(language), transcript, truth, skipped)
