import re

from django.conf import settings


def phone_uri(phone):
    """A tel: address in international form: "04 65 71 83 40" -> "+33465718340"."""
    digits = re.sub(r"[^\d+]", "", phone or "")
    if digits.startswith("00"):
        return "+" + digits[2:]
    if len(digits) == 10 and digits.startswith("0"):
        return "+33" + digits[1:]
    return digits


def commune_contact():
    """The town hall's contact details, from the settings (ENFANCE_COMMUNE_* in the environment)."""
    return {
        "COMMUNE_NAME": settings.COMMUNE_NAME,
        "COMMUNE_ADDRESS": settings.COMMUNE_ADDRESS,
        "COMMUNE_PHONE": settings.COMMUNE_PHONE,
        "COMMUNE_PHONE_URI": phone_uri(settings.COMMUNE_PHONE),
        "COMMUNE_EMAIL": settings.COMMUNE_EMAIL,
        "COMMUNE_HOURS": settings.COMMUNE_HOURS,
    }


def site(request):
    return {
        **commune_contact(),
        "COMMUNE_WEBSITE": settings.COMMUNE_WEBSITE,
    }
