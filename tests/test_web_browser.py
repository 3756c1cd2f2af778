"""The reviewers' web pages in a real browser: Debian's chromium driven by Playwright, against the real service
(`prereview serve` on 127.0.0.1, a free port, a temporary SQLite database, tokens made with `prereview token
create`). Each test does what a person would do. Screenshots of every page at 1366×768 go to out/screenshots/."""
from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright
from pypdf import PdfReader

from helpers import EXAMPLES, ROOT

CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "out" / "screenshots"
WUWEI = EXAMPLES / "wuwei-old-town-renewal.yaml"
ORG, OTHER = "武威市司法局", "金昌市司法局"
FINDING = "合法性审查意见应在集体讨论前出具"


def corrected_wuwei() -> str:
    """The Wuwei example as its unit would correct it: the opinion before the meeting and in its papers."""
    text = WUWEI.read_text("utf-8")
    for old, new in (("opinion_on: 2025-07-02", "opinion_on: 2025-06-24"),
                     ("kind: review-opinion, dated: 2025-07-02", "kind: review-opinion, dated: 2025-06-24"),
                     ("公平竞争审查表, 会议纪要, 会议记录]", "公平竞争审查表, 合法性审查意见书, 会议纪要, 会议记录]"),
                     ("    note: 会议召开时合法性审查意见尚未出具，会议纪要载明“合法性审查意见待补”。\n", "")):
        assert old in text
        text = text.replace(old, new)
    return text


def _cli(data_dir: Path, *args: str) -> str:
    code = "import sys; from prereview.api.cli import main; sys.exit(main())"
    done = subprocess.run([sys.executable, "-c", code, *args, "--data-dir", str(data_dir)], capture_output=True,
                          text=True, env=_env(), check=True)
    return done.stdout.strip()


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREREVIEW_")}
    env["PREREVIEW_WORKERS"] = "1"
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("web-service")
    tokens = {
        "submitter": _cli(data, "token", "create", "--org", ORG, "--role", "submitter", "--name", "凉州区住建局李四"),
        "reviewer": _cli(data, "token", "create", "--org", ORG, "--role", "reviewer", "--name", "张三"),
        "other_reviewer": _cli(data, "token", "create", "--org", OTHER, "--role", "reviewer", "--name", "王五"),
    }
    port = _free_port()
    code = "import sys; from prereview.api.cli import main; sys.exit(main())"
    log = open(data / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-c", code, "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", "1", "--data-dir", str(data)], env=_env(), stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # start-up wait, not an assertion on speed
    while True:
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("服务未能启动：" + (data / "server.log").read_text("utf-8", "replace")[-2000:])
        time.sleep(0.3)
    yield {"base": base, "tokens": tokens, "data": data}
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM)
        yield b
        b.close()


@pytest.fixture
def person(browser, server):
    """A person at a 1366×768 screen; person(role) opens a fresh browser window signed in with that role's token."""
    contexts = []

    def open_as(role: str | None, **options):
        context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True,
                                      locale="zh-CN", base_url=server["base"], **options)
        contexts.append(context)
        page = context.new_page()
        if role:
            sign_in(page, server["tokens"][role])
        return page

    yield open_as
    for c in contexts:
        c.close()


def sign_in(page, token: str) -> None:
    page.goto("/web/login")
    page.get_by_label("访问令牌").fill(token)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="审查记录", level=1)).to_be_visible()


def shot(page, name: str) -> None:
    """What the screen shows (1366×768), and the whole page beside it."""
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    page.screenshot(path=str(SHOTS / f"{name}-full.png"), full_page=True)


def submit_file(page, path: Path) -> None:
    page.get_by_role("link", name="提交卷宗").click()
    page.get_by_label("卷宗文件").set_input_files(str(path))
    page.get_by_role("button", name="提交并审查").click()


def submit_text(page, text: str, button: str = "提交并审查") -> None:
    page.get_by_label("或粘贴卷宗内容").fill(text)
    page.get_by_role("button", name=button).click()


def review_id(page) -> str:
    return re.search(r"/reviews/([0-9a-f]{32})", page.url).group(1)


# ------------------------------------------------------------------------------------------ journeys

