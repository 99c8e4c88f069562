"""Every URL pattern of the project, classified by who may open it.

A new URL must be added to TABLE below, or tests/test_url_permissions.py fails:
that is how a page nobody thought about (a portal page without its access
helper, a staff page without its decorator) gets noticed. The classes:

PUBLIC              anyone, anonymous included (GET answers 200);
AUTH                a link sent by e-mail that carries a token (activation,
                    password reset): anonymous, valid only with its token;
ACCOUNT             any logged-in user, family or staff (its own account);
PORTAL_WITHOUT_ID   the logged-in household's pages without an identifier;
PORTAL_WITH_ID      the household's pages naming one of its objects: another
                    household's identifier answers 404, exactly like a missing one;
STAFF               the back office: families get 403, anonymous users the login page.

Each entry with identifiers has a function building its kwargs from a Scope:
one household seen through one of its children (`scope.child`), with that
child's authorised person named by this household (`scope.person`) and its
vaccination (`scope.vaccination`). Staff URLs are built for the household
they look at. POST_ONLY lists the views that refuse GET (405).
"""

from dataclasses import dataclass
from functools import cached_property

from django.urls import URLPattern, URLResolver, get_resolver, reverse

PUBLIC = "public"
AUTH = "auth"
ACCOUNT = "account"
PORTAL_WITHOUT_ID = "portal_without_id"
PORTAL_WITH_ID = "portal_with_id"
STAFF = "staff"
KINDS = (PUBLIC, AUTH, ACCOUNT, PORTAL_WITHOUT_ID, PORTAL_WITH_ID, STAFF)
PORTAL = (PORTAL_WITHOUT_ID, PORTAL_WITH_ID)

# Staff roles, from the least to the most powerful (enfance.accounts.models.User.Role).
LEADER, AGENT, ADMIN = "leader", "agent", "admin"

# An identifier no row has: the 404 of another household's object must look exactly like this one's.
MISSING_ID = 987_654_321


@dataclass
class Scope:
    """One household seen through one of its children (see prepare() for the objects it needs)."""

    family: object
    login: object
    child: object = None

    @cached_property
    def person(self):
        person = self.child.authorized_persons.filter(family=self.family).order_by("pk").first()
        assert person is not None, f"the test household {self.family} names no authorised person for {self.child}"
        return person

    @cached_property
    def vaccination(self):
        vaccination = self.child.vaccinations.order_by("pk").first()
        assert vaccination is not None, f"the test child {self.child} has no vaccination"
        return vaccination

    @cached_property
    def guardian(self):
        return self.family.guardians.order_by("rank", "pk").first()

    @cached_property
    def change_request(self):
        from enfance.changes.models import ChangeRequest

        change = ChangeRequest.objects.filter(family=self.family).exclude(kind="file").order_by("pk").first()
        assert change is not None, f"no change request for {self.family}: call url_table.prepare() first"
        return change

    @cached_property
    def photo_request(self):
        from enfance.changes.models import ChangeRequest

        change = ChangeRequest.objects.filter(family=self.family, kind="file").order_by("pk").first()
        assert change is not None, f"no photo request for {self.family}: call url_table.prepare() first"
        return change

    @cached_property
    def thread(self):
        from enfance.messaging.models import Thread

        thread = Thread.objects.filter(family=self.family, origin="family").order_by("pk").first()
        assert thread is not None, f"no conversation for {self.family}: call url_table.prepare() first"
        return thread

    @cached_property
    def application(self):
        """A new household's pending application (not any household's own object: staff only)."""
        from enfance.families.models import NewHouseholdApplication

        application = NewHouseholdApplication.objects.order_by("pk").first()
        assert application is not None, "no new household application: call url_table.prepare() first"
        return application

    @cached_property
    def rules(self):
        from enfance.rules.services import current_rules

        rules = current_rules()
        assert rules is not None, "no published service rules: call url_table.prepare() first"
        return rules

    @cached_property
    def colleague(self):
        """A staff account other than the visitor's (staff pages about a staff account)."""
        from enfance.accounts.models import User

        user, _ = User.objects.get_or_create(username="agent.collegue", defaults={"role": User.Role.AGENT})
        return user


