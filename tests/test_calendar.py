"""The working-day calendar: real State Council arrangements, counting, coverage, user files and their errors."""
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest
import yaml
from hypothesis import given, settings, strategies as st

from prereview.engine.calendar import CalendarGap, load_calendar
from prereview.engine.errors import CalendarError

FIXTURE_2027 = Path(__file__).parent / "data" / "calendars" / "2027-test-fixture.yaml"
SHIPPED = Path(__file__).parent.parent / "engine" / "calendars"
CAL = load_calendar()


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(k) for k in range((last - first).days + 1)]


def test_labour_day_2019_with_its_sunday_make_up_days():
    assert CAL.is_working_day(date(2019, 4, 28)) and CAL.is_working_day(date(2019, 5, 5))  # Sundays
    assert not any(CAL.is_working_day(d) for d in _days(date(2019, 5, 1), date(2019, 5, 4)))
    assert CAL.is_working_day(date(2019, 5, 6))


def test_national_day_2025():
    assert not any(CAL.is_working_day(d) for d in _days(date(2025, 10, 1), date(2025, 10, 8)))
    assert CAL.is_working_day(date(2025, 9, 28))  # Sunday
    assert CAL.is_working_day(date(2025, 10, 11))  # Saturday
    assert not CAL.is_working_day(date(2025, 10, 12))  # an ordinary Sunday


def test_spring_festival_2026_per_guobanfamingdian_2025_7():
    # 国办发明电〔2025〕7号 二：2月15日至23日放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
    off = _days(date(2026, 2, 15), date(2026, 2, 23))
    assert len(off) == 9 and not any(CAL.is_working_day(d) for d in off)
    assert CAL.is_working_day(date(2026, 2, 14)) and CAL.is_working_day(date(2026, 2, 28))
    assert CAL.is_working_day(date(2026, 2, 13)) and CAL.is_working_day(date(2026, 2, 24))


def test_counting_across_national_day_2025():
    # By hand, after Fri 09-26 up to and including Fri 10-10: Sat 09-27 off, Sun 09-28 make-up (1),
    # 09-29 (2), 09-30 (3), 10-01..10-08 off, 10-09 (4), 10-10 (5).
    start, end = date(2025, 9, 26), date(2025, 10, 10)
    assert [d for d in _days(start + timedelta(1), end) if CAL.is_working_day(d)] == [
        date(2025, 9, 28), date(2025, 9, 29), date(2025, 9, 30), date(2025, 10, 9), date(2025, 10, 10)]
    assert CAL.working_days_between(start, end) == 5
    assert CAL.working_days_between(end, start) == -5
    assert CAL.working_days_between(start, date(2025, 10, 8)) == 3
    assert CAL.add_working_days(start, 4) == date(2025, 10, 9)
    assert CAL.add_working_days(start, 1) == date(2025, 9, 28)
    assert CAL.add_working_days(date(2025, 10, 9), -1) == date(2025, 9, 30)
    assert CAL.add_working_days(date(2025, 10, 4), 0) == date(2025, 10, 4)
    assert CAL.next_working_day(date(2025, 10, 1)) == date(2025, 10, 9)
    assert CAL.next_working_day(date(2025, 9, 27)) == date(2025, 9, 28)
    assert CAL.next_working_day(date(2025, 10, 9)) == date(2025, 10, 9)


def test_ordinal_starts_at_the_epoch():
    assert CAL.years() == (2004, 2026)
    assert CAL.ordinal(date(2004, 1, 1)) == 0  # 元旦, a day off
    assert CAL.ordinal(date(2004, 1, 2)) == 1
    total = sum(chinese_calendar.is_workday(d) for d in _days(date(2004, 1, 1), date(2026, 12, 31)))
    assert CAL.ordinal(date(2026, 12, 31)) == total


COVERED = st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 12, 31))


@settings(max_examples=300, deadline=None)
@given(COVERED, COVERED)
def test_counting_is_consistent(a, b):
    a, b = min(a, b), max(a, b)
    k = CAL.working_days_between(a, b)
    assert k == CAL.ordinal(b) - CAL.ordinal(a) >= 0
    if (b - a).days < 400:  # count by hand, day by day
        assert k == sum(CAL.is_working_day(d) for d in _days(a, b)[1:])
    if k > 0:
        d = CAL.add_working_days(a, k)
        assert a < d <= b and CAL.is_working_day(d) and CAL.working_days_between(a, d) == k
        assert not any(CAL.is_working_day(x) for x in _days(d, b)[1:])
    if b < date(2026, 12, 31):
        n = CAL.next_working_day(b)
        assert n >= b and CAL.is_working_day(n)
        assert not any(CAL.is_working_day(x) for x in _days(b, n)[:-1])


@settings(max_examples=200, deadline=None)
@given(COVERED, st.integers(min_value=-300, max_value=300))
def test_add_working_days_lands_where_counting_says(a, n):
    try:
        d = CAL.add_working_days(a, n)
    except CalendarGap:
        return
    assert CAL.working_days_between(a, d) == n
    assert n == 0 or CAL.is_working_day(d)


