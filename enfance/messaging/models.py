"""Conversations between a household and the commune, broadcasts, and who read what.

A conversation (`Thread`) belongs to one household: the one that started it or received it. The
other household of a shared child never sees it. Read state is per login: each guardian has theirs.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Topic(models.Model):
    """What a conversation is about (canteen, leisure centre, billing, records, other): the commune keeps the list."""

    name = models.CharField(_("nom"), max_length=80, unique=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    is_active = models.BooleanField(_("proposé aux familles"), default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("thème")

    def __str__(self):
        return self.name


class Broadcast(models.Model):
    """One message from the commune to many households; each household receives it once, in its own conversation."""

    class Audience(models.TextChoices):
        ALL = "all", _("Tous les foyers")
        SCHOOL = "school", _("Les foyers d'un enfant scolarisé dans une école")
        CLASS = "class", _("Les foyers d'un enfant d'une classe")
        ACTIVITY = "activity", _("Les foyers d'un enfant inscrit à une activité")

    class State(models.TextChoices):
        SENDING = "sending", _("Envoi en cours")
        SENT = "sent", _("Envoyé")

    subject = models.CharField(_("objet"), max_length=150)
    body = models.TextField(_("message"), max_length=5000)
    topic = models.ForeignKey(Topic, verbose_name=_("thème"), null=True, blank=True, on_delete=models.SET_NULL)
    audience = models.CharField(_("destinataires"), max_length=10, choices=Audience.choices)
    school = models.CharField(_("école"), max_length=120, blank=True)
    school_class = models.CharField(_("classe"), max_length=40, blank=True)
    # ACTIVITY: the households of a child registered to it (or, without registration, booked from the day the
    # broadcast is delivered on).
    activity = models.ForeignKey("activities.Activity", verbose_name=_("activité"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.SENDING)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    households_count = models.PositiveIntegerField(_("foyers"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("message groupé")
        verbose_name_plural = _("messages groupés")

    def __str__(self):
        return self.subject


class Thread(models.Model):
    class State(models.TextChoices):
        NEW = "new", _("Nouvelle")
        WAITING = "waiting", _("En attente de la mairie")
        ANSWERED = "answered", _("Répondue")
        CLOSED = "closed", _("Close")

    class Origin(models.TextChoices):
        FAMILY = "family", _("La famille")
        COMMUNE = "commune", _("La mairie")
        BROADCAST = "broadcast", _("Message groupé")
        DECISION = "decision", _("Décision sur une demande")

    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="threads")
    subject = models.CharField(_("objet"), max_length=150)
    topic = models.ForeignKey(Topic, verbose_name=_("thème"), null=True, blank=True, on_delete=models.SET_NULL)
    origin = models.CharField(_("origine"), max_length=10, choices=Origin.choices)
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.NEW, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(db_index=True)
    # What makes the thread unread for the household's logins: the commune's last message.
    last_commune_message_at = models.DateTimeField(null=True, blank=True)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("suivie par"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="assigned_threads")
    broadcast = models.ForeignKey(Broadcast, null=True, blank=True, on_delete=models.SET_NULL, related_name="threads")
    change_request = models.ForeignKey("changes.ChangeRequest", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        verbose_name = _("conversation")
        indexes = [models.Index(fields=["family", "-last_message_at"], name="thread_family_recent")]
        constraints = [
            # A broadcast reaches each household once, even when its sending is resumed.
            models.UniqueConstraint(fields=["broadcast", "family"], condition=Q(broadcast__isnull=False),
                                    name="one_thread_per_broadcast_and_family"),
        ]

    def __str__(self):
        return self.subject

    @property
    def is_closed(self):
        return self.state == self.State.CLOSED

    # What the family reads: its own words, not the commune's workflow (new, waiting, answered).
    FAMILY_ORIGINS = {
        Origin.FAMILY: _("Votre message"),
        Origin.COMMUNE: _("Message de la mairie"),
        Origin.BROADCAST: _("Information de la mairie"),
        Origin.DECISION: _("Décision sur une demande"),
    }

    @property
    def family_origin_label(self):
        return self.FAMILY_ORIGINS.get(self.origin, "")

    @property
    def family_state_label(self):
        """Where the conversation stands, for the family ("" when there is nothing to wait for)."""
        if self.state == self.State.CLOSED:
            return _("Conversation terminée")
        if self.origin != self.Origin.FAMILY:
            return ""
        if self.state == self.State.ANSWERED:
            return _("La mairie a répondu")
        return _("En attente de la réponse de la mairie")


class Message(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    from_commune = models.BooleanField(default=False)
    # A staff note about the conversation: families never see it.
    internal = models.BooleanField(_("note interne"), default=False)
    body = models.TextField(_("message"), max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        constraints = [
            models.CheckConstraint(condition=Q(internal=False) | Q(from_commune=True), name="notes_are_the_communes"),
        ]

    def __str__(self):
        return f"{self.thread_id}: {self.body[:40]}"


class ThreadRead(models.Model):
    """When a login last read a conversation: each guardian has their own unread count."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="one_read_state_per_login")]

    def __str__(self):
        return f"{self.user_id} read {self.thread_id} at {self.read_at:%Y-%m-%d %H:%M}"


class AnswerTemplate(models.Model):
    """A reusable answer staff pick when replying."""

    title = models.CharField(_("titre"), max_length=120)
    body = models.TextField(_("texte"), max_length=5000)
    is_active = models.BooleanField(_("proposée"), default=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("réponse type")
        verbose_name_plural = _("réponses types")

    def __str__(self):
        return self.title


class NotificationPreference(models.Model):
    """A login's choice, per kind of notification, to receive it by e-mail (absent: the kind's default)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs")
    kind = models.CharField(max_length=40)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_login_and_kind")]

    def __str__(self):
        return f"{self.user_id} {self.kind}: {'on' if self.email else 'off'}"