def scopes_of(login):
    """One Scope per child of the login's household, in a stable order."""
    from enfance.families.access import children_of

    family = login.family
    children = list(children_of(family).order_by("pk"))
    return [Scope(family=family, login=login, child=child) for child in children] or [Scope(family, login)]


# --- kwargs builders: a dict, or a list of dicts when the URL has several forms (one per category) ----

def _slugs(scope, kinds):
    from enfance.families import categories

    return [c.slug for c in categories.CATEGORIES if c.scope == scope and c.kind in kinds]


def _child(s):
    return {"child_id": s.child.pk}


def _child_person(s):
    return {"child_id": s.child.pk, "person_id": s.person.pk}


def _child_vaccination(s):
    return {"child_id": s.child.pk, "vaccination_id": s.vaccination.pk}


def _portal_family_category(s):
    return [{"category_slug": slug} for slug in _slugs("family", ("fields",))]


def _portal_child_category(s):
    return [{"child_id": s.child.pk, "category_slug": slug} for slug in _slugs("child", ("fields",))]


def _request(s):
    return {"request_id": s.change_request.pk}


def _request_attachment(s):
    from enfance.core import attachments

    attachment = attachments.of(s.photo_request).first()
    return {"request_id": s.photo_request.pk, "attachment_id": attachment.pk}


def _family(s):
    return {"family_id": s.family.pk}


def _family_category(s):
    return [{"family_id": s.family.pk, "category": slug} for slug in _slugs("family", ("fields",))]


def _staff_child_category(s):
    # The photo has its own URL (backoffice:child_photo_edit), which "modifier/photo/" resolves to.
    return [{"child_id": s.child.pk, "category": slug} for slug in _slugs("child", ("fields",))]


def _family_child(s):
    return {"family_id": s.family.pk, "child_id": s.child.pk}


def _family_child_person(s):
    return {"family_id": s.family.pk, "child_id": s.child.pk, "person_id": s.person.pk}


def _family_login(s):
    return {"family_id": s.family.pk, "user_id": s.login.pk}


def _application(s):
    return {"application_id": s.application.pk}


def _rules(s):
    return {"rules_id": s.rules.pk}


def _colleague(s):
    return {"user_id": s.colleague.pk}


def _outbox_email(s):
    from enfance.core.models import OutgoingEmail

    email, _ = OutgoingEmail.objects.get_or_create(to="echec@example.org", state=OutgoingEmail.State.FAILED,
                                                   defaults={"subject": "Courriel en échec", "attempts": 7})
    return {"email_id": email.pk}


def _uid(user):
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    return urlsafe_base64_encode(force_bytes(user.pk))


def _password_reset_token(s):
    from django.contrib.auth.tokens import default_token_generator

    return {"uidb64": _uid(s.login), "token": default_token_generator.make_token(s.login)}


def _optout_token(s):
    from enfance.messaging.notifications import optout_token

    return {"token": optout_token(s.login, "message")}


def _thread(s):
    return {"thread_id": s.thread.pk}


def _message_attachment(s):
    from enfance.core import attachments
    from enfance.messaging.models import Message

    message = Message.objects.filter(thread=s.thread).order_by("pk").first()
    return {"thread_id": s.thread.pk, "attachment_id": attachments.of(message).first().pk}


def _topic(s):
    from enfance.messaging.models import Topic

    topic, _ = Topic.objects.get_or_create(name="Thème de la matrice")
    return {"topic_id": topic.pk}


def _answer_template(s):
    from enfance.messaging.models import AnswerTemplate

    template, _ = AnswerTemplate.objects.get_or_create(title="Réponse de la matrice", defaults={"body": "Bonjour."})
    return {"template_id": template.pk}


def _activation_token(s):
    from enfance.accounts.tokens import activation_token

    return {"uidb64": _uid(s.login), "token": activation_token.make_token(s.login)}


