"""Where products stand: regions, retailers, stores, the catalog and the planograms."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from shelfai.stores.zones import default_time_zone, validate_time_zone


class Region(models.Model):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Retailer(models.Model):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StoreGroup(models.Model):
    """A set of stores sharing a planogram (e.g. all large-format stores of a chain)."""

    name = models.CharField(max_length=120, unique=True)
    stores = models.ManyToManyField("Store", related_name="groups", blank=True)

    def __str__(self) -> str:
        return self.name


class Store(models.Model):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=160)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="stores")
    retailer = models.ForeignKey(Retailer, on_delete=models.PROTECT, related_name="stores")
    address = models.CharField(max_length=255, blank=True)
    latitude = models.FloatField(validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(validators=[MinValueValidator(-180), MaxValueValidator(180)])
    geofence_radius_m = models.PositiveIntegerField(default=150)
    # Every day the product counts for this store (its visits, claim weeks, dashboards) is a day here.
    timezone = models.CharField(max_length=64, default=default_time_zone, validators=[validate_time_zone],
                                help_text="IANA zone, e.g. Asia/Shanghai or Europe/Berlin.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["region", "retailer"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class RepAssignment(models.Model):
    """A rep may visit a store from ``starts_on`` until ``ends_on`` (open-ended when empty)."""

    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="assignments")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    weekdays = models.CharField(
        max_length=7, default="1111111", help_text="Visit days Monday..Sunday as 1/0, e.g. 1010100.",
        validators=[RegexValidator(r"^[01]{7}$", _("Seven digits 1/0, Monday..Sunday, e.g. 1111100."))],
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rep", "store", "starts_on"], name="uniq_assignment")]

    def __str__(self) -> str:
        return f"{self.rep} → {self.store}"


class Brand(models.Model):
    name = models.CharField(max_length=120, unique=True)
    is_own = models.BooleanField(default=False, help_text="Our brand (as opposed to a competitor).")
    share_of_shelf_target = models.DecimalField(
        max_digits=5, decimal_places=4, null=True, blank=True,
        help_text="Target share of facings, 0..1, on shelves of the categories the brand sells in. A target "
                  "set for a category (ShareTarget) replaces it there.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    name = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class ShareTarget(models.Model):
    """A brand's share-of-shelf target on one category's shelves: a formula shelf is only ever held to
    formula brands' targets."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="share_targets")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="share_targets")
    target = models.DecimalField(max_digits=5, decimal_places=4, validators=[MinValueValidator(0),
                                                                            MaxValueValidator(1)],
                                 help_text="Target share of facings on this category's shelves, 0..1.")

    class Meta:
        ordering = ["category__name", "brand__name"]
        constraints = [models.UniqueConstraint(fields=["brand", "category"], name="uniq_share_target")]

    def __str__(self) -> str:
        return f"{self.brand} on {self.category}: {self.target:.0%}"


class Product(models.Model):
    sku = models.SlugField(max_length=64, unique=True, help_text="Our SKU code, used in CSVs and the API.")
    gtin = models.CharField(max_length=14, blank=True, db_index=True)
    name = models.CharField(max_length=200)
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="products")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    pack_size = models.CharField(max_length=40, blank=True, help_text="e.g. 900 g, 6 x 330 ml")
    width_mm = models.PositiveIntegerField(default=80)
    height_mm = models.PositiveIntegerField(default=200)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["brand__name", "name"]

    def __str__(self) -> str:
        return f"{self.name} {self.pack_size}".strip()


def product_image_path(instance: ProductImage, filename: str) -> str:
    # Client file names are never used as paths: the name is the content's hash, and the extension the
    # one our own code gave the normalised file (references are stored as PNG).
    if not instance.sha256:
        raise ValueError("A reference image is hashed before it is stored.")
    suffix = Path(filename).suffix.lower()
    return f"catalog/{instance.product.sku}/{instance.sha256[:16]}{suffix if suffix in ('.png', '.jpg') else '.img'}"


class ProductImage(models.Model):
    """A reference pack shot. 1–5 per product; adding one needs no retraining."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.FileField(upload_to=product_image_path)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "reference pack shot"
        constraints = [models.UniqueConstraint(fields=["product", "sha256"], name="uniq_product_image")]

    def __str__(self) -> str:
        return f"{self.product} — pack shot {self.sha256[:8]}"


class Planogram(models.Model):
    """What a shelf should look like: for a store or a store group and one category, over a period."""

    name = models.CharField(max_length=160)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="planograms")
    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.CASCADE, related_name="planograms")
    store_group = models.ForeignKey(
        StoreGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="planograms"
    )
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(store__isnull=False) | models.Q(store_group__isnull=False),
                name="planogram_has_store_or_group",
            )
        ]

    def __str__(self) -> str:
        return self.name


class PlanogramShelf(models.Model):
    planogram = models.ForeignKey(Planogram, on_delete=models.CASCADE, related_name="shelves")
    level = models.PositiveSmallIntegerField(help_text="1 = top shelf.")

    class Meta:
        ordering = ["level"]
        verbose_name = "planogram shelf"
        verbose_name_plural = "planogram shelves"
        constraints = [models.UniqueConstraint(fields=["planogram", "level"], name="uniq_shelf_level")]

    def __str__(self) -> str:
        return f"{self.planogram} — shelf {self.level}"


class PlanogramFacing(models.Model):
    """An expected SKU on a shelf, in left-to-right ``position`` order, with its number of facings."""

    shelf = models.ForeignKey(PlanogramShelf, on_delete=models.CASCADE, related_name="facings")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="planogram_facings")
    position = models.PositiveSmallIntegerField()
    facings = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["shelf", "position"], name="uniq_facing_position")]

    def __str__(self) -> str:
        return f"{self.product} × {self.facings}"
