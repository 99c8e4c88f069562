"""The household's inbox: its conversations with the commune, "Contacter la mairie", its notification choices."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from enfance.core import attachments
from enfance.core.forms import bound_data
from enfance.core.pagination import paginate
from enfance.messaging import notifications, services
from enfance.messaging.forms import NewThreadForm, PreferencesForm, ReplyForm
from enfance.messaging.models import Message, Thread

from .decorators import family_required


def _own_thread(family, thread_id):
    """The household's conversation, or 404 exactly as for one that does not exist."""
    return get_object_or_404(Thread.objects.select_related("topic", "change_request"), pk=thread_id, family=family)


@require_GET
@family_required
def inbox(request):
    threads = services.threads_for_family(request.family, request.user)
    return render(request, "portal/inbox.html", {"page": paginate(request, threads), "section": "inbox"})


@require_http_methods(["GET", "POST"])
@family_required
def thread_new(request):
    form = NewThreadForm(*bound_data(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        thread = services.start_by_family(family=request.family, user=request.user, subject=data["subject"],
                                          topic=data["topic"], body=data["body"], uploads=data["files"])
        messages.success(request, _("Votre message est envoyé à la mairie. Sa réponse arrivera ici, dans votre "
                                    "messagerie."))
        return redirect("portal:thread", thread.pk)
    return render(request, "portal/thread_new.html", {"form": form, "section": "inbox"})


@require_http_methods(["GET", "POST"])
@family_required
def thread(request, thread_id):
    conversation = _own_thread(request.family, thread_id)
    form = ReplyForm(*bound_data(request))
    unsent = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.reply_by_family(conversation.pk, family=request.family, user=request.user,
                                     body=form.cleaned_data["body"], uploads=form.cleaned_data["files"])
        except services.MessagingError as exc:
            # Closed meanwhile: the text the family typed is shown back, to copy into a new message.
            messages.error(request, exc.message)
            unsent = form.cleaned_data["body"]
            conversation.refresh_from_db()
        else:
            messages.success(request, _("Votre réponse est envoyée à la mairie."))
            return redirect("portal:thread", conversation.pk)
    elif request.method == "GET" and services.mark_read(conversation, request.user):
        # The menu's count, read before: again, now that this conversation is read.
        request.family.inbox_unread = services.unread_count(request.family.pk, request.user)
    shown = list(services.visible_messages(conversation))
    files = services.attachments_by_message(shown)
    for message in shown:
        message.files = files[message.pk]
    return render(request, "portal/thread.html", {
        "thread": conversation, "messages_list": shown, "form": form, "section": "inbox", "unsent": unsent,
        "can_reply": not conversation.is_closed and conversation.origin != Thread.Origin.DECISION,
    })


@require_GET
@family_required
def message_attachment(request, thread_id, attachment_id):
    conversation = _own_thread(request.family, thread_id)
    visible = Message.objects.filter(thread=conversation, internal=False).values_list("pk", flat=True)
    attachment = get_object_or_404(attachments.Attachment, pk=attachment_id, owner_type=Message._meta.label_lower,
                                   owner_id__in=list(visible))
    return attachments.response(attachment, inline=True)


@require_http_methods(["GET", "POST"])
@family_required
def preferences(request):
    kinds = notifications.optional_kinds()
    form = PreferencesForm(bound_data(request)[0], kinds=kinds, current=notifications.preferences(request.user))
    if request.method == "POST" and form.is_valid():
        for kind in kinds:
            notifications.set_preference(request.user, kind.key, form.cleaned_data[kind.key])
        messages.success(request, _("Vos préférences sont enregistrées."))
        return redirect("portal:preferences")
    return render(request, "portal/preferences.html", {
        "form": form, "section": "preferences",
        "always": [kind for kind in notifications.all_kinds() if kind.always]})