@dataclass(frozen=True)
class Route:
    kind: str
    kwargs: object = None  # Scope -> dict (or list of dicts), for URLs with identifiers
    ok: int = 200  # what the rightful visitor gets (302 for a view that only redirects; POST-only: its POST)
    post_only: bool = False  # refuses GET (405): tested with POST
    role: str = LEADER  # STAFF: the least powerful staff role allowed in
    marker: bytes = b'name="new_password1"'  # AUTH: what the page shows with a valid token only
    # STAFF pages about one household: a leader reaches only the households of their activities, and
    # gets 404 for the others (the test households are in none).
    household: bool = False


TABLE = {
    # accounts (enfance/accounts/urls.py)
    "accounts:home": Route(ACCOUNT, ok=302),  # sends each role to its home page
    "accounts:login": Route(PUBLIC),
    "accounts:logout": Route(PUBLIC, post_only=True, ok=302),
    "accounts:password_change": Route(ACCOUNT),
    "accounts:password_change_done": Route(ACCOUNT),
    "accounts:password_reset": Route(PUBLIC),
    "accounts:password_reset_done": Route(PUBLIC),
    "accounts:password_reset_confirm": Route(AUTH, kwargs=_password_reset_token, ok=302),  # to its set-password URL
    "accounts:password_reset_complete": Route(PUBLIC),
    "accounts:activate": Route(AUTH, kwargs=_activation_token),
    "public:optout": Route(AUTH, kwargs=_optout_token, marker=b"Ne plus recevoir ces courriels"),  # the signed link at the foot of a notification e-mail
    "accounts:username_reminder": Route(PUBLIC),
    "accounts:username_reminder_done": Route(PUBLIC),
    # public pages (enfance/core/urls.py)
    "public:accessibility": Route(PUBLIC),
    "public:privacy": Route(PUBLIC),
    "public:apply": Route(PUBLIC),
    "public:apply_done": Route(PUBLIC),
    # the Portail Famille (enfance/portal/urls.py)
    "portal:home": Route(PORTAL_WITHOUT_ID),
    "portal:information": Route(PORTAL_WITHOUT_ID),
    "portal:edit_family": Route(PORTAL_WITHOUT_ID, kwargs=_portal_family_category),  # a category, no identifier
    "portal:child": Route(PORTAL_WITH_ID, kwargs=_child),
    "portal:child_health": Route(PORTAL_WITH_ID, kwargs=_child),
    "portal:child_photo": Route(PORTAL_WITH_ID, kwargs=_child),
    "portal:edit_photo": Route(PORTAL_WITH_ID, kwargs=_child),
    "portal:edit_child": Route(PORTAL_WITH_ID, kwargs=_portal_child_category),
    "portal:authorized_person_add": Route(PORTAL_WITH_ID, kwargs=_child),
    "portal:authorized_person": Route(PORTAL_WITH_ID, kwargs=_child_person),
    "portal:authorized_person_remove": Route(PORTAL_WITH_ID, kwargs=_child_person),
    "portal:vaccination_add": Route(PORTAL_WITH_ID, kwargs=_child),
    "portal:vaccination": Route(PORTAL_WITH_ID, kwargs=_child_vaccination),
    "portal:vaccination_remove": Route(PORTAL_WITH_ID, kwargs=_child_vaccination),
    "portal:requests": Route(PORTAL_WITHOUT_ID),
    "portal:request": Route(PORTAL_WITH_ID, kwargs=_request),
    "portal:request_cancel": Route(PORTAL_WITH_ID, kwargs=_request, post_only=True, ok=302),
    "portal:request_attachment": Route(PORTAL_WITH_ID, kwargs=_request_attachment),
    # the inbox
    "portal:inbox": Route(PORTAL_WITHOUT_ID),
    "portal:thread_new": Route(PORTAL_WITHOUT_ID),
    "portal:thread": Route(PORTAL_WITH_ID, kwargs=_thread),
    "portal:message_attachment": Route(PORTAL_WITH_ID, kwargs=_message_attachment),
    "portal:preferences": Route(PORTAL_WITHOUT_ID),
    # the service rules: the household accepts the current ones, staff publish them
    "portal:rules": Route(PORTAL_WITHOUT_ID),
    "portal:rules_pdf": Route(PORTAL_WITHOUT_ID),
    "backoffice:rules": Route(STAFF, role=AGENT),
    "backoffice:rules_detail": Route(STAFF, kwargs=_rules, role=AGENT),
    "backoffice:rules_publish": Route(STAFF, kwargs=_rules, role=AGENT, post_only=True, ok=302),
    "backoffice:rules_signed_copy": Route(STAFF, kwargs=_rules, role=AGENT, post_only=True, ok=302),
    "backoffice:rules_pdf": Route(STAFF, kwargs=_rules, role=AGENT),
    # the staff back office: requests to review
    "backoffice:requests": Route(STAFF, role=AGENT),
    "backoffice:request_settings": Route(STAFF, role=ADMIN),  # which request types apply at once
    "backoffice:request": Route(STAFF, kwargs=_request, role=AGENT),
    "backoffice:request_approve": Route(STAFF, kwargs=_request, role=AGENT, post_only=True, ok=302),
    "backoffice:request_reject": Route(STAFF, kwargs=_request, role=AGENT, post_only=True, ok=200),  # no reason: the form again
    "backoffice:request_attachment": Route(STAFF, kwargs=_request_attachment, role=AGENT),
    "backoffice:applications": Route(STAFF, role=AGENT),
    "backoffice:application": Route(STAFF, kwargs=_application, role=AGENT),
    # an empty POST gets the review page again, with the form's errors
    "backoffice:application_approve": Route(STAFF, kwargs=_application, role=AGENT, post_only=True),
    "backoffice:application_reject": Route(STAFF, kwargs=_application, role=AGENT, post_only=True),
    # the staff back office (enfance/backoffice/urls.py)
    "backoffice:home": Route(STAFF),
    "backoffice:families": Route(STAFF),
    "backoffice:family_create": Route(STAFF, role=AGENT),
    "backoffice:family": Route(STAFF, kwargs=_family, household=True),
    "backoffice:family_history": Route(STAFF, kwargs=_family, household=True),
    "backoffice:family_edit": Route(STAFF, kwargs=_family_category, role=AGENT),
    "backoffice:guardian2_remove": Route(STAFF, kwargs=_family, role=AGENT),
    "backoffice:family_archive": Route(STAFF, kwargs=_family, role=AGENT),
    "backoffice:child_add": Route(STAFF, kwargs=_family, role=AGENT),
    "backoffice:child_link": Route(STAFF, kwargs=_family, role=AGENT),
    "backoffice:authorized_person_add": Route(STAFF, kwargs=_family_child, role=AGENT),
    "backoffice:authorized_person_edit": Route(STAFF, kwargs=_family_child_person, role=AGENT),
    "backoffice:authorized_person_delete": Route(STAFF, kwargs=_family_child_person, role=AGENT),
    "backoffice:family_login_create": Route(STAFF, kwargs=_family, role=AGENT),
    "backoffice:family_login_invite": Route(STAFF, kwargs=_family_login, role=AGENT, post_only=True, ok=302),
    "backoffice:family_login_close": Route(STAFF, kwargs=_family_login, role=AGENT),
    "backoffice:child_photo_edit": Route(STAFF, kwargs=_child, role=AGENT),
    "backoffice:child_edit": Route(STAFF, kwargs=_staff_child_category, role=AGENT),
    "backoffice:child_photo": Route(STAFF, kwargs=_child, household=True),
    "backoffice:child_health": Route(STAFF, kwargs=_child, household=True),
    "backoffice:vaccination_add": Route(STAFF, kwargs=_child, role=AGENT),
    "backoffice:vaccination_edit": Route(STAFF, kwargs=_child_vaccination, role=AGENT),
    "backoffice:vaccination_delete": Route(STAFF, kwargs=_child_vaccination, role=AGENT),
    "backoffice:health_log": Route(STAFF, role=ADMIN),
    "backoffice:staff": Route(STAFF, role=ADMIN),
    "backoffice:staff_create": Route(STAFF, role=ADMIN),
    "backoffice:staff_close": Route(STAFF, kwargs=_colleague, role=ADMIN),
    "backoffice:outbox": Route(STAFF, role=ADMIN),
    "backoffice:outbox_retry": Route(STAFF, kwargs=_outbox_email, role=ADMIN, post_only=True, ok=302),
    # the staff's side of messages: agents and administrators, never leaders
    "backoffice:messages": Route(STAFF, role=AGENT),
    "backoffice:message_thread": Route(STAFF, kwargs=_thread, role=AGENT),
    "backoffice:message_assign": Route(STAFF, kwargs=_thread, role=AGENT, post_only=True),  # no choice: the form again
    "backoffice:message_close": Route(STAFF, kwargs=_thread, role=AGENT, post_only=True, ok=302),
    "backoffice:message_reopen": Route(STAFF, kwargs=_thread, role=AGENT, post_only=True, ok=302),
    "backoffice:message_attachment": Route(STAFF, kwargs=_message_attachment, role=AGENT),
    "backoffice:message_new": Route(STAFF, kwargs=_family, role=AGENT),
    "backoffice:broadcasts": Route(STAFF, role=AGENT),
    "backoffice:broadcast_new": Route(STAFF, role=AGENT),
    "backoffice:topics": Route(STAFF, role=ADMIN),
    "backoffice:topics_new": Route(STAFF, role=ADMIN),
    "backoffice:topics_edit": Route(STAFF, kwargs=_topic, role=ADMIN),
    "backoffice:answer_templates": Route(STAFF, role=ADMIN),
    "backoffice:answer_templates_new": Route(STAFF, role=ADMIN),
    "backoffice:answer_templates_edit": Route(STAFF, kwargs=_answer_template, role=ADMIN),
}

