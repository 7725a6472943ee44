from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    REP = "rep", "Field rep"
    MARKETING = "marketing", "Marketing"
    FINANCE = "finance", "Finance"
    PLANNING = "planning", "Planning"
    ADMIN = "admin", "Admin"


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.REP)

    @property
    def is_rep(self) -> bool:
        return self.role == Role.REP

    @property
    def sees_all_stores(self) -> bool:
        """Marketing, finance, planning and admins read across stores; reps only their assignments."""
        return self.role != Role.REP or self.is_superuser

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or self.role == Role.ADMIN or self.role in roles
