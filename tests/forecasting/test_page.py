"""The forecast page: planners see the chart with campaign and stock-out periods marked; reps do not."""

from __future__ import annotations

from datetime import date, timedelta

from forecasting.charts import forecast_chart


def test_the_page_says_what_to_do_before_any_run(sales_history, client):
    client.force_login(sales_history.users["admin"])
    assert "No finished forecast run yet" in client.get("/planning/").content.decode()


def test_stockout_days_are_marked_on_the_chart():
    day = date(2025, 5, 1)
    history = [
        {
            "date": day + timedelta(days=i),
            "units": 10.0,
            "promo": 0.0,
            "display": 0.0,
            "out_of_stock": 3 <= i <= 4,
        }
        for i in range(10)
    ]
    chart = forecast_chart(history, [])
    assert [s.title for s in chart.stockouts] == [
        "Out of stock: May 4, 2025 to May 5, 2025"  # the locale's date, as every page writes one
    ]
    assert chart.campaigns == [] and chart.band_path == ""
