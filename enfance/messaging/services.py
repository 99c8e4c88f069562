"""Conversations: start, reply, read, assign, close; broadcasts; the decision on a request in the inbox.

Writes lock the conversation row, so that a family's reply and a staff member closing it at once end
in one state. Every e-mail goes through the notification kinds (notifications.py) and the outbox, in
the same transaction as the message: the message is on the portal whatever happens to the e-mail.
"""

import datetime
import logging

from django.db import connection, transaction
from django.db.models import BooleanField
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext as _

from enfance.core import attachments as files
from enfance.core.db import RowSQL, fold, folded
from enfance.families.models import ChildLink, Family

from . import notifications
from .models import Broadcast, Message, Thread, ThreadRead

logger = logging.getLogger(__name__)
State = Thread.State
Origin = Thread.Origin
MAX_ATTACHMENTS = 3
ATTACHMENTS = files.Policy("message", files.DOCUMENT.label, files.DOCUMENT.formats, max_count=MAX_ATTACHMENTS,
                           help_text=files.DOCUMENT.help_text)


class MessagingError(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


# --- reading ----------------------------------------------------------------------------------

def _unread_condition(thread_alias):
    """SQL: the conversation `thread_alias` has a message from the commune this login (the %s parameter) has not
    read. Raw, for the menu's count on every page and the inbox's flags: building it through the ORM on every
    request cost more than running it."""
    read = connection.ops.quote_name(ThreadRead._meta.db_table)
    return (f"{thread_alias}.last_commune_message_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {read} r"
            f" WHERE r.thread_id = {thread_alias}.id AND r.user_id = %s"
            f" AND r.read_at >= {thread_alias}.last_commune_message_at)")


def unread_count_sql(family_column):
    """SQL: the count of unread conversations of the household in `family_column`, for the login (the one %s
    parameter). The login's own query reads it with the login (accounts.backends), saving a round trip on
    every portal page."""
    thread = connection.ops.quote_name(Thread._meta.db_table)
    return f"SELECT COUNT(*) FROM {thread} t WHERE t.family_id = {family_column} AND {_unread_condition('t')}"


def unread_count(family_id, user):
    """The login's unread conversations of the household."""
    with connection.cursor() as cursor:
        cursor.execute(unread_count_sql("%s"), [family_id, user.pk])
        return cursor.fetchone()[0]


def threads_for_family(family, user):
    """The household's conversations, newest first, each with `unread` for this login."""
    unread = RowSQL(_unread_condition("{row}"), [user.pk], output_field=BooleanField())
    return Thread.objects.filter(family=family).select_related("topic").annotate(unread=unread)


def mark_read(thread, user, at=None):
    """Read up to `at`: by default the commune's last message of the row as loaded, so that a reply committed
    while the page was being shown stays unread. Never moves backwards, even when two requests read at once
    (a conditional update, not a read then a save).

    True when this moved the login's read time (the conversation may have left the unread ones).
    """
    at = at or thread.last_commune_message_at or timezone.now()
    read, created = ThreadRead.objects.get_or_create(thread=thread, user=user, defaults={"read_at": at})
    if created or read.read_at >= at:
        return created  # nothing to write: most visits of a conversation already read
    return ThreadRead.objects.filter(pk=read.pk, read_at__lt=at).update(read_at=at) > 0


def visible_messages(thread):
    """What the household sees of a conversation: no internal notes, and of each author only the name."""
    return (thread.messages.filter(internal=False).select_related("author")
            .only("thread_id", "from_commune", "body", "created_at", "author__username", "author__first_name",
                  "author__last_name"))


def attachments_by_message(messages):
    """{message id: [attachments]} in one query."""
    ids = [m.pk for m in messages]
    result = {pk: [] for pk in ids}
    owner_type = Message._meta.label_lower
    for attachment in files.Attachment.objects.filter(owner_type=owner_type, owner_id__in=ids):
        result[attachment.owner_id].append(attachment)
    return result


# --- writing ----------------------------------------------------------------------------------

def _locked(thread_id):
    return Thread.objects.select_for_update(no_key=True).select_related("family").get(pk=thread_id)


def _add_message(thread, *, author, body, from_commune, internal=False, uploads=(), at=None):
    at = at or timezone.now()
    message = Message.objects.create(thread=thread, author=author, body=body.strip(), from_commune=from_commune,
                                     internal=internal)
    for upload in uploads[:MAX_ATTACHMENTS]:
        files.store(upload, owner=message, role="message", uploaded_by=author)
    if internal:
        return message
    thread.last_message_at = at
    fields = ["last_message_at"]
    if from_commune:
        thread.last_commune_message_at = at
        fields.append("last_commune_message_at")
    thread.save(update_fields=fields)
    return message


def start_by_family(*, family, user, subject, topic, body, uploads=()):
    """"Contacter la mairie": a new conversation, waiting for the commune."""
    with transaction.atomic():
        now = timezone.now()
        thread = Thread.objects.create(family=family, subject=subject.strip(), topic=topic, origin=Origin.FAMILY,
                                       state=State.NEW, created_by=user, last_message_at=now)
        _add_message(thread, author=user, body=body, from_commune=False, uploads=uploads, at=now)
        mark_read(thread, user, now)
    return thread


def reply_by_family(thread_id, *, family, user, body, uploads=()):
    with transaction.atomic():
        thread = _locked(thread_id)
        if thread.family_id != family.pk:
            raise Thread.DoesNotExist
        if thread.is_closed or thread.origin == Origin.DECISION:
            raise MessagingError(_("Cette conversation est close : écrivez un nouveau message à la mairie."))
        message = _add_message(thread, author=user, body=body, from_commune=False, uploads=uploads)
        if thread.state != State.NEW:
            thread.state = State.WAITING
            thread.save(update_fields=["state"])
        mark_read(thread, user)
    return message


def _notify_message(thread, message):
    notifications.notify("message", family=thread.family, context={"thread": thread, "message": message},
                         reference=_("Message : %(subject)s") % {"subject": thread.subject[:100]})


def start_by_commune(*, family, staff, subject, topic, body, uploads=()):
    """A message from the commune to one household (an archived one receives none, as for a reply)."""
    with transaction.atomic():
        # Locked: archiving at the same moment ends either before this message or after it.
        if Family.objects.select_for_update(no_key=True).get(pk=family.pk).archived_at is not None:
            raise MessagingError(_("Ce foyer est archivé : il ne peut plus recevoir de message."))
        now = timezone.now()
        thread = Thread.objects.create(family=family, subject=subject.strip(), topic=topic, origin=Origin.COMMUNE,
                                       state=State.ANSWERED, created_by=staff, assigned_to=staff,
                                       last_message_at=now)
        message = _add_message(thread, author=staff, body=body, from_commune=True, uploads=uploads, at=now)
        _notify_message(thread, message)
    return thread


def reply_by_staff(thread_id, *, staff, body, uploads=(), internal=False):
    """A reply the household reads (the conversation is then answered), or an internal note it never sees."""
    with transaction.atomic():
        thread = _locked(thread_id)
        if thread.origin == Origin.DECISION and not internal:
            raise MessagingError(_("Un avis de décision ne prend pas de réponse : écrivez au foyer dans une "
                                   "nouvelle conversation."))
        if thread.family.archived_at is not None and not internal:
            raise MessagingError(_("Ce foyer est archivé : il ne peut plus recevoir de message."))
        message = _add_message(thread, author=staff, body=body, from_commune=True, internal=internal,
                               uploads=uploads)
        if not internal:
            fields = []
            if thread.state != State.ANSWERED:
                thread.state = State.ANSWERED
                fields.append("state")
            if thread.assigned_to_id is None:
                thread.assigned_to = staff
                fields.append("assigned_to")
            if thread.closed_at is not None:
                thread.closed_at = None
                fields.append("closed_at")
            if fields:
                thread.save(update_fields=fields)
            _notify_message(thread, message)
    return message


def assign(thread_id, *, to):
    with transaction.atomic():
        thread = _locked(thread_id)
        thread.assigned_to = to
        thread.save(update_fields=["assigned_to"])
    return thread


def close(thread_id):
    with transaction.atomic():
        thread = _locked(thread_id)
        if not thread.is_closed:
            thread.state, thread.closed_at = State.CLOSED, timezone.now()
            thread.save(update_fields=["state", "closed_at"])
    return thread


def reopen(thread_id):
    with transaction.atomic():
        thread = _locked(thread_id)
        if thread.origin == Origin.DECISION:
            raise MessagingError(_("Un avis de décision reste clos : la famille ne peut pas y répondre."))
        if thread.is_closed:
            # Back to where it was: answered when the commune wrote last, else waiting for it.
            last = thread.messages.filter(internal=False).order_by("-created_at", "-id").first()
            thread.state = State.ANSWERED if last is None or last.from_commune else State.WAITING
            thread.closed_at = None
            thread.save(update_fields=["state", "closed_at"])
    return thread


# --- broadcasts ------------------------------------------------------------------------------------

def audience_families(audience, *, school="", school_class="", activity=None, today=None):
    """The households a broadcast reaches: open, dossier received; each once, however many children it has there.

    Shared custody: a child's school (or activity) reaches both of its households. An activity reaches the
    households of a child registered to it until today or later; an activity booked without registration, those
    of a child booked (or waiting) for it from today on."""
    families = Family.objects.filter(archived_at__isnull=True, dossier_received_on__isnull=False)
    if audience in (Broadcast.Audience.SCHOOL, Broadcast.Audience.CLASS):
        # Typed by staff, compared without accents or case on both databases (SQLite's iexact knows ASCII
        # only): "ecole jean moulin" is the school a record spells "École Jean Moulin".
        links = ChildLink.objects.filter(Exact(folded("child__school"), fold(school.strip())))
        if audience == Broadcast.Audience.CLASS:
            links = links.filter(Exact(folded("child__school_class"), fold(school_class.strip())))
        families = families.filter(pk__in=links.values("family_id"))
    elif audience == Broadcast.Audience.ACTIVITY:
        families = families.filter(pk__in=_activity_links(activity, today).values("family_id"))
    return families


def _activity_links(activity, today=None):
    """The ChildLink rows of the children an activity concerns from `today` on (none without an activity)."""
    from enfance.activities.models import Booking, Registration

    if activity is None:
        return ChildLink.objects.none()
    today = today or timezone.localdate()
    if activity.needs_registration:
        children = Registration.objects.filter(activity=activity, last_day__gte=today).values("child_id")
    else:
        children = (Booking.objects.filter(unit__activity=activity, day__gte=today)
                    .exclude(state=Booking.State.CANCELLED).values("child_id"))
    return ChildLink.objects.filter(child_id__in=children)


def preview(audience, *, school="", school_class="", activity=None):
    """(households, logins) a broadcast would reach, before it is sent."""
    from django.contrib.auth import get_user_model

    ids = audience_families(audience, school=school, school_class=school_class, activity=activity).values("pk")
    households = Family.objects.filter(pk__in=ids).count()
    logins = get_user_model().objects.filter(family_id__in=ids, is_active=True).exclude(email="").count()
    return households, logins


def create_broadcast(*, staff, subject, body, topic, audience, school="", school_class="", activity=None):
    """Saved now, sent by the task worker off the request path (see tasks.py).

    The same broadcast confirmed twice by its author within a few minutes (a double click, the page sent
    again) is sent once: the second call returns the first."""
    from django.contrib.auth import get_user_model

    from .tasks import send_broadcast

    fields = {"subject": subject.strip(), "body": body.strip(), "topic": topic, "audience": audience,
              "school": school.strip(), "school_class": school_class.strip(), "created_by": staff,
              "activity": activity if audience == Broadcast.Audience.ACTIVITY else None}
    with transaction.atomic():
        # The author's row serialises their confirmations, so that two at once do not both find nothing.
        get_user_model().objects.select_for_update(no_key=True).filter(pk=staff.pk).first()
        recent = timezone.now() - REPEAT_WINDOW
        existing = Broadcast.objects.filter(**fields, created_at__gte=recent).order_by("-created_at").first()
        if existing is not None:
            return existing
        broadcast = Broadcast.objects.create(**fields)
        transaction.on_commit(lambda: send_broadcast.enqueue(broadcast.pk))
    return broadcast


REPEAT_WINDOW = datetime.timedelta(minutes=10)


BATCH = 200


def deliver_broadcast(broadcast_id):
    """Give each household of the audience its conversation, a batch at a time; the number delivered.

    Each batch holds the broadcast's row lock and works out what is left under it, so that a resumed delivery
    and the first one (or two overlapping sweeps) share the work instead of colliding: one per household."""
    skip = connection.features.has_select_for_update_skip_locked
    delivered = 0
    while True:
        with transaction.atomic():
            locked = Broadcast.objects.select_for_update(no_key=True, skip_locked=skip).filter(pk=broadcast_id)
            broadcast = locked.first()
            if broadcast is None:
                return delivered  # another worker holds this batch: it carries on
            if broadcast.state == Broadcast.State.SENT:
                return delivered
            done = Thread.objects.filter(broadcast=broadcast).values("family_id")
            batch = list(audience_families(broadcast.audience, school=broadcast.school,
                                           school_class=broadcast.school_class, activity=broadcast.activity)
                         .exclude(pk__in=done).order_by("pk").values_list("pk", flat=True)[:BATCH])
            for family in Family.objects.filter(pk__in=batch).prefetch_related("logins"):
                now = timezone.now()
                thread = Thread.objects.create(family=family, subject=broadcast.subject, topic=broadcast.topic,
                                               origin=Origin.BROADCAST, state=State.ANSWERED, broadcast=broadcast,
                                               created_by=broadcast.created_by, last_message_at=now)
                message = _add_message(thread, author=broadcast.created_by, body=broadcast.body, from_commune=True,
                                       at=now)
                _notify_message(thread, message)
            delivered += len(batch)
            if len(batch) < BATCH:
                broadcast.households_count = Thread.objects.filter(broadcast=broadcast).count()
                broadcast.state, broadcast.sent_at = Broadcast.State.SENT, timezone.now()
                broadcast.save(update_fields=["households_count", "state", "sent_at"])
                return delivered


def resume_broadcasts():
    """Sweep job: broadcasts still sending for more than 5 minutes (a worker that died) are resumed."""
    stale = timezone.now() - datetime.timedelta(minutes=5)
    ids = list(Broadcast.objects.filter(state=Broadcast.State.SENDING, created_at__lt=stale)
               .values_list("pk", flat=True))
    for broadcast_id in ids:
        deliver_broadcast(broadcast_id)
    return len(ids)


# --- the decision on a request, in the inbox -----------------------------------------------------

def on_request_decided(sender, request, **kwargs):
    """A decision becomes a closed conversation of the household, linked to the request, and its e-mail.

    In a savepoint: should the notice fail, the decision stands (logged), and "Mes demandes" shows it. An
    automatic decision of a type the household sees decided on the spot (a booking) sends nothing."""
    request_type = request.type
    if request.auto_approved and request_type is not None and not request_type.notify_when_auto:
        return
    try:
        with transaction.atomic():
            _decision_notice(request)
    except Exception:
        logger.exception("Decision notice for request %s failed", request.pk)


def _decision_notice(request):
    status = request.get_status_display().lower()
    body = _("Votre demande n° %(id)s (%(what)s) a été %(status)s par la mairie.") % {
        "id": request.pk, "what": request.target_label, "status": status}
    if request.answer:
        body += "\n\n" + _("Réponse de la mairie :") + "\n" + request.answer
    now = timezone.now()
    thread = Thread.objects.create(
        family=request.family, subject=_("Demande n° %(id)s : %(status)s") % {"id": request.pk, "status": status},
        origin=Origin.DECISION, state=State.CLOSED, closed_at=now, created_by=request.decided_by,
        change_request=request, last_message_at=now)
    _add_message(thread, author=request.decided_by, body=body, from_commune=True, at=now)
    notifications.notify("decision", family=request.family, context={"request": request, "thread": thread},
                         reference=_("Demande n° %(id)s") % {"id": request.pk})