# The activities' rows, one module each (tests/url_tables/): their builders make the catalogue they name.
from tests.url_tables import (  # noqa: E402
    attendance,
    billing_payments,
    billing_portal,
    billing_runs,
    bookings,
    catalogue,
    documents,
    kitchen,
    payments,
)

for _module in (catalogue, bookings, attendance, kitchen, billing_runs, billing_payments, billing_portal, documents,
                payments):
    assert not set(_module.ROUTES) & set(TABLE), f"{_module.__name__} names a URL already in TABLE"
    TABLE.update(_module.ROUTES)

POST_ONLY = frozenset(name for name, route in TABLE.items() if route.post_only)


def names(*kinds, get=None):
    """The table's names of these kinds; get=True keeps the GET-able ones, get=False the POST-only ones."""
    return sorted(
        name for name, route in TABLE.items()
        if (not kinds or route.kind in kinds) and (get is None or get != route.post_only)
    )


def all_kwargs(name, scope):
    """Every form of the URL's kwargs for this scope (several when it names a category)."""
    route = TABLE[name]
    if route.kwargs is None:
        return [{}]
    built = route.kwargs(scope)
    return built if isinstance(built, list) else [built]


def build_kwargs(name, scope):
    return all_kwargs(name, scope)[0]


def url_for(name, scope=None):
    return reverse(name, kwargs=build_kwargs(name, scope))


