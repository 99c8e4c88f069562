"""The staff's side of conversations: the shared inbox, a conversation (reply, internal note, answer templates,
assignment, close, reopen), its attachments, a message to one household.

Leaders (read-only) never see conversations. Staff reading a conversation leave the household's read state alone.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enfance.accounts.decorators import staff_required
from enfance.core import attachments
from enfance.core.forms import bound_data
from enfance.core.pagination import paginate
from enfance.families import access
from enfance.messaging import services
from enfance.messaging.forms import StaffReplyForm
from enfance.messaging.models import Message, Thread

from .. import message_queries
from ..message_forms import ME, NOBODY, AssignForm, HouseholdMessageForm, InboxFilterForm, staff_label
from ._common import family_url

# The name of the "Insérer la réponse type" button: the form comes back with the template's text, nothing sent.
INSERT = "inserer"


@staff_required(edit=True)
@require_GET
def inbox(request):
    form = InboxFilterForm(request.GET, user=request.user)
    page = paginate(request, message_queries.inbox(**form.filters()))
    return render(request, "backoffice/messages/inbox.html", {"form": form, "page": page, "section": "messages"})


def _assign_initial(thread, user):
    if thread.assigned_to_id is None:
        return NOBODY
    return ME if thread.assigned_to_id == user.pk else str(thread.assigned_to_id)


def _thread_page(request, thread, *, reply_form=None, assign_form=None):
    return render(request, "backoffice/messages/thread.html", {
        "thread": thread,
        "messages_list": message_queries.thread_messages(thread),
        "pending_requests": list(thread.family.change_requests.pending().select_related("child")),
        "form": reply_form or StaffReplyForm(),
        "assign_form": assign_form or AssignForm(user=request.user,
                                                 initial={"to": _assign_initial(thread, request.user)}),
        "insert": INSERT,
        "section": "messages",
    })


def _with_template(post):
    """The reply form again, the chosen answer template's text after what was already typed (nothing lost)."""
    form = StaffReplyForm(post)
    form.is_valid()
    template = form.cleaned_data.get("template")
    if template is None:
        if "template" not in form.errors:
            form.add_error("template", _("Choisissez la réponse type à insérer."))
        # Nothing is being sent: only the choice of the template is in question.
        for name in [name for name in form.errors if name != "template"]:
            del form.errors[name]
        return form
    typed = (post.get("body") or "").strip()
    return StaffReplyForm(initial={"template": template.pk, "internal": form.cleaned_data.get("internal", False),
                                   "body": f"{typed}\n\n{template.body}" if typed else template.body})


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def thread(request, thread_id):
    conversation = message_queries.thread_for_staff(thread_id)
    if request.method == "GET":
        return _thread_page(request, conversation)
    if INSERT in request.POST:
        return _thread_page(request, conversation, reply_form=_with_template(request.POST))
    form = StaffReplyForm(*bound_data(request))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.reply_by_staff(conversation.pk, staff=request.user, body=data["body"], uploads=data["files"],
                                    internal=data["internal"])
        except services.MessagingError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Note interne enregistrée : la famille ne la voit pas.") if data["internal"]
                             else _("Réponse envoyée : la famille la lit dans sa messagerie."))
            return redirect("backoffice:message_thread", conversation.pk)
    return _thread_page(request, conversation, reply_form=form)


@require_POST
@staff_required(edit=True)
def assign(request, thread_id):
    conversation = message_queries.thread_for_staff(thread_id)
    form = AssignForm(request.POST, user=request.user)
    if not form.is_valid():
        return _thread_page(request, conversation, assign_form=form)
    to = form.assignee()
    services.assign(conversation.pk, to=to)
    if to is None:
        messages.success(request, _("La conversation n'est plus suivie par personne."))
    else:
        messages.success(request, _("La conversation est suivie par %(name)s.") % {"name": staff_label(to)})
    return redirect("backoffice:message_thread", conversation.pk)


@require_POST
@staff_required(edit=True)
def close(request, thread_id):
    conversation = message_queries.thread_for_staff(thread_id)
    services.close(conversation.pk)
    messages.success(request, _("Conversation close : la famille ne peut plus y répondre."))
    return redirect("backoffice:message_thread", conversation.pk)


@require_POST
@staff_required(edit=True)
def reopen(request, thread_id):
    conversation = message_queries.thread_for_staff(thread_id)
    try:
        services.reopen(conversation.pk)
    except services.MessagingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Conversation rouverte : elle attend la mairie."))
    return redirect("backoffice:message_thread", conversation.pk)


@staff_required(edit=True)
@require_GET
def message_attachment(request, thread_id, attachment_id):
    """A file of one of the conversation's messages (notes included); a file of another conversation: 404."""
    conversation = get_object_or_404(Thread, pk=thread_id)
    own = Message.objects.filter(thread=conversation).values("pk")
    attachment = get_object_or_404(attachments.Attachment, pk=attachment_id, owner_type=Message._meta.label_lower,
                                   owner_id__in=own)
    return attachments.response(attachment, inline=True)


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def message_new(request, family_id):
    """A message from the commune to one household: a new conversation in its inbox."""
    family = access.get_family_for_staff(request.user, family_id)
    if family.is_archived:
        messages.error(request, _("Ce foyer est archivé : il ne peut plus recevoir de message."))
        return redirect(family_url(family, "conversations"))
    form = HouseholdMessageForm(*bound_data(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            conversation = services.start_by_commune(family=family, staff=request.user, subject=data["subject"],
                                                     topic=data["topic"], body=data["body"], uploads=data["files"])
        except services.MessagingError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Message envoyé au foyer %(ref)s.") % {"ref": family.reference})
            return redirect("backoffice:message_thread", conversation.pk)
    return render(request, "backoffice/messages/new.html", {"family": family, "form": form, "section": "messages"})
