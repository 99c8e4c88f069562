"""Small pieces of French typography shared by the faces."""

from enfance.core.db import strip_accents

ELIDING_INITIALS = set("aeiouh")


def de_name(name):
    """ "de" before a name, elided before a vowel or a mute h: "d'Inès", "d'Hugo", "de Léa".

    Every initial h is taken as mute: first names with an aspirated h are rare, and "d'Hector" or
    "d'Hélène" are the usual spellings.
    """
    name = str(name).strip()
    initial = strip_accents(name[:1]).lower()
    return f"d'{name}" if initial in ELIDING_INITIALS else f"de {name}"
