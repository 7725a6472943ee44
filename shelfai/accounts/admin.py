from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from shelfai.accounts.models import User


@admin.register(User)
class ShelfUserAdmin(UserAdmin):
    fieldsets = UserAdmin.fieldsets + ((_("Role, language and time zone"),
                                        {"fields": ("role", "language", "time_zone")}),)
    add_fieldsets = UserAdmin.add_fieldsets + ((_("Role, language and time zone"),
                                                {"fields": ("role", "language", "time_zone")}),)
    list_display = ("username", "email", "role", "language", "time_zone", "is_active", "is_staff")
    list_filter = ("role", "language", "is_active", "is_staff")
