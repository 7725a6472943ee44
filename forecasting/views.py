"""The forecast page for planners: pick a SKU and a store (or none for the SKU total), see the chart."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render

from forecasting.api import can_plan
from forecasting.charts import forecast_chart
from forecasting.models import SalesRecord
from forecasting.reports import forecast_report
from shelfai.stores.models import Product, Region, Store


@login_required
def forecast_page(request):
    if not can_plan(request.user):
        raise PermissionDenied("Forecasts are for marketing, planning and admin users.")
    products = Product.objects.filter(pk__in=SalesRecord.objects.values("product_id").distinct()).order_by(
        "sku"
    )
    stores = Store.objects.filter(pk__in=SalesRecord.objects.values("store_id").distinct()).order_by("code")
    sku = request.GET.get("sku") or (products[0].sku if products else None)
    context = {"products": products, "stores": stores, "regions": Region.objects.order_by("code"), "sku": sku}
    if sku:
        product = get_object_or_404(Product, sku=sku)
        store = get_object_or_404(Store, code=request.GET["store"]) if request.GET.get("store") else None
        region = get_object_or_404(Region, code=request.GET["region"]) if request.GET.get("region") else None
        report = forecast_report(
            product=product, store=store, region=None if store else region, history_days=180
        )
        context.update(
            product=product,
            store=store,
            region=region,
            report=report,
            chart=forecast_chart(report["history"], report["forecast"]),
        )
    return render(request, "forecasting/forecast.html", context)
