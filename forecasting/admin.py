from django.contrib import admin

from forecasting.models import BacktestRun, ForecastRun, InventoryPlan, SalesRecord, SeriesFit


@admin.register(SalesRecord)
class SalesRecordAdmin(admin.ModelAdmin):
    list_display = ("date", "store", "product", "units", "price", "promo", "display")
    list_filter = ("promo",)
    search_fields = ("store__code", "product__sku")
    date_hierarchy = "date"
    raw_id_fields = ("store", "product")


@admin.register(ForecastRun)
class ForecastRunAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "created_at",
        "freq",
        "horizon",
        "status",
        "series_done",
        "series_failed",
        "series_total",
    )
    list_filter = ("status", "freq")
    readonly_fields = ("created_at", "started_at", "finished_at", "metrics", "params", "error")


@admin.register(SeriesFit)
class SeriesFitAdmin(admin.ModelAdmin):
    list_display = ("run", "level", "store", "product", "region", "model", "history_periods", "note")
    list_filter = ("level", "model")
    raw_id_fields = ("run", "store", "product", "region")


@admin.register(BacktestRun)
class BacktestRunAdmin(admin.ModelAdmin):
    list_display = ("pk", "created_at", "freq", "holdout", "origins", "series", "seconds")


@admin.register(InventoryPlan)
class InventoryPlanAdmin(admin.ModelAdmin):
    list_display = ("created_at", "store", "product", "safety_stock", "reorder_point", "order_quantity")
    raw_id_fields = ("run", "store", "product")