def test_a_submitted_defective_dossier_shows_its_blocking_finding_and_the_line_it_points_at(person):
    page = person("submitter")
    page.get_by_role("link", name="提交卷宗").click()
    shot(page, "01-submit")
    submit_file(page, WUWEI)
    expect(page.locator("#verdict")).to_contain_text("不得提交集体讨论")
    expect(page.locator("#verdict")).to_contain_text("阻断 1 项")
    finding = page.locator("article.finding", has_text=FINDING)
    expect(finding).to_have_count(1)
    expect(finding.locator(".sev")).to_have_text("阻断")
    expect(finding).to_contain_text("《重大行政决策程序暂行条例》（国务院令第713号）第二十五条第一款")
    expect(finding).to_contain_text("2019年9月1日起施行")
    expect(page.locator("svg[aria-label='程序时间轴']")).to_be_visible()
    expect(page.get_by_role("heading", name="送审材料清单")).to_be_visible()
    shot(page, "03-review-blocked")
    opinion_line = next(i for i, line in enumerate(WUWEI.read_text("utf-8").splitlines(), 1)
                        if "opinion_on: 2025-07-02" in line)
    finding.get_by_role("link", name=f"第{opinion_line}行").click()
    assert page.url.endswith(f"/dossier#L{opinion_line}")
    target = page.locator("li:target")
    expect(target).to_contain_text("opinion_on: 2025-07-02")
    expect(target).to_be_in_viewport()
    shot(page, "04-dossier-at-line")


def test_a_corrected_version_shows_the_finding_resolved_and_what_changed(person, tmp_path):
    page = person("submitter")
    submit_file(page, WUWEI)
    expect(page.locator("#verdict")).to_contain_text("不得提交集体讨论")
    first = review_id(page)
    page.get_by_role("link", name="提交补正版本").click()
    expect(page.get_by_role("heading", name="提交补正版本")).to_be_visible()
    corrected = tmp_path / "武威-补正.yaml"
    corrected.write_text(corrected_wuwei(), "utf-8")
    page.get_by_label("卷宗文件").set_input_files(str(corrected))
    page.get_by_role("button", name="提交补正版本并审查").click()
    expect(page.get_by_role("heading", name="发现的变化")).to_be_visible()
    expect(page.locator("#fixed")).to_contain_text(FINDING)
    expect(page.locator("#new")).to_contain_text("无")
    expect(page.locator(".verdict-change")).to_contain_text("不得提交集体讨论 → 通过")
    def changed(label: str):
        return page.locator("ul.changes > li").filter(has=page.locator(".what", has_text=re.compile(f"^{label}$")))
    steps = changed("合法性审查")
    expect(steps).to_contain_text("审查意见出具日期")
    expect(steps).to_contain_text("2025-07-02")
    expect(steps).to_contain_text("2025-06-24")
    expect(changed("集体讨论决定")).to_contain_text("合法性审查意见书")
    shot(page, "06-changes")
    page.get_by_role("navigation", name="本审查记录").get_by_role("link", name="审查结果").click()
    expect(page.locator("#verdict")).to_contain_text("通过")
    expect(page.locator("article.finding")).to_have_count(0)
    page.goto(f"/web/reviews/{first}")
    expect(page.locator(".notice.warn")).to_contain_text("已有补正版本")
    page.get_by_role("link", name="审查记录").first.click()
    row = page.locator("table.list tbody tr", has_text="武威市凉州区老城区城市更新实施方案")
    expect(row.first).to_contain_text("第2版")


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "plain-forms"])
def test_a_reviewer_ticks_two_items_and_the_verdict_changes(person, javascript):
    """With JavaScript the answered item and the verdict are swapped in place (htmx: the page is not reloaded,
    so a mark left on the window survives); without it the same forms post and the page comes back."""
    submitter = person("submitter")
    submitter.get_by_role("link", name="提交卷宗").click()
    submit_text(submitter, corrected_wuwei())
    expect(submitter.locator("#verdict")).to_contain_text("通过")
    rid = review_id(submitter)

    page = person("reviewer", java_script_enabled=javascript)
    page.goto(f"/web/reviews/{rid}")
    page.get_by_role("link", name="逐项作答").click()
    pending = int(page.locator("#pending-count").inner_text())
    if javascript:
        page.wait_for_function("() => window.htmx !== undefined")
        page.evaluate("window.notReloaded = true")
    expect(page.locator("#verdict")).to_contain_text("通过")
    expect(page.locator("#verdict")).to_contain_text("待审查")
    shot(page, "07-checklist")

    first = page.locator("section.item", has_text="决策事项是否属于决策机关的法定权限")
    first.get_by_label("符合", exact=True).check()
    first.get_by_role("button", name="保存本项").click()
    first = page.locator("section.item", has_text="决策事项是否属于决策机关的法定权限")
    expect(first.locator(".istatus")).to_have_text("符合")
    expect(page.locator("#verdict")).to_contain_text("通过")

    second = page.locator("section.item", has_text="合法性审查意见是否就权限、程序、内容三项分别作出明确结论")
    second.get_by_label("不符合", exact=True).check()
    second.get_by_role("button", name="保存本项").click()  # no note: refused beside the item
    second = page.locator("section.item", has_text="合法性审查意见是否就权限、程序、内容三项分别作出明确结论")
    expect(second.get_by_role("alert")).to_contain_text("须在说明中写明问题")
    second.get_by_label("说明（结论为不符合时必填）").fill("审查意见书未就决策内容是否合法作出结论")
    second.get_by_role("button", name="保存本项").click()
    second = page.locator("section.item", has_text="合法性审查意见是否就权限、程序、内容三项分别作出明确结论")
    expect(second.locator(".istatus")).to_have_text("不符合")
    expect(page.locator("#verdict")).to_contain_text("补正后可提交")
    expect(page.locator("#verdict")).to_contain_text("重要 1 项")
    expect(page.locator("#pending-count")).to_have_text(str(pending - 2))
    expect(page.locator("#history")).to_contain_text("合法性审查意见是否就权限、程序、内容三项分别作出明确结论：不符合")
    assert page.evaluate("window.notReloaded === true") is javascript
    if javascript:  # the keyboard is on the item just answered, not lost at the top of the page
        expect(page.locator(":focus")).to_have_text("合法性审查意见是否就权限、程序、内容三项分别作出明确结论")
    shot(page, f"08-checklist-answered-{'htmx' if javascript else 'plain'}")

    page.get_by_role("navigation", name="本审查记录").get_by_role("link", name="审查结果").click()
    finding = page.locator("article.finding", has_text="合法性审查意见是否就权限、程序、内容三项分别作出明确结论")
    expect(finding).to_contain_text("审查意见书未就决策内容是否合法作出结论")
    expect(finding).to_contain_text("人工审查答复")


