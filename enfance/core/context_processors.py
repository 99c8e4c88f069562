from django.conf import settings


def site(request):
    return {
        "COMMUNE_NAME": settings.COMMUNE_NAME,
        "COMMUNE_WEBSITE": settings.COMMUNE_WEBSITE,
    }
