"""What every dossier (卷宗) has, whatever its kind: the base models and value types.

Field names are English snake_case; values that users choose from a list are
kebab-case codes, each with a Chinese description in the JSON Schema. Each decision
kind (engine/kinds/) builds its own Dossier from these pieces: its decision, its
steps and its material kinds. Durations are never typed by the user: the facts
stage computes them.
"""
from __future__ import annotations

import datetime as dt
import decimal
from enum import Enum
from typing import Annotated, ClassVar, Literal, Union

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, ValidationInfo, create_model,
                      field_validator, model_validator)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True, str_strip_whitespace=True)


Text = Annotated[str, Field(min_length=1)]


def not_before(later: str, earlier: str, message: str):
    """A validator for a model: the date `later` may not fall before the date `earlier` (declared above it).
    The error is located at `later`, the field to correct; `message` has {later} and {earlier}."""
    def check(cls, value, info: ValidationInfo):
        other = info.data.get(earlier)
        if value and other and value < other:
            raise ValueError(message.format(later=value, earlier=other))
        return value
    return field_validator(later)(check)


def _iso_date(value):
    """Accept only YYYY-MM-DD (or a date): a number is never silently a timestamp."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            if len(value) == 10:
                return dt.date.fromisoformat(value)
        except ValueError:
            pass
        raise ValueError(f"日期 {value!r} 不是合法的 YYYY-MM-DD 日期")
    raise ValueError(f"{value!r} 不是日期")


Date = Annotated[dt.date, BeforeValidator(_iso_date), Field(json_schema_extra={"format": "date"})]


def _yuan(value):
    """An amount in yuan: a number with at most two decimals. "5万元" is text, and says so."""
    if isinstance(value, bool):
        raise ValueError(f"金额 {value!r} 应为数字（元）")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        exact = decimal.Decimal(str(value))
        if exact.as_tuple().exponent < -2:
            raise ValueError(f"金额 {value} 最多保留两位小数（元、角、分）")
        return value
    if isinstance(value, str):
        raise ValueError(f"金额 {value!r} 应写成以元为单位的数字，如 50000（不写“万元”“元”等文字）")
    raise ValueError(f"金额 {value!r} 应为数字（元）")


Yuan = Annotated[float | int, BeforeValidator(_yuan), Field(ge=0, description="金额，单位：元")]


def _enum(name: str, members: dict[str, str]) -> type[Enum]:
    """A str enum whose JSON Schema lists each code with its Chinese meaning."""
    cls = Enum(name, {k.replace("-", "_").upper(): k for k in members}, type=str)
    cls.labels = members  # code -> 中文
    cls.__doc__ = "；".join(f"{k}＝{v}" for k, v in members.items())
    return cls


Kind = _enum("Kind", {
    "major-decision": "重大行政决策",
    "enforcement-decision": "重大行政执法决定",
    "normative-document": "行政规范性文件",
})
Level = _enum("Level", {"province": "省级", "city": "市（州）级", "county": "县（市、区）级", "township": "乡（镇）级"})
Channel = Annotated[str, Field(min_length=1, description="渠道名称，如 政府网站、政府公报、报纸")]


# 甘肃省的市（州）与其 GB/T 2260 行政区划代码：地方规则包按名称适用，名称写错就会漏用本地规则
GANSU_CITIES = {
    "兰州市": "620100", "嘉峪关市": "620200", "金昌市": "620300", "白银市": "620400", "天水市": "620500",
    "武威市": "620600", "张掖市": "620700", "平凉市": "620800", "酒泉市": "620900", "庆阳市": "621000",
    "定西市": "621100", "陇南市": "621200", "临夏回族自治州": "622900", "甘南藏族自治州": "623000",
}
KNOWN_CITIES = {"甘肃省": GANSU_CITIES}
NATIONAL = "national"   # an organ of the central government: only national rule packs apply


class Region(Strict):
    """Where an organ sits: it decides which local rule packs (and which of their figures) apply."""

    province: Text = Field(description="所在省、自治区、直辖市，如 甘肃省；中央国家机关写 national（只适用全国性规则）")
    city: Text | None = Field(default=None, description="所在市（州），如 兰州市；市级、县级、乡级机关必填")
    county: Text | None = Field(default=None, description="所在县（市、区），如 城关区；县级、乡级机关必填")
    division_code: Annotated[str, Field(pattern=r"^[1-8][0-9]{5}$")] | None = Field(
        default=None, description="GB/T 2260 行政区划代码（6位），如 620100")

    @model_validator(mode="after")
    def _region_complete(self):
        level = getattr(self, "level", None)
        if self.province == NATIONAL:
            if self.city or self.county:
                raise AtPath(("province",), "中央国家机关（province: national）不写所在市、县",
                             "删除 city、county，或写明所在省份")
            return self
        cities = KNOWN_CITIES.get(self.province)
        if self.city and cities is not None and self.city not in cities:
            raise AtPath(("city",), f"{self.province}没有名为“{self.city}”的市（州）",
                         "、".join(cities))
        if level in ("city", "county", "township") and not self.city:
            raise AtPath(("city",), "市级、县级、乡级机关须写明所在市（州），否则无法适用本地规则",
                         "如 city: 兰州市")
        if level in ("county", "township") and not self.county:
            raise AtPath(("county",), "县级、乡级机关须写明所在县（市、区）", "如 county: 城关区")
        if self.county and not self.city:
            raise AtPath(("city",), "写了所在县（市、区）而未写所在市（州）", "如 city: 兰州市")
        if self.division_code and cities is not None and self.city in cities:
            prefix = cities[self.city][:4]
            if not self.division_code.startswith(prefix):
                raise AtPath(("division_code",), f"行政区划代码 {self.division_code} 不属于{self.city}（{cities[self.city]}）",
                             f"以 {prefix} 开头的代码")
        return self

    @property
    def region(self) -> dict:
        """The scope keys a rule pack may name, with this organ's values."""
        return {"province": self.province, "city": self.city, "county": self.county}


