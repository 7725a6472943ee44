import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from tests.forecasting.test_pages import finished_run
from tests.browser.conftest import FLAGS

@pytest.fixture(autouse=True)
def _urls(settings):
    settings.ROOT_URLCONF = "shelfai.urls"

def test_shots(sales_history, live_server, client):
    from shelfai.compliance.models import SkuObservation
    from shelfai.visits.models import Visit
    from datetime import timedelta
    from shelfai.accounts.models import Role, User
    User.objects.create_user("planner", password="pw-planner", role=Role.PLANNING)
    empty_day = sales_history.sales_end - timedelta(days=20)
    SkuObservation.objects.create(store=sales_history.store, product=sales_history.chips,
        visit=Visit.objects.create(rep=sales_history.users["rep"], store=sales_history.store), observed_on=empty_day, out_of_stock=True)
    finished_run(sales_history)
    o = Options(); o.binary_location = "/usr/bin/chromium"
    for f in FLAGS: o.add_argument(f)
    o.add_argument("--window-size=1366,1400")
    d = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=o)
    try:
        d.get(live_server.url + "/accounts/login/?next=/planning/")
        d.find_element("id", "id_username").send_keys("planner")
        d.find_element("id", "id_password").send_keys("pw-planner")
        d.find_element("css selector", "main form button[type=submit]").click()
        import time; time.sleep(1)
        d.get(live_server.url + "/planning/?sku=chips-150&store=s1"); d.save_screenshot("/tmp/shot-forecast.png")
        d.get(live_server.url + "/planning/inventory/")
        d.find_element("id", "id_sku").send_keys("chips")
        d.find_element("id", "id_lead_time_days").clear(); d.find_element("id", "id_lead_time_days").send_keys("3")
        d.find_element("id", "id_on_hand").clear(); d.find_element("id", "id_on_hand").send_keys("12")
        d.find_element("xpath", "//button[normalize-space()='Recommend orders']").click(); time.sleep(1)
        d.save_screenshot("/tmp/shot-inventory-error.png")
        d.find_element("id", "id_on_hand").clear(); d.find_element("id", "id_on_hand").send_keys("0")
        d.find_element("xpath", "//button[normalize-space()='Recommend orders']").click(); time.sleep(1)
        d.save_screenshot("/tmp/shot-inventory.png")
        d.get(live_server.url + "/planning/campaigns/"); d.save_screenshot("/tmp/shot-campaigns.png")
        d.get(live_server.url + f"/planning/campaigns/{sales_history.planned_campaign.pk}/"); d.save_screenshot("/tmp/shot-campaign.png")
        d.get(live_server.url + "/planning/")
        d.find_element("xpath", "//button[normalize-space()='Start a forecast run']").click(); time.sleep(4)
        d.save_screenshot("/tmp/shot-runs.png")
        open("/tmp/shot-runs.html","w").write(d.page_source)
    finally:
        d.quit()
