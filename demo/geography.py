"""The demo region as plain data: one province, three cities, their counties/districts and townships.

Region codes are real GB/T 2260 codes (Guangxi); township and street names are real places, but every
facility built from them, its capabilities, beds and phone numbers are synthetic. The structure is fixed;
``--seed`` varies only names, bed counts and phone numbers.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Township:
    """A township (镇) or, in an urban district, a subdistrict (街道) with one primary health centre."""

    name_zh: str
    name_en: str
    slug: str
    delivers: bool = False  # a few township health centres are still licensed for deliveries


@dataclass(frozen=True)
class County:
    """A county (县) or urban district (区); urban districts have community rather than township centres."""

    code: str
    name_zh: str
    name_en: str
    slug: str
    townships: tuple[Township, ...]
    urban: bool = False
    pmtct: bool = False  # the county centre runs an isolation / PMTCT delivery room


@dataclass(frozen=True)
class City:
    code: str
    name_zh: str
    name_en: str
    slug: str
    area_code: str  # telephone area code, for hotlines
    counties: tuple[County, ...]
    # The city centre's extra capabilities beyond the standard tertiary set.
    centre_extras: tuple[str, ...] = ()
    general_extras: tuple[str, ...] = ()


@dataclass(frozen=True)
class Province:
    code: str
    name_zh: str
    name_en: str
    slug: str
    area_code: str
    cities: tuple[City, ...] = field(default_factory=tuple)


T = Township

PROVINCE = Province(
    code="450000",
    name_zh="广西壮族自治区",
    name_en="Guangxi Zhuang Autonomous Region",
    slug="guangxi",
    area_code="0771",
    cities=(
        City(
            code="450100",
            name_zh="南宁市",
            name_en="Nanning",
            slug="nanning",
            area_code="0771",
            centre_extras=("isolation_pmtct", "interventional_radiology"),
            general_extras=("cardiac_surgery",),
            counties=(
                County(
                    "450103",
                    "青秀区",
                    "Qingxiu District",
                    "qingxiu",
                    urban=True,
                    townships=(
                        T("新竹街道", "Xinzhu Subdistrict", "xinzhu"),
                        T("中山街道", "Zhongshan Subdistrict", "zhongshan"),
                        T("津头街道", "Jintou Subdistrict", "jintou"),
                    ),
                ),
                County(
                    "450126",
                    "宾阳县",
                    "Binyang County",
                    "binyang",
                    pmtct=True,
                    townships=(
                        T("宾州镇", "Binzhou Town", "binzhou", delivers=True),
                        T("黎塘镇", "Litang Town", "litang", delivers=True),
                        T("新桥镇", "Xinqiao Town", "xinqiao"),
                    ),
                ),
                County(
                    "450123",
                    "隆安县",
                    "Long'an County",
                    "longan",
                    townships=(
                        T("城厢镇", "Chengxiang Town", "chengxiang", delivers=True),
                        T("那桐镇", "Natong Town", "natong"),
                    ),
                ),
            ),
        ),
        City(
            code="450200",
            name_zh="柳州市",
            name_en="Liuzhou",
            slug="liuzhou",
            area_code="0772",
            centre_extras=("isolation_pmtct",),
            counties=(
                County(
                    "450205",
                    "柳北区",
                    "Liubei District",
                    "liubei",
                    urban=True,
                    townships=(
                        T("解放街道", "Jiefang Subdistrict", "jiefang"),
                        T("雀儿山街道", "Que'ershan Subdistrict", "queershan"),
                    ),
                ),
                County(
                    "450222",
                    "柳城县",
                    "Liucheng County",
                    "liucheng",
                    townships=(
                        T("大埔镇", "Dapu Town", "dapu", delivers=True),
                        T("龙头镇", "Longtou Town", "longtou"),
                        T("太平镇", "Taiping Town", "taiping"),
                    ),
                ),
            ),
        ),
        City(
            code="450300",
            name_zh="桂林市",
            name_en="Guilin",
            slug="guilin",
            area_code="0773",
            centre_extras=("isolation_pmtct", "interventional_radiology"),
            general_extras=("cardiac_surgery",),
            counties=(
                County(
                    "450305",
                    "七星区",
                    "Qixing District",
                    "qixing",
                    urban=True,
                    townships=(
                        T("东江街道", "Dongjiang Subdistrict", "dongjiang"),
                        T("穿山街道", "Chuanshan Subdistrict", "chuanshan"),
                    ),
                ),
                County(
                    "450321",
                    "阳朔县",
                    "Yangshuo County",
                    "yangshuo",
                    pmtct=True,
                    townships=(
                        T("阳朔镇", "Yangshuo Town", "yangshuo", delivers=True),
                        T("白沙镇", "Baisha Town", "baisha"),
                        T("兴坪镇", "Xingping Town", "xingping"),
                    ),
                ),
                County(
                    "450323",
                    "灵川县",
                    "Lingchuan County",
                    "lingchuan",
                    townships=(
                        T("灵川镇", "Lingchuan Town", "lingchuan"),
                        T("大圩镇", "Daxu Town", "daxu", delivers=True),
                    ),
                ),
            ),
        ),
    ),
)