def test_2027_is_not_covered_and_the_message_says_so():
    day = date(2027, 1, 4)
    assert not CAL.covers(day) and CAL.covers(date(2026, 12, 31))
    for call in (CAL.is_working_day, CAL.ordinal, CAL.next_working_day):
        with pytest.raises(CalendarGap) as info:
            call(day)
        assert info.value.day == day
        assert str(info.value).startswith("2027-01-04 不在工作日历覆盖范围内（已覆盖 2004–2026 年）")
    with pytest.raises(CalendarGap) as info:
        CAL.add_working_days(date(2026, 12, 31), 1)  # Thursday; whether Friday 2027-01-01 works is unknown
    assert info.value.day == date(2027, 1, 1)
    with pytest.raises(CalendarGap):
        CAL.working_days_between(date(2026, 12, 1), day)
    with pytest.raises(CalendarGap):
        CAL.ordinal(date(2003, 12, 31))


def test_a_user_file_for_2027_extends_coverage():
    cal = load_calendar([FIXTURE_2027])
    assert cal.years() == (2004, 2027)
    assert not cal.is_working_day(date(2027, 1, 1)) and cal.is_working_day(date(2027, 1, 4))
    assert cal.is_working_day(date(2027, 2, 20))  # the fixture's Saturday make-up day
    assert cal.ordinal(date(2026, 12, 31)) == CAL.ordinal(date(2026, 12, 31))
    assert cal.working_days_between(date(2026, 12, 31), date(2027, 1, 4)) == 1
    assert cal.receipt()[-1]["years"] == [2027, 2027] and str(FIXTURE_2027) in cal.receipt()[-1]["detail"]
    assert load_calendar([FIXTURE_2027]).receipt() == cal.receipt()  # deterministic


def _write(tmp_path: Path, text: str, name: str = "cal.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _fixture_for(year: int) -> str:
    return FIXTURE_2027.read_text("utf-8").replace("2027-", f"{year}-").replace("year: 2027", f"year: {year}")


def test_a_year_past_a_gap_is_loaded_but_not_covered(tmp_path):
    cal = load_calendar([_write(tmp_path, _fixture_for(2028))])  # its make-up day 2028-02-20 is a Sunday
    assert cal.years() == (2004, 2026)
    with pytest.raises(CalendarGap) as info:
        cal.is_working_day(date(2028, 3, 1))
    assert "已加载 2028 年的日历文件，但缺少 2027 年的" in str(info.value)
    assert cal.receipt()[-1]["years"] == [] and "不连续" in cal.receipt()[-1]["detail"]


def test_a_user_file_overrides_the_year(tmp_path):
    text = (SHIPPED / "2026.yaml").read_text("utf-8").replace(
        "holidays:\n", "holidays:\n  - name: 地方假日\n    start: 2026-03-02\n    end: 2026-03-02\n")
    cal = load_calendar([_write(tmp_path, text)])
    assert CAL.is_working_day(date(2026, 3, 2)) and not cal.is_working_day(date(2026, 3, 2))
    assert cal.working_days_between(date(2026, 2, 27), date(2026, 3, 3)) == 2  # 02-28 (Sat), 03-03; not 03-02
    names = [s["detail"] for s in cal.receipt()]
    assert "未使用" in names[2] and cal.receipt()[2]["years"] == [] and cal.receipt()[3]["years"] == [2026, 2026]


def test_a_new_year_holiday_may_cross_into_the_previous_year(tmp_path):
    # as when a notice's 元旦 starts in December (2024's: 2023-12-30..2024-01-01): the file decides those days
    text = _fixture_for(2027).replace("start: 2027-01-01\n    end: 2027-01-03", "start: 2026-12-31\n    end: 2027-01-02")
    text = text.replace("  - 2027-02-20  # 周六", "  - 2026-12-26\n  - 2027-02-20")
    cal = load_calendar([_write(tmp_path, text)])
    assert CAL.is_working_day(date(2026, 12, 31)) and not cal.is_working_day(date(2026, 12, 31))
    assert not CAL.is_working_day(date(2026, 12, 26)) and cal.is_working_day(date(2026, 12, 26))
    assert cal.is_working_day(date(2027, 1, 4)) and not cal.is_working_day(date(2027, 1, 2))
    late = text.replace("  - 2026-12-26", "  - 2026-12-19")  # a Saturday, but 12 days before the holiday
    assert _problems(tmp_path, late) == [(17, "make_up_working_days[0]",
                                         "2026-12-19 不在 2027 年内（只有跨年的元旦假期的调休日可在相邻年份）")]


@pytest.mark.parametrize("year", [int(p.stem) for p in sorted(SHIPPED.glob("*.yaml"))])
def test_shipped_files_agree_with_the_package_every_day(year):
    data = yaml.safe_load((SHIPPED / f"{year}.yaml").read_text("utf-8"))
    off = {h["start"] + timedelta(k) for h in data["holidays"] for k in range((h["end"] - h["start"]).days + 1)}
    on = set(data["make_up_working_days"])
    days = _days(date(year, 1, 1), date(year, 12, 31))
    assert len(days) in (365, 366)
    for d in sorted(set(days) | off | on):
        by_file = d in on or (d not in off and d.weekday() < 5)
        assert by_file == chinese_calendar.is_workday(d) == CAL.is_working_day(d), d
    notice = data["notice"]
    assert notice["title"] == f"国务院办公厅关于{year}年部分节假日安排的通知"
    assert notice["number"].startswith(f"国办发明电〔{year - 1}〕") and notice["published"].year == year - 1
    assert notice["url"].startswith("https://www.gov.cn/")


def test_the_package_covers_2004_to_2026_only():
    chinese_calendar.is_workday(date(2026, 12, 31))
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 1))