def urls_for(name, scope=None):
    return [reverse(name, kwargs=kwargs) for kwargs in all_kwargs(name, scope)]


def with_missing_ids(kwargs):
    """The same kwargs with every numeric identifier replaced by one that does not exist."""
    return {key: (MISSING_ID if isinstance(value, int) else value) for key, value in kwargs.items()}


# --- the project's patterns ---------------------------------------------------

def project_patterns(resolver=None, namespace="", prefix=""):
    """Every URL pattern as {"namespace:name": route string}; unnamed patterns as "<unnamed> route"."""
    resolver = resolver or get_resolver()
    found = {}
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            found.update(project_patterns(entry, inner, route))
        elif isinstance(entry, URLPattern):
            if entry.name:
                key = f"{namespace}:{entry.name}" if namespace else entry.name
            else:
                key = f"<unnamed> {route}"
            found.setdefault(key, route)
    return found


def _jpeg(colour=(200, 120, 40)):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def give_photo(child):
    """A small real JPEG for the child, so that the photo URL answers 200 to its own household."""
    from django.core.files.base import ContentFile

    child.photo.save(f"child-{child.pk}.jpg", ContentFile(_jpeg()), save=True)


def prepare(*logins, acknowledge=True):
    """What the table's URLs need, for these households; returns {login: [Scope, ...]}.

    Every child gets a photo; the household has a pending photo request (for its first child) and a
    cancelled request to remove its last child's vaccination, so that request pages exist in both states
    and the other children's forms stay open. The current service rules are published (with a PDF) and,
    unless acknowledge=False, already accepted by these logins (else every portal page leads to them).
    """
    from enfance.changes import services
    from enfance.changes.models import ChangeRequest
    from enfance.core.attachments import JPEG, CleanFile
    from enfance.families import categories, request_types

    result = {}
    for login in logins:
        scopes = scopes_of(login)
        for scope in scopes:
            if scope.child is not None and not scope.child.photo:
                give_photo(scope.child)
        family = scopes[0].family
        if scopes[0].child is not None and not ChangeRequest.objects.filter(family=family).exists():
            first, last = scopes[0], scopes[-1]
            request_types.submit_photo(user=login, family=family, child=first.child,
                                       upload=CleanFile(_jpeg((20, 90, 160)), JPEG, "photo.jpg"))
            removal = request_types.submit_removal(user=login, family=family, category=categories.get("vaccinations"),
                                                   item=last.vaccination, child=last.child)
            services.cancel(removal.pk, family=family, user=login)
        if not family.threads.exists():
            from enfance.messaging import services as messaging
            from enfance.messaging.models import Topic

            messaging.start_by_family(family=family, user=login, subject=f"Question du foyer {family.reference}",
                                      topic=Topic.objects.first(), body="Bonjour, une question.",
                                      uploads=[CleanFile(MINIMAL_PDF, "pdf", "question.pdf")])
        result[login] = scopes
    _application_for_tests()
    rules = _rules_for_tests()
    if acknowledge:
        from enfance.rules.models import Acknowledgement

        for login in logins:
            Acknowledgement.objects.get_or_create(rules=rules, user=login)
    return result


