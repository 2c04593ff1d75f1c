"""The inline SVG charts: well-formed, accessible, escaped, with one colour per label."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from forumbot.web import charts

SVG = "{http://www.w3.org/2000/svg}"
EVIL = "<script>alert(1)</script>&\"'"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def stacked(**overrides):
    values = {
        "title": "近 14 天每日帖子数",
        "desc": "每天一根柱",
        "categories": ["06-14", "06-15"],
        "series": [
            charts.Series("engineering", "工程", [2, 0]),
            charts.Series("unlabelled", "未分类", [1, 3]),
        ],
    }
    values.update(overrides)
    return charts.stacked_bars("posts-by-day", **values)


def test_stacked_bars_are_wellformed_and_accessible():
    svg = stacked()
    assert isinstance(svg, Markup)
    root = parse(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.get("aria-labelledby") == "posts-by-day-title posts-by-day-desc"
    assert root.find(f"{SVG}title").text == "近 14 天每日帖子数"
    assert root.find(f"{SVG}desc").text == "每天一根柱"
    bars = root.findall(f"{SVG}g[@class='bar']")
    assert [b.get("data-total") for b in bars] == ["3", "3"]
    # A zero value draws nothing: three segments for four (label, day) pairs.
    segments = [r for b in bars for r in b.findall(f"{SVG}rect")]
    assert len(segments) == 3
    assert {r.find(f"{SVG}title").text for r in segments} == {
        "06-14 工程: 2",
        "06-14 未分类: 1",
        "06-15 未分类: 3",
    }


def test_segment_heights_are_proportional():
    root = parse(stacked())
    heights = {
        r.find(f"{SVG}title").text: float(r.get("height"))
        for r in root.iter(f"{SVG}rect")
        if r.find(f"{SVG}title") is not None
    }
    assert heights["06-15 未分类: 3"] == pytest.approx(3 * heights["06-14 未分类: 1"], abs=0.2)


def test_each_label_keeps_its_colour():
    root = parse(stacked())
    fills = {r.find(f"{SVG}title").text: r.get("fill") for r in root.iter(f"{SVG}rect") if len(r)}
    assert fills["06-14 工程: 2"] == charts.LABEL_COLOURS["engineering"]
    assert fills["06-15 未分类: 3"] == charts.LABEL_COLOURS["unlabelled"]
    assert len(set(charts.LABEL_COLOURS.values())) == len(charts.LABEL_COLOURS)


def test_text_is_escaped_in_every_place():
    svg = stacked(
        title=EVIL,
        desc=EVIL,
        categories=[EVIL, "06-15"],
        series=[charts.Series("engineering", EVIL, [1, 1])],
        empty_text=EVIL,
    )
    assert "<script>" not in svg
    root = parse(svg)  # still well-formed XML
    texts = [t.text for t in root.iter() if t.text]
    assert EVIL in texts  # the original text survives as text, not as markup
    assert root.find(f".//{SVG}script") is None

    bars = charts.horizontal_bars(
        "drafts-by-state", title=EVIL, desc=EVIL, rows=[(EVIL, 2)], empty_text=EVIL
    )
    assert "<script>" not in bars
    assert EVIL in [t.text for t in parse(bars).iter() if t.text]


def test_horizontal_bars():
    root = parse(
        charts.horizontal_bars(
            "drafts-by-state",
            title="回复草稿按状态",
            desc="每个状态一行",
            rows=[("待审批", 4), ("已批准", 1), ("已驳回", 0)],
        )
    )
    rects = {r.find(f"{SVG}title").text: float(r.get("width")) for r in root.iter(f"{SVG}rect")}
    assert rects["待审批: 4"] == pytest.approx(4 * rects["已批准: 1"])
    assert rects["已驳回: 0"] == 0
    assert [t.text for t in root.iter(f"{SVG}text")][:2] == ["待审批", "4"]


def test_empty_charts_say_so():
    svg = stacked(
        series=[charts.Series("engineering", "工程", [0, 0])], empty_text="近 14 天没有帖子"
    )
    assert "近 14 天没有帖子" in [t.text for t in parse(svg).iter(f"{SVG}text")]
    empty = charts.horizontal_bars("drafts", title="t", desc="d", rows=[], empty_text="没有草稿")
    assert "没有草稿" in [t.text for t in parse(empty).iter(f"{SVG}text")]


@pytest.mark.parametrize(("top", "axis", "step"), [(0, 1, 1), (3, 3, 1), (7, 8, 2), (95, 100, 20)])
def test_axis_is_rounded(top, axis, step):
    got_axis, got_step = charts.nice_max(top)
    assert got_axis >= top and got_axis % got_step == 0
    assert (got_axis, got_step) == (axis, step)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="chart id"):
        charts.horizontal_bars('x" onload="alert(1)', title="t", desc="d", rows=[])
    with pytest.raises(ValueError, match="values"):
        stacked(series=[charts.Series("sales", "销售", [1])])
