"""Rows of the permission matrix (tests/url_table.py) for the PDF editions (enfance/documents).

A household downloads its own children's sheets and its own dossier; the blank pre-registration form is public.
Staff: the simple sheet down to leaders (only the children of their activities, hence household=True: the test
households are in none), the complete sheet (health data), the dossiers for agents and administrators.
"""

from tests.url_table import (
    AGENT,
    PORTAL_WITH_ID,
    PORTAL_WITHOUT_ID,
    PUBLIC,
    STAFF,
    Route,
    _application,
    _child,
    _family,
)

ROUTES = {
    "public:apply_form_pdf": Route(PUBLIC),
    "portal:child_sheet": Route(PORTAL_WITH_ID, kwargs=_child),
    "portal:child_sheet_complete": Route(PORTAL_WITH_ID, kwargs=_child),
    "portal:dossier": Route(PORTAL_WITHOUT_ID),
    "backoffice:child_sheet": Route(STAFF, kwargs=_child, household=True),
    "backoffice:child_sheet_complete": Route(STAFF, kwargs=_child, role=AGENT),
    "backoffice:family_dossier": Route(STAFF, kwargs=_family, role=AGENT),
    "backoffice:application_dossier": Route(STAFF, kwargs=_application, role=AGENT),
}
