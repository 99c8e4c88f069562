"""Read queries of the staff's messages pages, each in a fixed number of SQL queries whatever the data size."""

from django.db.models import Q
from django.shortcuts import get_object_or_404

from enfance.families.models import Guardian
from enfance.messaging import services
from enfance.messaging.models import Message, Thread

from .message_forms import ALL, NOBODY, NOT_DECISIONS, TO_DO, TO_DO_STATES
from .queries import _any, search_terms


def _matches(term):
    """The term is in the subject, in a message (notes included: staff search), or names the household."""
    messages = Message.objects.filter(_any(["body"], term)).values("thread_id")
    guardians = Guardian.objects.filter(_any(["last_name", "first_name"], term)).values("family_id")
    return _any(["subject", "family__reference"], term) | Q(pk__in=messages) | Q(family_id__in=guardians)


def inbox(*, state=TO_DO, topic=None, assigned="", origin=NOT_DECISIONS, q=""):
    """The shared inbox, newest activity first: every word of `q` must match, accents and case aside."""
    threads = Thread.objects.select_related("family", "topic", "assigned_to").prefetch_related("family__guardians")
    if state == TO_DO:
        threads = threads.filter(state__in=TO_DO_STATES)
    elif state != ALL:
        threads = threads.filter(state=state)
    if topic is not None:
        threads = threads.filter(topic=topic)
    if assigned == NOBODY:
        threads = threads.filter(assigned_to__isnull=True)
    elif assigned:
        threads = threads.filter(assigned_to_id=assigned)
    if origin == NOT_DECISIONS:
        # A decision on a request is a notice to the household, already handled in the request queue.
        threads = threads.exclude(origin=Thread.Origin.DECISION)
    elif origin != ALL:
        threads = threads.filter(origin=origin)
    for term in search_terms(q):
        threads = threads.filter(_matches(term))
    return threads.order_by("-last_message_at", "-id")


def waiting_count():
    """Conversations waiting for the commune: the number in the menu."""
    return Thread.objects.filter(state__in=TO_DO_STATES).count()


def family_threads(family, limit):
    return list(Thread.objects.filter(family=family).select_related("topic", "assigned_to")
                .order_by("-last_message_at", "-id")[:limit])


def thread_for_staff(thread_id):
    return get_object_or_404(
        Thread.objects.select_related("family", "topic", "assigned_to", "change_request", "broadcast")
        .prefetch_related("family__guardians"), pk=thread_id)


def thread_messages(thread):
    """Every message of the conversation, internal notes included, each with its `files`."""
    messages = list(thread.messages.select_related("author__guardian"))
    files = services.attachments_by_message(messages)
    for message in messages:
        message.files = files[message.pk]
    return messages
