"""Administrators keep the topics families choose from and the staff's answer templates.

Neither is ever deleted: conversations name their topic, and a template no longer wanted is deactivated.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from enfance.accounts.decorators import staff_required
from enfance.core.forms import bound_data
from enfance.messaging.models import AnswerTemplate, Topic

from ..message_forms import AnswerTemplateForm, TopicForm


@dataclass(frozen=True)
class Kind:
    model: type
    form: type
    url: str  # the list's URL name; "<url>_new" and "<url>_edit" are its pages
    title: str
    new_title: str
    saved: str


TOPICS = Kind(Topic, TopicForm, "topics", gettext_lazy("Thèmes des messages"), gettext_lazy("Nouveau thème"),
              gettext_lazy("Thème « %(name)s » enregistré."))
TEMPLATES = Kind(AnswerTemplate, AnswerTemplateForm, "answer_templates", gettext_lazy("Réponses types"),
                 gettext_lazy("Nouvelle réponse type"), gettext_lazy("Réponse type « %(name)s » enregistrée."))


def _list(request, kind):
    return render(request, "backoffice/messages/settings_list.html", {
        "kind": kind, "rows": list(kind.model.objects.all()), "section": "messages",
        "is_topics": kind is TOPICS,
    })


def _edit(request, kind, instance=None):
    form = kind.form(*bound_data(request), instance=instance)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, kind.saved % {"name": saved})
        return redirect(f"backoffice:{kind.url}")
    return render(request, "backoffice/messages/settings_form.html", {
        "kind": kind, "form": form, "instance": instance, "section": "messages",
    })


@staff_required(admin=True)
@require_GET
def topic_list(request):
    return _list(request, TOPICS)


@staff_required(admin=True)
@require_http_methods(["GET", "POST"])
def topic_new(request):
    return _edit(request, TOPICS)


@staff_required(admin=True)
@require_http_methods(["GET", "POST"])
def topic_edit(request, topic_id):
    return _edit(request, TOPICS, get_object_or_404(Topic, pk=topic_id))


@staff_required(admin=True)
@require_GET
def answer_template_list(request):
    return _list(request, TEMPLATES)


@staff_required(admin=True)
@require_http_methods(["GET", "POST"])
def answer_template_new(request):
    return _edit(request, TEMPLATES)


@staff_required(admin=True)
@require_http_methods(["GET", "POST"])
def answer_template_edit(request, template_id):
    return _edit(request, TEMPLATES, get_object_or_404(AnswerTemplate, pk=template_id))
