"""Interview scripts for synthetic recordings: (speaker, line, gap before in seconds)."""

INTERVIEWER, PARTICIPANT = "interviewer", "participant"

ENGLISH_VOICES = {INTERVIEWER: "en-us+m3", PARTICIPANT: "en-gb+f3"}

ENGLISH_CALL = [
    (INTERVIEWER, "Thank you for taking the time to talk with me today", 0.0),
    (PARTICIPANT, "You are welcome I am happy to help with the study", 0.6),
    (INTERVIEWER, "Could you tell me how you first came into contact with the clinic", 0.5),
    (PARTICIPANT, "My doctor referred me after the surgery last spring", 0.7),
    (PARTICIPANT, "and the nurses followed up every week by telephone", 0.4),
    (INTERVIEWER, "How did those telephone calls work for you", 0.8),
    (PARTICIPANT, "They were helpful but sometimes the calls came very late in the evening", 0.5),
    (INTERVIEWER, "That is useful to know", 0.6),
    (PARTICIPANT, "I would have liked a fixed time each week", 0.5),
    (INTERVIEWER, "Thank you that was my last question", 0.9),
]

# Interviews with spoken fillers. "{um}" is a filler: the reference text says "um", the
# synthesizer gets its phonemes (espeak-ng reads the spelling "um" as a word, not a filler).
ENGLISH_FILLER_PHONEMES = {"um": "[[Vm]]", "uh": "[[V:]]", "er": "[[3:]]"}

ENGLISH_FILLER_CALL = [
    (INTERVIEWER, "So, {um}, could you tell me how the first weeks at home went", 0.0),
    (PARTICIPANT, "Well, {um}, I think the nurse, {uh}, called me every week", 0.7),
    (PARTICIPANT, "{um}, it was, {uh}, difficult at first, you know", 0.5),
    (INTERVIEWER, "And, {er}, how did the doctor explain the treatment", 0.8),
    (PARTICIPANT, "The doctor was, {um}, very kind, and, {uh}, patient with me", 0.6),
    (PARTICIPANT, "But, {er}, I did not really understand the letter", 0.5),
    (INTERVIEWER, "{uh}, what would have helped you most", 0.9),
    (PARTICIPANT, "{um}, maybe a phone number, {uh}, that I could call at night", 0.6),
]

NORWEGIAN_VOICES = {INTERVIEWER: "nb+m3", PARTICIPANT: "nb+f3"}
NORWEGIAN_FILLER_PHONEMES = {"eh": "[[e:]]", "ehm": "[[e:m]]", "øh": "[[2:]]"}

NORWEGIAN_FILLER_CALL = [
    (INTERVIEWER, "Så, {eh}, kan du fortelle litt om de første ukene hjemme", 0.0),
    (PARTICIPANT, "Ja, {ehm}, jeg tror sykepleieren, {eh}, ringte meg hver uke", 0.7),
    (PARTICIPANT, "{øh}, det var, {eh}, vanskelig i begynnelsen", 0.5),
    (INTERVIEWER, "Og, {ehm}, hvordan forklarte legen behandlingen", 0.8),
    (PARTICIPANT, "Legen var, {eh}, veldig snill, og, {øh}, tålmodig med meg", 0.6),
    (PARTICIPANT, "Men, {ehm}, jeg forsto ikke helt brevet", 0.5),
]
