"""Normalisation, the shipped model, safe loading, and `forumbot classify` on bad input."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from forumbot.classify.classifier import Classifier
from forumbot.classify.content import content_free
from forumbot.classify.labels import LABELS, STYLES
from forumbot.classify.normalize import clean, model_text, own_text
from forumbot.classify.persist import ModelError, load_current, load_version
from forumbot.cli import cli
from forumbot.paths import MODELS_DIR


@pytest.fixture(scope="module")
def classifier():
    return Classifier.load()


def test_clean_strips_quotes_html_urls_and_signatures():
    raw = (
        '[quote="zhang, post:1, topic:3"]别人说的话[/quote]\n'
        "<p>我家<b>漏水</b>了</p><script>alert(1)</script> 见 https://pan.example.com/s/abc\n"
        "--\n发自我的iPhone"
    )
    assert clean(raw) == "我家 漏水 了 见"


def test_traditional_and_full_width_become_simplified():
    assert clean("物業費又漲了！ＡＢＣ") == "物业费又涨了!abc"


def test_reply_title_is_context_only():
    assert own_text("顶", "楼上漏水三个月", 5) == "顶"
    assert model_text("同感", "车位又涨价了", 5) == "同感 。 回复主题 车位又涨价了"
    assert model_text("三个月了", "楼上漏水", 1).startswith("楼上漏水")


@pytest.mark.parametrize("text", ["顶", "顶顶顶!!!", "+1", "mark", "🙄🙄🙄", "。。。", "", "沙发"])
def test_content_free(text):
    assert content_free(clean(text))


@pytest.mark.parametrize("text", ["漏水", "垃圾公司", "物业费怎么算"])
def test_not_content_free(text):
    assert not content_free(clean(text))


@pytest.mark.parametrize(
    ("raw", "title", "number", "label"),
    [
        ("发现最近账单上扣的维修金越来越多了，请问维修金是怎么计算的？", "维修金", 1, "inquiry"),
        ("花城海棠苑水压太小了，洗澡水都是一滴一滴的，高层更严重", "水压太小", 1, "engineering"),
        ("顶", "12栋漏水三个月没人管", 8, "empty"),
        ("垃圾公司！！！", "垃圾公司", 1, "abuse"),
        ("專業代辦房產證、貸款，電話138****5678，價格優惠", "代办", 3, "unrelated"),
    ],
)
def test_shipped_model_labels_typical_posts(classifier, raw, title, number, label):
    p = classifier.classify(raw, title, number)
    assert p.label == label, p
    assert 0 <= p.confidence <= 1


@pytest.mark.parametrize(
    "raw",
    [
        "打排位又碰到这种舔狗主播，粉丝一个比一个能吹",  # an insult in a game's chatter
        "楼上那个杠精能不能闭嘴，天天在群里抬杠",
        "这种田园女权说话就是双标，懒得理",
    ],
)
def test_an_insult_about_something_else_goes_to_the_moderators(classifier, raw):
    p = classifier.classify(raw, "", 5)
    assert p.label == "abuse", p


def test_an_insulting_name_overrules_a_sure_unrelated(classifier):
    """The model is sure a post is off-topic chatter, but it calls someone 舔狗: proposed as
    abuse all the same, marked for a person to check; without the word it stays unrelated."""
    row = [0.0] * len(classifier.classes)
    row[classifier.classes.index("unrelated")] = 0.95
    row[classifier.classes.index("abuse")] = 0.03
    row[classifier.classes.index("empty")] = 0.02
    said = classifier._from_probabilities(row, "看直播的都是一群舔狗")
    assert (said.label, said.needs_review, said.rule) == ("abuse", True, "insult_word")
    plain = classifier._from_probabilities(row, "看直播的都是年轻人")
    assert plain.label == "unrelated" and plain.rule is None
    engineering = [0.0] * len(classifier.classes)
    engineering[classifier.classes.index("engineering")] = 0.9
    engineering[classifier.classes.index("abuse")] = 0.1
    assert classifier._from_probabilities(engineering, "傻逼开发商，漏水").label == "engineering"


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        ("带孩子去海洋馆看小丑鱼，橙白条纹特别好看", "unrelated"),
        ("傻逼开发商，卫生间顶上漏水两个月了还不来修！", "engineering"),  # a leak is a leak
    ],
)
def test_harmless_look_alikes_and_complaints_keep_their_label(classifier, raw, label):
    assert classifier.classify(raw, "", 1).label == label


def test_prediction_carries_style_and_alternatives(classifier):
    p = classifier.classify("阳台推拉门下雨往里渗水，地板都泡了", "推拉门渗水", 1)
    assert p.label in LABELS and p.style in STYLES
    assert len(p.alternatives) == 2 and p.alternatives[0][1] <= p.confidence
    assert classifier.classify("顶").style is None


def test_tampered_model_file_is_refused(tmp_path):
    current = load_current()
    shutil.copytree(MODELS_DIR / current.version, tmp_path / current.version)
    with (tmp_path / current.version / "model.npz").open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelError, match="does not match its checksum"):
        load_version(current.version, tmp_path)


def test_model_for_other_labels_is_refused(tmp_path):
    current = load_current()
    shutil.copytree(MODELS_DIR / current.version, tmp_path / current.version)
    meta_path = tmp_path / current.version / "metadata.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["labels"] = ["spam", "ham"]
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match="trained for labels"):
        load_version(current.version, tmp_path)


def test_missing_pointer_says_what_to_run(tmp_path):
    with pytest.raises(ModelError, match=r"run 'python train\.py'"):
        load_current(tmp_path)


def run(*args, input=None):
    return CliRunner().invoke(cli, ["classify", *args], input=input, catch_exceptions=False)


def test_jsonl_contract_one_line_out_per_line_in():
    lines = [
        {"raw": "物业费凭什么一年涨两次", "title": "物业费", "post_number": 1, "extra": 1},
        {"raw": ""},
        {"raw": "漏水" * 500_000},
        {"raw": "😀😀😀"},
        {"raw": "！！！？？？"},
        {"raw": "<script>alert(1)</script><img src=x onerror=alert(1)>"},
        {"raw": "When will the keys be handed over?"},
        {"raw": "{{ 7*7 }} {% for x in y %}"},
    ]
    jsonl = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines)
    result = run("--jsonl", "-", input=jsonl)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert len(out) == len(lines)
    for item in out:
        assert item["label"] in LABELS
        assert 0 <= item["confidence"] <= 1
        assert item["style"] in (*STYLES, None)
        assert isinstance(item["needs_review"], bool)
    assert [out[i]["label"] for i in (1, 3, 4)] == ["empty"] * 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"raw": "漏水"}\nnot json\n', "not JSON"),
        ('{"raw": "漏水"}\n{"title": "x"}\n', "'raw' is required"),
        ('{"raw": "漏水"}\n["raw"]\n', "expected a JSON object"),
        ('{"raw": "漏水"}\n{"raw": "x", "post_number": "one"}\n', "'post_number' must be a whole"),
    ],
)
def test_bad_jsonl_line_is_answered_in_place(content, message):
    result = run("--jsonl", "-", input=content)
    assert result.exit_code == 1
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert "label" in first
    assert second["line"] == 2 and message in second["error"]
    assert "Traceback" not in result.output


def test_text_for_a_person():
    result = run("楼上漏水到我家天花板了，报修三次没人来")
    assert result.exit_code == 0
    assert "置信度" in result.output


def test_needs_text_or_jsonl():
    assert run().exit_code == 2


def test_labeller_labels_each_received_post_once(sessions, make_post, classifier):
    from sqlalchemy import select

    from forumbot.labelling.labeller import Labeller
    from forumbot.storage.models import Classification, Post

    with sessions() as s:
        make_post(s, 1, raw="顶", post_number=4)
        make_post(s, 2, raw="5栋电梯又困人了，物业半小时才来", topic_title="电梯困人")
        s.commit()
    labeller = Labeller(sessions, classifier)
    assert labeller.run_once() == 2
    assert labeller.run_once() == 0
    with sessions() as s:
        rows = s.execute(
            select(Post.forum_post_id, Classification.label, Post.stage)
            .join(Classification, Classification.post_id == Post.id)
            .order_by(Post.forum_post_id)
        ).all()
    assert rows[0] == (1, "empty", "labelled")
    assert rows[1][1] == "property_management"


def test_corpus_passes_its_check():
    import io

    from forumbot.corpus import check

    out = io.StringIO()
    assert check(out=out), out.getvalue()
    assert "near-duplicate pairs (5-gram Jaccard >= 0.6): 0" in out.getvalue()


def test_near_duplicates_are_found():
    from forumbot.corpus import near_duplicate_pairs

    pairs = near_duplicate_pairs(
        [
            "3栋2单元1502卫生间漏水一个月了没人管",
            "3栋2单元1502卫生间漏水一个月了没人管！！",
            "物业费凭什么又涨了",
            "顶",
            "顶",
        ]
    )
    assert [(i, j) for i, j, _ in pairs] == [(0, 1), (3, 4)]


def test_classify_gives_the_policys_style_for_the_seed_examples():
    seed = [
        ("发现最近账单上扣的维修金越来越多了，这个是按什么算的？", "维修金", "direct_answer"),
        ("花城海棠苑12栋水压太小，洗澡都困难", "花城海棠苑水压太小的问题", "specialist"),
        ("昨晚保安无故殴打业主，强烈要求严惩！", "保安无故殴打业主", "interactive"),
        (
            "车位款交清一年了，车位销售发票还是领不到",
            "关于领取车位销售发票的投诉",
            "redirect_private",
        ),
    ]
    jsonl = "".join(
        json.dumps({"raw": raw, "title": title, "post_number": 1}, ensure_ascii=False) + "\n"
        for raw, title, _ in seed
    )
    result = run("--jsonl", "-", input=jsonl)
    styles = [json.loads(line)["style"] for line in result.output.splitlines()]
    assert styles == [style for _, _, style in seed]