def test_the_report_pdf_downloads_with_its_chinese_text(person):
    page = person("submitter")
    submit_file(page, WUWEI)
    expect(page.locator("#verdict")).to_contain_text("不得提交集体讨论")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 PDF").first.click()
    path = download.value.path()
    assert download.value.suggested_filename.startswith("预审报告-") and download.value.suggested_filename.endswith(".pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(Path(path).read_bytes())).pages)
    squeezed = re.sub(r"\s+", "", text)
    assert "武威市凉州区老城区城市更新实施方案" in squeezed
    assert FINDING in squeezed
    assert "第二十五条第一款" in squeezed
    page.get_by_role("link", name="查看网页版").nth(1).click()  # the draft opinion
    assert page.url.endswith("/opinion.html")
    expect(page.locator("body")).to_contain_text("武威市凉州区老城区城市更新实施方案")
    shot(page, "09-opinion-html")


def test_another_organisations_reviewer_gets_404_for_the_same_review(person):
    page = person("submitter")
    submit_file(page, WUWEI)
    expect(page.locator("#verdict")).to_be_visible()
    url = page.url
    rid = review_id(page)
    stranger = person("other_reviewer")
    for path in ("", "/dossier", "/checklist", "/changes", "/report.pdf", "/opinion.html"):
        response = stranger.goto(f"/web/reviews/{rid}{path}") if path != "/report.pdf" else None
        if response is None:
            response = stranger.request.get(f"/web/reviews/{rid}{path}")
        assert response.status == 404, path
    stranger.goto(url)
    expect(stranger.get_by_role("heading", name="没有这个审查记录")).to_be_visible()
    expect(stranger.locator("body")).not_to_contain_text("武威市凉州区老城区城市更新实施方案")
    shot(stranger, "10-other-org-404")
    stranger.goto("/web/")
    expect(stranger.locator("body")).not_to_contain_text("武威市凉州区老城区城市更新实施方案")


def test_a_title_with_markup_renders_as_text(person):
    page = person("submitter")
    page.get_by_role("link", name="提交卷宗").click()
    title = "<script>window.pwned = 1</script><b>加粗</b>示范方案"
    text = WUWEI.read_text("utf-8").replace("title: 武威市凉州区老城区城市更新实施方案（2025—2027年）",
                                             f"title: '{title}'", 1)
    submit_text(page, text)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(title)
    assert heading.locator("b").count() == 0 and page.locator("main script").count() == 0
    assert page.evaluate("window.pwned") is None
    page.get_by_role("link", name="审查记录").first.click()
    expect(page.locator("table.list")).to_contain_text(title)
    assert page.evaluate("window.pwned") is None


def test_an_invalid_dossier_shows_each_problem_beside_its_line_and_is_not_stored(person):
    page = person("submitter")
    before = page.locator("p.muted", has_text="共").first.inner_text()
    page.get_by_role("link", name="提交卷宗").click()
    bad = WUWEI.read_text("utf-8").replace("stage: decided", "stage: 已决定").replace("held_on: 2025-06-27", "held_on: 2025-13-40")
    submit_text(page, bad)
    expect(page.get_by_role("heading", name=re.compile(r"卷宗中的问题（\d+ 处）"))).to_be_visible()
    lines = bad.splitlines()
    stage_line = next(i for i, line in enumerate(lines, 1) if "stage: 已决定" in line)
    date_line = next(i for i, line in enumerate(lines, 1) if "held_on: 2025-13-40" in line)
    expect(page.locator(f"#L{stage_line} .problem")).to_be_visible()
    expect(page.locator(f"#L{date_line} .problem")).to_contain_text("日期")
    expect(page.get_by_label("或粘贴卷宗内容")).to_have_value(bad)
    shot(page, "05-submit-invalid")
    page.get_by_role("link", name="审查记录").first.click()
    assert page.locator("p.muted", has_text="共").first.inner_text() == before


def test_a_post_without_the_csrf_token_is_refused(person, server):
    page = person("submitter")
    count = page.locator("p.muted", has_text="共").first.inner_text()
    response = page.request.post("/web/submit", multipart={"text": WUWEI.read_text("utf-8")})
    assert response.status == 403 and "CSRF" in response.text()
    forged = page.request.post("/web/submit", multipart={"text": WUWEI.read_text("utf-8"), "csrf": "0" * 64})
    assert forged.status == 403
    out = page.request.post("/web/logout", form={})
    assert out.status == 403
    page.reload()
    assert page.locator("p.muted", has_text="共").first.inner_text() == count  # nothing stored, still signed in


def test_sign_in_refuses_a_wrong_token_and_sign_out_ends_the_session(person, server):
    page = person(None)
    page.goto("/web/")
    assert "/web/login" in page.url
    shot(page, "00-login")
    page.get_by_label("访问令牌").fill("prv_0000000000000000_wrong")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("令牌无效或已吊销")
    page.get_by_label("访问令牌").fill(server["tokens"]["reviewer"])
    page.keyboard.press("Enter")  # the keyboard alone signs in
    expect(page.get_by_role("heading", name="审查记录", level=1)).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "prereview_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.goto("/web/stats")
    assert "/web/login" in page.url


def test_statistics_draw_a_bar_chart(person):
    page = person("submitter")
    submit_file(page, WUWEI)
    page.get_by_role("link", name="统计").click()
    total = int(page.locator("#stats-total").inner_text())
    assert total >= 1
    chart = page.locator("section.stat", has_text="预审结论").locator("svg.chart")
    expect(chart).to_be_visible()
    assert chart.locator("rect").count() >= 1
    expect(chart).to_contain_text("不得提交集体讨论")
    shot(page, "11-stats")


# ------------------------------------------------------------------------------------------ accessibility

PAGES = ("/web/", "/web/submit", "/web/stats", "/web/reviews/{id}", "/web/reviews/{id}/checklist",
         "/web/reviews/{id}/dossier")


def test_every_control_has_a_label_and_pages_fit_at_125_percent_zoom(person, browser, server):
    page = person("reviewer")
    submitter = person("submitter")
    submit_file(submitter, WUWEI)
    rid = review_id(submitter)
    shot(submitter, "03-review")
    submitter.get_by_role("link", name="审查记录").first.click()
    shot(submitter, "02-list")
    # 125% zoom of a 1366-pixel screen leaves 1093 CSS pixels: the page must still fit without sideways scrolling
    zoomed = browser.new_context(viewport={"width": 1093, "height": 614}, device_scale_factor=1.25,
                                 base_url=server["base"])
    try:
        z = zoomed.new_page()
        sign_in(z, server["tokens"]["submitter"])
        for path in PAGES:
            for p in (page, z):
                p.goto(path.format(id=rid))
                unlabeled = p.evaluate("""() => [...document.querySelectorAll('input, select, textarea, button')]
                    .filter(e => e.type !== 'hidden')
                    .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                                 && !(e.tagName === 'BUTTON' && e.innerText.trim()))
                    .map(e => e.outerHTML)""")
                assert unlabeled == [], (path, unlabeled)
            overflow = z.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, (path, overflow)
            z.screenshot(path=str(SHOTS / f"zoom125-{path.strip('/').replace('/', '-').replace('{id}', 'id') or 'list'}.png"))
    finally:
        zoomed.close()


def test_the_keyboard_reaches_the_submit_form_and_its_button(person):
    page = person("submitter")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("跳到正文")
    names = []
    for _ in range(8):
        page.keyboard.press("Tab")
        names.append(page.evaluate("document.activeElement.textContent.trim()"))
    assert "提交卷宗" in names
    while page.evaluate("document.activeElement.textContent.trim()") != "提交卷宗":
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="提交卷宗")).to_be_visible()
    page.get_by_label("或粘贴卷宗内容").focus()
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("提交并审查")