def _rules_for_tests():
    from django.core.cache import cache
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from enfance.core.dates import school_year_start
    from enfance.rules import services
    from enfance.rules.models import ServiceRules

    year = school_year_start().year
    rules = ServiceRules.objects.filter(school_year=year).first()
    if rules is None:
        rules = ServiceRules(school_year=year, title="Conditions de fonctionnement des services périscolaires",
                             text="Article 1 : les inscriptions se font sur le Portail Famille.\n\n"
                                  "Article 2 : toute absence est signalée la veille avant 10 heures.",
                             published_at=timezone.now())
        rules.pdf.save("conditions.pdf", ContentFile(MINIMAL_PDF), save=False)
        rules.save()
        cache.delete(services.CACHE_KEY)
    return rules


MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _application_for_tests():
    from enfance.families.models import NewHouseholdApplication

    if NewHouseholdApplication.objects.exists():
        return
    NewHouseholdApplication.objects.create(contact_email="nouvelle.famille@example.org", payload={
        "household": {"address_line1": "5 rue du Lavoir", "address_line2": "", "postal_code": "83440",
                      "city": "Tourrettes", "home_phone": ""},
        "guardians": [{"civility": "MME", "last_name": "Nouvelle", "first_name": "Anne",
                       "email": "nouvelle.famille@example.org", "mobile_phone": "06 10 20 30 40"}],
        "children": [{"last_name": "Nouvelle", "first_name": "Lou", "birth_date": "2019-02-03", "sex": "F"}],
    })
