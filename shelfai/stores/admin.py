"""The catalog in the Django admin: products with their reference pack shots, planograms with their
shelves and facings on one page, stores and assignments."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from shelfai.stores import layout as shelf_layout
from shelfai.stores import models, planograms
from shelfai.vision.types import ImageRejected
from shelfai.visits.references import normalise_reference

# ---- reference pack shots --------------------------------------------------------------------------

class ProductImageForm(forms.ModelForm):
    """Takes the upload as bytes, checks and normalises it (``references.normalise_reference``), and
    stores it under its hash: the model's own file field is never fed a client's file."""

    upload = forms.FileField(label="Pack shot", required=False,
                             help_text="A photo of the pack on a plain background: JPEG, PNG, WebP or HEIC.")

    class Meta:
        model = models.ProductImage
        fields = []

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload is None:
            if self.instance.pk is None and self.has_changed():
                raise forms.ValidationError(_("Choose an image file."))
            return None
        try:
            self.reference = normalise_reference(upload.read(), max_pixels=settings.PHOTO_MAX_PIXELS,
                                                 max_bytes=settings.PHOTO_MAX_BYTES)
        except ImageRejected as exc:
            raise forms.ValidationError(str(exc)) from None
        return upload

    def save(self, commit=True):
        reference = getattr(self, "reference", None)
        if reference is not None:
            self.instance.sha256 = reference.sha256
            self.instance.image.save(reference.file_name, ContentFile(reference.png), save=False)
        return super().save(commit=commit)


class ProductImageFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        seen: dict[str, int] = {}
        kept = {f.instance.sha256 for f in self.forms
                if f.instance.pk and not (self.can_delete and self._should_delete_form(f))}
        for number, form in enumerate(self.forms, start=1):
            reference = getattr(form, "reference", None)
            if reference is None or (self.can_delete and self._should_delete_form(form)):
                continue
            if reference.sha256 in seen:
                form.add_error("upload", _("The same image as pack shot %(n)s in this save.") % {
                    "n": seen[reference.sha256]})
            elif reference.sha256 in kept and reference.sha256 != form.instance.sha256:
                form.add_error("upload", _("This image is already a pack shot of this product."))
            seen[reference.sha256] = number


class ProductImageInline(admin.TabularInline):
    model = models.ProductImage
    form = ProductImageForm
    formset = ProductImageFormSet
    extra = 1
    fields = ("preview", "upload", "sha256", "created_at")
    readonly_fields = ("preview", "sha256", "created_at")

    @admin.display(description="Image")
    def preview(self, obj):
        if not obj.pk or not obj.image:
            return "—"
        url = reverse("admin:stores_productimage_file", args=[obj.pk])
        return format_html('<a href="{0}"><img src="{0}" alt="{1}" style="max-height:96px;max-width:128px"></a>',
                           url, str(obj))


@admin.register(models.Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "pack_size", "brand", "category", "gtin", "pack_shots", "is_active")
    list_filter = ("brand", "category", "is_active")
    search_fields = ("sku", "name", "gtin")
    inlines = [ProductImageInline]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(_pack_shots=Count("images"))

    @admin.display(description="Pack shots", ordering="_pack_shots")
    def pack_shots(self, obj) -> int:
        return obj._pack_shots

    def get_urls(self):
        # Pack shots are served to staff through the admin: MEDIA_ROOT is never public (it holds the
        # reps' photos too), so "/media/..." links would be 404s or a leak.
        return [path("pack-shot/<int:pk>/", self.admin_site.admin_view(self.pack_shot),
                     name="stores_productimage_file"), *super().get_urls()]

    def pack_shot(self, request, pk: int):
        if not self.has_view_permission(request):
            raise Http404
        image = get_object_or_404(models.ProductImage, pk=pk)
        try:
            handle = image.image.open("rb")
        except (FileNotFoundError, OSError):
            raise Http404("The pack shot's file is missing.") from None
        return FileResponse(handle, content_type="image/png" if image.image.name.endswith(".png") else None)


# ---- planograms: shelves and facings on the planogram's own page ---------------------------------------

class PlanogramForm(forms.ModelForm):
    layout = forms.CharField(
        label="Shelves and facings", required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80, "style": "font-family: monospace"}),
        help_text=("One line per shelf, top shelf first: <code>1: sku-a x2, sku-b x3</code> — the level, then "
                   "the SKUs from left to right with their number of facings (×1 when left out). "
                   "Saving replaces the planogram's shelves and raises its version."))

    class Meta:
        model = models.Planogram
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["layout"].initial = shelf_layout.render(planograms.of_planogram(self.instance))
        self.fields["version"].disabled = True
        self.fields["version"].help_text = "Raised on every change of shelves or facings."

    def clean_layout(self):
        text = self.cleaned_data.get("layout", "")
        try:
            shelves = shelf_layout.parse(text)
        except shelf_layout.LayoutError as exc:
            raise forms.ValidationError(str(exc)) from None
        skus = {sku for shelf in shelves for sku, _ in shelf.facings}
        known = dict(models.Product.objects.filter(sku__in=skus).values_list("sku", "is_active"))
        missing = sorted(skus - set(known))
        if missing:
            raise forms.ValidationError(_("Unknown SKU: %(skus)s. Add the product first, or fix the code.") % {
                "skus": ", ".join(missing)})
        inactive = sorted(sku for sku, active in known.items() if not active)
        if inactive:
            raise forms.ValidationError(_("Not an active product: %(skus)s.") % {"skus": ", ".join(inactive)})
        self.shelves = shelves
        return text


@admin.register(models.Planogram)
class PlanogramAdmin(admin.ModelAdmin):
    form = PlanogramForm
    list_display = ("name", "category", "store", "store_group", "effective_from", "effective_to", "version",
                    "shelf_count")
    list_filter = ("category",)
    search_fields = ("name",)
    fieldsets = [(None, {"fields": ["name", "category", "store", "store_group", "effective_from", "effective_to",
                                    "version"]}),
                 ("Shelves", {"fields": ["layout"]})]

    @admin.display(description="Shelves")
    def shelf_count(self, obj) -> int:
        return obj.shelves.count()

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        shelves = getattr(form, "shelves", None)
        changed = shelves is not None and (not change or shelves != planograms.of_planogram(obj))
        if change and changed:
            obj.version += 1
        super().save_model(request, obj, form, change)
        if changed:
            planograms.replace(obj, shelves)


@admin.register(models.Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "region", "retailer", "timezone", "geofence_radius_m", "is_active")
    list_filter = ("region", "retailer", "is_active")
    search_fields = ("code", "name", "address")


@admin.register(models.RepAssignment)
class RepAssignmentAdmin(admin.ModelAdmin):
    list_display = ("rep", "store", "starts_on", "ends_on")
    autocomplete_fields = ["store"]


admin.site.register(models.Region)
admin.site.register(models.Retailer)
admin.site.register(models.StoreGroup)
admin.site.register(models.Brand)
admin.site.register(models.Category)
