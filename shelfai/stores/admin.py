from django.contrib import admin

from shelfai.stores import models


class PlanogramFacingInline(admin.TabularInline):
    model = models.PlanogramFacing
    extra = 0
    autocomplete_fields = ["product"]


@admin.register(models.PlanogramShelf)
class PlanogramShelfAdmin(admin.ModelAdmin):
    list_display = ("planogram", "level")
    inlines = [PlanogramFacingInline]


class PlanogramShelfInline(admin.TabularInline):
    model = models.PlanogramShelf
    extra = 0
    show_change_link = True


@admin.register(models.Planogram)
class PlanogramAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "store", "store_group", "effective_from", "effective_to", "version")
    list_filter = ("category",)
    inlines = [PlanogramShelfInline]


class ProductImageInline(admin.TabularInline):
    model = models.ProductImage
    extra = 0
    readonly_fields = ("sha256",)


@admin.register(models.Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "pack_size", "brand", "category", "gtin", "is_active")
    list_filter = ("brand", "category", "is_active")
    search_fields = ("sku", "name", "gtin")
    inlines = [ProductImageInline]


@admin.register(models.Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "region", "retailer", "geofence_radius_m", "is_active")
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
