"""Pseudonymize: names and identifiers replaced, consistently across a study.

    detection      what to replace: the study key, patterns, named-entity recognition (Presidio)
    replace        the replacement of one transcript, its review decisions applied
    pseudonym_key  real value -> pseudonym for a study, kept apart and owner-only
    study_key      the researcher's key: people, organisations, places, chosen pseudonyms
    review         the review file of every replacement, and the researcher's decisions in it

Private: `_identifiers` (phone and ID numbers, e-mail and street addresses).
"""

from .pseudonym_key import PseudonymKey
from .replace import pseudonymize
from .study_key import StudyKey

__all__ = ["PseudonymKey", "StudyKey", "pseudonymize"]