class StepBase(Strict):
    """A procedural step. Each subclass says how it is named and which date places it on the timeline."""

    label: ClassVar[str] = ""
    date_field: ClassVar[str] = ""
    span: ClassVar[tuple[str, str] | None] = None   # (start field, end field) when drawn as a bar

    materials: list[Text] = Field(default_factory=list, description="证明本步骤的材料编号")
    note: str | None = Field(default=None, description="备注")


def material_model(kinds: type[Enum]) -> type[Strict]:
    """The material record of a dossier kind, with that kind's material codes."""
    return create_model(
        "Material", __base__=Strict,
        id=(Text, Field(description="材料编号，供程序步骤引用")),
        name=(Text, Field(description="材料名称")),
        kind=(kinds, Field(description="材料种类")),
        ref=(Text | None, Field(default=None, description="文件路径或网址")),
        sha256=(Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None, None),
        dated=(Date | None, Field(default=None, description="材料落款日期")),
    )


class DossierBase(Strict):
    """Each kind's Dossier adds `decision`, `steps` and `materials`."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True, str_strip_whitespace=True)

    schema_: Literal["prereview/dossier/1"] = Field(default="prereview/dossier/1", alias="schema",
                                                    description="卷宗格式版本")

    @model_validator(mode="after")
    def _references(self):
        seen = set()
        for i, m in enumerate(self.materials):
            if m.id in seen:
                raise AtPath(("materials", i, "id"), f"材料编号 {m.id} 重复", "每个材料编号唯一")
            seen.add(m.id)
        for si, step in enumerate(self.steps):
            for mi, mid in enumerate(step.materials):
                if mid not in seen:
                    raise AtPath(("steps", si, "materials", mi), f"引用了未登记的材料 {mid}",
                                 "materials 中已登记的材料编号")
        return self


class AtPath(ValueError):
    """A cross-field error that knows which field it belongs to."""

    def __init__(self, loc: tuple, message: str, expected: str):
        self.loc, self.message, self.expected = loc, message, expected
        super().__init__(message)


def dossier_schema() -> dict:
    """The JSON Schema of a dossier file of any kind, for editors and other tools."""
    from pydantic import TypeAdapter

    from .kinds import KINDS

    schema = TypeAdapter(Union[tuple(k.dossier for k in KINDS.values())]).json_schema(by_alias=True)
    schema["title"] = "prereview 卷宗 (dossier)"
    schema["description"] = "decision.kind 决定卷宗的种类：" + "；".join(
        f"{code}＝{k.label}" for code, k in KINDS.items())
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "prereview/dossier/1"
    return schema


__all__ = ["Strict", "Text", "Date", "Yuan", "Channel", "Kind", "Level", "StepBase", "DossierBase", "AtPath",
           "material_model", "dossier_schema", "StrictBool", "Region",
           "NATIONAL", "KNOWN_CITIES"]
