"""Two existing tables of the portal's database, read through unmanaged models (the floor owns no table)."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models


class Family(models.Model):
    reference = models.CharField(max_length=20, unique=True)
    address_line1 = models.CharField(max_length=120)
    address_line2 = models.CharField(max_length=120, blank=True)
    postal_code = models.CharField(max_length=5)
    city = models.CharField(max_length=80)
    home_phone = models.CharField(max_length=20, blank=True)
    dossier_received_on = models.DateField(null=True, blank=True)

    class Meta:
        managed = False
        db_table = "families_family"

    def __str__(self):
        return self.reference


class UserManager(BaseUserManager):
    pass


class User(AbstractBaseUser):
    """A row of accounts_user. Every column is mapped, so that loading the logged-in user on each request
    reads as wide a row as the portal's; groups and permissions are left out (no page of the floor asks)."""

    username = models.CharField(max_length=150, unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    email = models.EmailField(blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    is_superuser = models.BooleanField(default=False)
    date_joined = models.DateTimeField()
    role = models.CharField(max_length=10)
    family = models.ForeignKey(Family, null=True, on_delete=models.DO_NOTHING, db_constraint=False)
    guardian_id = models.BigIntegerField(null=True)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        managed = False
        db_table = "accounts_user"