def test_the_fast_package_lookup_is_the_packages_answer_every_day():
    from prereview.engine.calendar import _package_workday, _package_years

    years = _package_years()
    days = _days(date(years[0], 1, 1), date(years[-1], 12, 31))
    assert len(days) > 8000
    assert [_package_workday(d) for d in days] == [chinese_calendar.is_workday(d) for d in days]


GOOD = """year: 2030
notice:
  title: 测试
  number: 测试〔2029〕1号
  published: 2029-11-01
  url: https://example.invalid/x
holidays:
  - name: 春节
    start: 2030-02-02
    end: 2030-02-08
make_up_working_days:
  - 2030-01-26
"""


def _problems(tmp_path, text):
    path = _write(tmp_path, text)
    with pytest.raises(CalendarError) as info:
        load_calendar([path])
    assert info.value.kind.startswith("工作日历文件 (calendar)")
    assert all(p.path == str(path) for p in info.value.problems)
    return [(p.line, p.field, p.message) for p in info.value.problems]


def test_the_good_base_file_loads(tmp_path):
    load_calendar([_write(tmp_path, GOOD)])  # Sat 2030-01-26, 春节 in 2030: valid


@pytest.mark.parametrize("change, line, field, says", [
    (("  url:", "  website: https://example.invalid/y\n  url:"), 6, "notice.website", "未知字段"),
    (("  - 2030-01-26", "  - 2030-01-28"), 12, "make_up_working_days[0]", "2030-01-28 是星期一"),
    (("  - 2030-01-26", "  - 2029-01-27"), 12, "make_up_working_days[0]", "2029-01-27 不在 2030 年内"),
    (("  - 2030-01-26", "  - 2030-02-02"), 12, "make_up_working_days[0]", "同时列为放假日和调休上班日"),
    (("end: 2030-02-08", "end: 2030-02-31"), 10, "holidays[0].end", "'2030-02-31' 不是日期"),
    (("end: 2030-02-08", "end: 8 Feb 2030"), 10, "holidays[0].end", "不是日期"),
    (("published: 2029-11-01", "published: 20291101"), 5, "notice.published", "不是日期"),
    (("year: 2030", "year: '2030'"), 1, "year", "不是年份"),
    (("  number: 测试〔2029〕1号\n", ""), 2, "notice.number", "缺少必填字段"),
    (("url: https://example.invalid/x", "url: example.invalid/x"), 6, "notice.url", "不是网址"),
    (("end: 2030-02-08", "end: 2030-01-30"), 10, "holidays[0].end", "早于开始日"),
    (("end: 2030-02-08", "end: 2030-03-08"), 10, "holidays[0].end", "长达 35 天"),
])
def test_bad_files_name_file_line_and_field(tmp_path, change, line, field, says):
    problems = _problems(tmp_path, GOOD.replace(*change))
    assert len(problems) == 1, problems
    assert problems[0][:2] == (line, field) and says in problems[0][2], problems


def test_every_problem_of_a_file_is_reported(tmp_path):
    text = GOOD.replace("  - 2030-01-26", "  - 2030-01-28\n  - 2030-02-03\n  - 2029-06-02")
    text = text.replace("start: 2030-02-02\n    end: 2030-02-08", "start: 2031-02-02\n    end: 2031-02-08")
    problems = _problems(tmp_path, text)
    assert [p[:2] for p in problems] == [(9, "holidays[0].start"), (10, "holidays[0].end"),
                                         (12, "make_up_working_days[0]"), (14, "make_up_working_days[2]")]
    assert "2031-02-02 不在 2030 年内" in problems[0][2] and "星期一" in problems[2][2]
    assert "2029-06-02 不在 2030 年内" in problems[3][2]


def test_unreadable_files_are_located(tmp_path):
    assert _problems(tmp_path, "- 2030-01-01\n")[0][0] == 1
    assert "无法解析" in _problems(tmp_path, "year: [2030\n")[0][2]
    with pytest.raises(CalendarError) as info:
        load_calendar([tmp_path / "missing.yaml"])
    assert "无法读取" in str(info.value)


def test_the_readme_example_is_a_valid_calendar_file(tmp_path):
    readme = (SHIPPED / "README.md").read_text("utf-8")
    example = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    cal = load_calendar([_write(tmp_path, example)])
    assert cal.receipt()[-1]["years"] == [2026, 2026] and "国办发明电〔2025〕7号" in cal.receipt()[-1]["detail"]
    assert not cal.is_working_day(date(2026, 2, 16)) and cal.is_working_day(date(2026, 2, 14))
