"""The demo worlds ``seed_demo`` builds: who, where and what, as data (``--region de``, the default, or ``cn``).

The German world is the product's first demo (stores around Hamburg, Düsseldorf and Munich). The Chinese one
is the case that started the product: a dairy brand's stores in Chinese cities, with Chinese names and
addresses, prices and fees in yuan, a campaign over Spring Festival and sales that move with it. Brands,
retailers and streets are invented (no real trademarks); cities, coordinates and time zones are real.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class City:
    region: str  # Region.code
    name: str  # as it reads in a store's name, e.g. "Hamburg", "上海"
    latitude: float
    longitude: float
    time_zone: str  # IANA
    districts: tuple[str, ...] = ()
    address_prefix: str = ""  # e.g. "上海市"


@dataclass(frozen=True)
class BrandSpec:
    name: str
    code: str  # ASCII, for SKU codes
    own: bool
    share_target: str | None
    category: str
    variants: tuple[tuple[int, str, str], ...]  # (flavour variant, pack size, unit price)


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    brand: str
    display_type: str  # PaidPlacement.DisplayType value
    fee: Decimal
    # "running" (claimable in the visit history), "past", "recent", "spring_festival_past" (the last Spring
    # Festival, measurable in the sales), "spring_festival_next" (the coming one, to plan)
    when: str
    note: str = ""  # the placements' requirements; "" = "<display type> with the campaign SKUs, ..."


@dataclass(frozen=True)
class DemoWorld:
    key: str
    store_code: str  # prefix of Store.code
    regions: tuple[tuple[str, str], ...]
    cities: tuple[City, ...]  # store i stands in cities[i % len(cities)]
    retailers: tuple[tuple[str, str], ...]
    streets: tuple[str, ...]
    brands: tuple[BrandSpec, ...]
    campaigns: tuple[CampaignSpec, ...]
    store_group: str
    bay: str  # a planogram's name after its category, e.g. "standard bay"
    flavours: dict[str, str] = field(default_factory=dict)  # packart flavour -> product name word
    language: str = ""  # the users' profile language ("" = the browser's)
    user_time_zone: str = ""
    currency: str = ""  # "" = settings.CURRENCY
    festival_lifts: tuple[float, float] | None = None  # Spring Festival week, week before (sales history)

    def store_name(self, retailer: str, city: City, number: int, district: str) -> str:
        if self.key == "cn":
            return f"{retailer}{city.name}{district}店"
        return f"{retailer} {city.name} {number}"

    def address(self, city: City, district: str, street: str, house: int) -> str:
        if self.key == "cn":
            return f"{city.address_prefix}{district}区{street}{house}号"
        return f"{house} {street}"


GERMANY = DemoWorld(
    key="de",
    store_code="st",
    regions=(("north", "North"), ("west", "West"), ("south", "South")),
    cities=(
        City("north", "North", 53.55, 10.0, "Europe/Berlin"),  # Hamburg
        City("west", "West", 51.22, 6.78, "Europe/Berlin"),  # Düsseldorf
        City("south", "South", 48.14, 11.58, "Europe/Berlin"),  # Munich
    ),
    retailers=(("freshco", "FreshCo"), ("valumart", "ValuMart"), ("cornerplus", "Corner Plus")),
    streets=("Market St", "Harbour Rd", "Station Ave", "Park Lane", "Mill Rd", "High St", "Church St"),
    brands=(
        BrandSpec("Gold Formula", "gold-formula", True, "0.40", "Infant formula",
                  ((0, "900 g", "24.99"), (1, "900 g", "25.99"), (0, "400 g", "12.49"), (2, "900 g", "26.49"))),
        BrandSpec("Nordic Dairy", "nordic-dairy", True, "0.25", "Yogurt drinks",
                  ((0, "500 ml", "1.79"), (1, "500 ml", "1.79"), (2, "500 ml", "1.89"), (0, "1 l", "2.99"))),
        BrandSpec("Crisp Valley", "crisp-valley", True, "0.20", "Snacks",
                  ((0, "150 g", "2.49"), (1, "150 g", "2.49"), (3, "150 g", "2.59"))),
        BrandSpec("BabyStar", "babystar", False, None, "Infant formula",
                  ((0, "900 g", "22.99"), (1, "800 g", "21.49"))),
        BrandSpec("Moo Farms", "moo-farms", False, None, "Yogurt drinks",
                  ((0, "500 ml", "1.59"), (2, "500 ml", "1.59"))),
        BrandSpec("Chip Co", "chip-co", False, None, "Snacks",
                  ((0, "175 g", "1.99"), (2, "175 g", "1.99"), (4, "175 g", "2.19"))),
    ),
    campaigns=(
        CampaignSpec("Gold Formula spring end-caps", "Gold Formula", "end_cap", Decimal("400.00"), "running"),
        CampaignSpec("Nordic Dairy summer floor stands", "Nordic Dairy", "floor_stand", Decimal("250.00"), "past"),
        CampaignSpec("Crisp Valley eye-level", "Crisp Valley", "eye_level", Decimal("150.00"), "recent"),
    ),
    store_group="All demo stores",
    bay="standard bay",
)

# Real cities and zones. Urumqi keeps Asia/Urumqi (UTC+6, as the tz database has it), the one place in
# China whose shops open on Xinjiang time; everywhere else is Asia/Shanghai.
CHINA = DemoWorld(
    key="cn",
    store_code="cn",
    regions=(("cn-east", "华东"), ("cn-north", "华北"), ("cn-south", "华南"), ("cn-southwest", "西南"),
             ("cn-northwest", "西北")),
    cities=(
        City("cn-east", "上海", 31.2304, 121.4737, "Asia/Shanghai", ("徐汇", "浦东新", "静安"), "上海市"),
        City("cn-north", "北京", 39.9042, 116.4074, "Asia/Shanghai", ("朝阳", "海淀", "东城"), "北京市"),
        City("cn-south", "广州", 23.1291, 113.2644, "Asia/Shanghai", ("天河", "越秀"), "广东省广州市"),
        City("cn-east", "杭州", 30.2741, 120.1551, "Asia/Shanghai", ("西湖", "拱墅"), "浙江省杭州市"),
        City("cn-south", "深圳", 22.5431, 114.0579, "Asia/Shanghai", ("福田", "南山"), "广东省深圳市"),
        City("cn-east", "南京", 32.0603, 118.7969, "Asia/Shanghai", ("鼓楼", "玄武"), "江苏省南京市"),
        City("cn-north", "天津", 39.3434, 117.3616, "Asia/Shanghai", ("和平", "南开"), "天津市"),
        City("cn-southwest", "成都", 30.5728, 104.0668, "Asia/Shanghai", ("锦江", "武侯"), "四川省成都市"),
        City("cn-northwest", "乌鲁木齐", 43.8256, 87.6168, "Asia/Urumqi", ("天山", "沙依巴克"),
             "新疆维吾尔自治区乌鲁木齐市"),
    ),
    retailers=(("huilin", "惠邻超市"), ("baihui", "百汇生活超市"), ("jiayuan", "佳源便利")),
    streets=("人民路", "中山路", "建设路", "和平路", "长江路", "解放路", "新华路"),
    brands=(
        BrandSpec("云岭牧场", "yunling", True, "0.40", "婴幼儿配方奶粉",
                  ((0, "900 g", "298.00"), (1, "900 g", "318.00"), (0, "400 g", "148.00"), (2, "900 g", "338.00"))),
        BrandSpec("晨露", "chenlu", True, "0.25", "酸奶饮品",
                  ((0, "500 ml", "6.50"), (1, "500 ml", "6.50"), (2, "500 ml", "6.90"), (0, "1 l", "12.90"))),
        BrandSpec("小牧童", "xiaomutong", True, "0.20", "奶酪零食",
                  ((0, "150 g", "19.90"), (1, "150 g", "19.90"), (3, "150 g", "21.90"))),
        BrandSpec("贝乐星", "beilexing", False, None, "婴幼儿配方奶粉",
                  ((0, "900 g", "278.00"), (1, "800 g", "258.00"))),
        BrandSpec("牧歌", "muge", False, None, "酸奶饮品",
                  ((0, "500 ml", "5.90"), (2, "500 ml", "5.90"))),
        BrandSpec("脆乐", "cuile", False, None, "奶酪零食",
                  ((0, "175 g", "16.90"), (2, "175 g", "16.90"), (4, "175 g", "18.90"))),
    ),
    campaigns=(
        CampaignSpec("云岭牧场 端架陈列", "云岭牧场", "end_cap", Decimal("3000.00"), "running",
                     "端架陈列活动SKU，每个SKU至少3个排面。"),
        CampaignSpec("晨露 春节地堆", "晨露", "floor_stand", Decimal("2000.00"), "spring_festival_past",
                     "地堆陈列活动SKU，每个SKU至少3个排面。"),
        CampaignSpec("云岭牧场 春节礼盒端架", "云岭牧场", "end_cap", Decimal("3500.00"), "spring_festival_next",
                     "端架陈列春节礼盒，每个SKU至少3个排面。"),
    ),
    store_group="全部演示门店",
    bay="标准货架",
    flavours={"LEMON": "柠檬味", "BERRY": "莓果味", "MINT": "薄荷味", "CHERRY": "樱桃味", "ORANGE": "香橙味",
              "OCEAN": "原味", "COCOA": "可可味", "VANILLA": "香草味", "LIME": "青柠味", "GRAPE": "葡萄味"},
    language="zh-hans",
    user_time_zone="Asia/Shanghai",
    currency="CNY",
    # Dairy gift boxes sell in the week before the festival; the festival week itself sells more than usual.
    festival_lifts=(0.30, 0.50),
)

WORLDS = {world.key: world for world in (GERMANY, CHINA)}
