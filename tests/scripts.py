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
