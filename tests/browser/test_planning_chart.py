"""A planner signs in and sees the forecast chart of a store × SKU: history, forecast, interval band."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By

from tests.browser.conftest import wait

pytestmark = pytest.mark.browser
HISTORY_DAYS, HORIZON = 60, 14


@pytest.fixture
def forecast_for_s1(world):
    """Sixty days of sales of one SKU at s1 and a finished run forecasting the next two weeks, written as rows
    (a Prophet fit would take longer than the whole test)."""
    from forecasting.models import ForecastPoint, ForecastRun, Level, ModelName, SeriesFit
    from forecasting.services import generate_demo_sales
    from shelfai.accounts.models import Role, User
    from shelfai.stores.models import Brand, Category, Product

    product = Product.objects.create(
        sku="gold-900",
        name="Gold Formula 900 g",
        brand=Brand.objects.create(name="Gold", is_own=True),
        category=Category.objects.create(name="Baby"),
        unit_price=Decimal("19.90"),
    )
    last_sale = timezone.localdate() - timedelta(days=1)
    generate_demo_sales(
        stores=[world.store],
        products=[product],
        campaigns=[],
        start=last_sale - timedelta(days=HISTORY_DAYS - 1),
        end=last_sale,
        seed=3,
    )
    run = ForecastRun.objects.create(
        freq="D",
        horizon=HORIZON,
        status=ForecastRun.Status.DONE,
        finished_at=timezone.now(),
        series_total=1,
        series_done=1,
    )
    SeriesFit.objects.create(
        run=run, level=Level.SERIES, store=world.store, product=product, model=ModelName.PROPHET
    )
    ForecastPoint.objects.bulk_create(
        ForecastPoint(
            run=run,
            level=Level.SERIES,
            store=world.store,
            product=product,
            model=ModelName.PROPHET,
            date=last_sale + timedelta(days=i + 1),
            yhat=9.0 + i % 7,
            yhat_lower=6.0 + i % 7,
            yhat_upper=13.0 + i % 7,
        )
        for i in range(HORIZON)
    )
    User.objects.create_user("planner", password="pw-planner", role=Role.PLANNING)
    return run


def test_a_planner_sees_history_forecast_and_its_interval_band(driver, sign_in, forecast_for_s1):
    from selenium.webdriver.support.ui import Select

    sign_in(driver, "planner", "pw-planner", "/planning/")
    Select(driver.find_element(By.ID, "id_sku")).select_by_value("gold-900")
    Select(driver.find_element(By.ID, "id_store")).select_by_value("s1")  # the SKU total is the default
    driver.find_element(By.XPATH, "//button[normalize-space()='Show forecast']").click()
    wait(driver).until(lambda d: "store=s1" in d.current_url)
    chart = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "svg[data-chart='forecast']"))
    assert "gold-900 at s1" in chart.find_element(By.TAG_NAME, "title").get_attribute("textContent")

    def box(series: str) -> dict:
        path = chart.find_element(By.CSS_SELECTOR, f"path[data-series='{series}']")
        assert path.is_displayed()
        return driver.execute_script(
            "const b = arguments[0].getBBox(); return {x: b.x, w: b.width, h: b.height};", path
        )

    history, forecast, band = box("history"), box("forecast"), box("interval")
    # History runs on the left, the forecast continues it on the right, with the band around it.
    assert history["w"] > 0 and history["h"] > 0 and forecast["w"] > 0
    assert forecast["x"] > history["x"] + history["w"] - 1
    assert abs(band["x"] - forecast["x"]) < 1 and band["h"] > forecast["h"]
    assert history["w"] / forecast["w"] == pytest.approx((HISTORY_DAYS - 1) / (HORIZON - 1), rel=0.05)
    legend = driver.find_element(By.CSS_SELECTOR, "figure .legend").text
    assert "Units sold" in legend and "Forecast" in legend and "80% interval of the forecast" in legend

    # The numbers behind it are one keyboard press away.
    summary = driver.find_element(By.CSS_SELECTOR, "details.numbers-box summary")
    summary.send_keys("\n")
    rows = driver.find_elements(By.CSS_SELECTOR, "table[data-table='forecast-numbers'] tbody tr.future")
    wait(driver).until(lambda d: rows[0].is_displayed())
    assert len(rows) == HORIZON
