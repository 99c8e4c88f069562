from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserManager(DjangoUserManager):
    def for_session(self):
        """The login as each request loads it, with its household, which every portal page needs: one query
        instead of two (staff have none: the join finds nothing). Not the household's one-to-one records: on
        PostgreSQL, planning a join of five tables costs more than the two pages that show them pay to load them."""
        return self.select_related("family")

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        # `manage.py createsuperuser` makes the commune's first administrator.
        extra_fields.setdefault("role", User.Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """One login. Staff logins have a staff role; family logins act for one household."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrateur")
        AGENT = "agent", _("Agent")
        LEADER = "leader", _("Animateur (lecture seule)")
        FAMILY = "family", _("Famille")

    role = models.CharField(_("rôle"), max_length=10, choices=Role.choices, default=Role.FAMILY)
    family = models.ForeignKey(
        "families.Family",
        verbose_name=_("foyer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="logins",
    )
    guardian = models.ForeignKey(
        "families.Guardian",
        verbose_name=_("responsable"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="logins",
    )

    objects = UserManager()

    class Meta:
        verbose_name = _("identifiant")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(role="family", family__isnull=False) | ~models.Q(role="family")),
                name="family_login_has_family",
            ),
            models.CheckConstraint(
                condition=(models.Q(role="family") | models.Q(family__isnull=True)),
                name="staff_login_has_no_family",
            ),
        ]

    @property
    def is_family(self):
        return self.role == self.Role.FAMILY

    @property
    def is_staff_member(self):
        return self.role in (self.Role.ADMIN, self.Role.AGENT, self.Role.LEADER)

    @property
    def can_edit_records(self):
        return self.role in (self.Role.ADMIN, self.Role.AGENT)

    @property
    def is_administrator(self):
        return self.role == self.Role.ADMIN
