"""Rebuild two candidate pools of real Chinese texts from the repositories in SOURCES.md.

Usage: python data/real/build.py --repos ROOT

ROOT holds one folder per repository, named <owner>+<name>, that is a bare git
dir or holds a `.git` dir or a `repo` subfolder (bare, or with its own `.git`).
Texts are read only from the commits and paths below. Output (git-ignored):
cache/validation_pool.jsonl and cache/swsr_train_pool.jsonl next to this file.
Sampling is deterministic: candidates are read from sorted paths and ordered by
a salted SHA-256 of their id, so the same snapshots give the same pools.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import NoReturn

SWSR = ("aggiejiang/SWSR", "7b320184da8f9dd6d366dfe726c6b3e12ac92f77")
HARM = ("zjunlp/ChineseHarm-bench", "5e81bc498649845306a4aadf6f34c6a08f3d3377")
LAWYER = ("AndrewZhe/lawyer-llama", "abaa09586081b82ceb7b0a9f41d05a68897b24ee")
BEKE = ("CCChenhao997/House-BEKE", "fa8e7d8b1d5eac06036aa6cefab189f492af0b41")
CHNCI = ("zhuyiYZU/CHNCI", "0004ce67bdb660c6473f62f4c388e94753577b4c")
NLPCC = (
    "FudanNLP/nlpcc2017_news_headline_categorization",
    "067b54681f218e974c739d5a4f5ed7da26aed277",
)
FEWCLUE = ("CLUEbenchmark/FewCLUE", "62a02c6f31cf32814cfe522f78ef088228840f8d")
LCCC = ("thu-coai/CDial-GPT", "81064865221d3503251d633f3d0b651004c938a6")

SWSR_COMMENTS = "SWSR/SexComment.csv"
HARM_BENCH = "benchmark/bench.json"
LAWYER_FILES = (
    "data/legal_advice.json",
    "data/legal_counsel_with_article_v2.json",
    "data/zixun_gpt4.json",
)
BEKE_QUERIES = ("data/test/test.query.tsv", "data/train/train.query.tsv")
BEKE_REPLIES = ("data/test/test.reply.tsv", "data/train/train.reply.tsv")
CHNCI_DIRS = ("dataset/category/", "dataset/cyberbullying/", "dataset/non-cyberbullying/")
CHNCI_HOUSING = ("多位购房者称房东临时涨价或反悔不卖", "上海有二手房涨价百万")
NLPCC_FILE = "test.full/test.char"
TNEWS_FILE = "datasets/tnews/test_public.json"
LCCC_FILES = ("data/toy_train.txt", "data/toy_valid.txt")

SWSR_VALIDATION_PERCENT = 20
MAX_LEN = 400
HOUSING = re.compile(
    "物业|开发商|交房|业主|公积金|过户|装修|漏水|渗水|车位|小区|购房|买房|房贷|按揭|房产证|首付|售楼|"
    "楼盘|商品房|房屋|房子|验收|维修基金"
)
HOUSING_WEAK = re.compile("房|贷款")
FAMILY = re.compile("离婚|结婚|继承|遗嘱|遗产|去世|老公|老婆|丈夫|妻子|前妻|前夫|婚前|婚后|夫妻")
ACK = re.compile(
    r"^(?:好的?|好嘞|好吧|嗯+|恩+|哦+|是的?|是啊|是呢|对的?|对呀|行|收到|谢谢|不客气|您?稍等(?:一下)?|在的?|在呢|"
    r"在吗|您好|你好|OK|ok|哈+|没事|可以的?|嗯呢|早上好|晚上好|[?？.。!！,，~～👌😊😁😂😄😃🏻]+)+$"
)
URL = re.compile(r"(?:https?://|www\.)[\w./?%&=#:~+-]*|\bt\.cn/\w+", re.I)
MENTION = re.compile(r"@[^\s@:：,，。!！?？、)）\]】]{1,20}")
EMOJI_TAG = re.compile(r"\[[^\[\]]{1,8}\]")

Item = dict[str, str]


def fail(message: str) -> NoReturn:
    """Stop with a one-line message."""
    sys.exit(f"build.py: {message}")


def git_dir(root: Path, repo: str) -> Path:
    """Find the git dir for owner/name under root, in one of the supported layouts."""
    base = root / repo.replace("/", "+")
    for cand in (base / "repo" / ".git", base / "repo", base / ".git", base):
        if (cand / "HEAD").is_file() and (cand / "objects").is_dir():
            return cand
    fail(f"no git dir for {repo} under {base}")


def git(gdir: Path, *args: str) -> bytes:
    """Run git on one git dir and return stdout, or stop with the error."""
    res = subprocess.run(["git", f"--git-dir={gdir}", *args], capture_output=True)
    if res.returncode:
        err = res.stderr.decode(errors="replace").strip()
        fail(f"git {' '.join(args)} failed in {gdir.name}: {err}")
    return res.stdout


class Repos:
    """Reads files at the recorded commits."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dirs: dict[str, Path] = {}

    def dir(self, src: tuple[str, str]) -> Path:
        repo, commit = src
        if repo not in self.dirs:
            gdir = git_dir(self.root, repo)
            cmd = ["git", f"--git-dir={gdir}", "cat-file", "-e", f"{commit}^{{commit}}"]
            if subprocess.run(cmd, capture_output=True).returncode:
                fail(f"commit {commit} of {repo} is missing in {gdir}")
            self.dirs[repo] = gdir
        return self.dirs[repo]

    def text(self, src: tuple[str, str], path: str) -> str:
        raw = git(self.dir(src), "show", f"{src[1]}:{path}")
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return raw.decode("gb18030", errors="replace")

    def ls(self, src: tuple[str, str], prefix: str) -> list[str]:
        out = git(self.dir(src), "ls-tree", "-r", "-z", "--name-only", src[1], "--", prefix)
        return sorted(p for p in out.decode().split("\0") if p)


def clean(text: str) -> str:
    """Drop URLs, mask @mentions, collapse whitespace."""
    text = URL.sub(" ", text)
    text = MENTION.sub("@某用户", text)
    return re.sub(r"\s+", " ", text).strip()


def item(src: tuple[str, str], path: str, row: object, text: str, hint: str) -> Item | None:
    """Make a pool record, or None if the cleaned text is too short or too long."""
    text = clean(text)
    if not 2 <= len(text) <= MAX_LEN:
        return None
    return {"id": f"{src[0]}:{path}:{row}", "source": src[0], "text": text, "hint": hint}


def dedup(items: list[Item | None]) -> list[Item]:
    """Drop None and exact duplicate texts (the first id in sorted order wins)."""
    seen: set[str] = set()
    out = []
    for it in sorted((i for i in items if i), key=lambda i: i["id"]):
        if it["text"] not in seen:
            seen.add(it["text"])
            out.append(it)
    return out


def pick(items: list[Item], n: int, salt: str) -> list[Item]:
    """Deterministically pick n items, ordered by a salted hash of the id."""
    return sorted(items, key=lambda i: hashlib.sha256(f"{salt}|{i['id']}".encode()).hexdigest())[:n]


def spread(items: list[Item], n: int, salt: str, extra: dict[str, int] | None = None) -> list[Item]:
    """Pick about n items spread evenly over hints, plus extra items for some hints."""
    groups: dict[str, list[Item]] = {}
    for it in items:
        groups.setdefault(it["hint"], []).append(it)
    extra = extra or {}
    per = max(1, (n - sum(extra.values())) // len(groups))
    out = [x for h in sorted(groups) for x in pick(groups[h], per + extra.get(h, 0), f"{salt}|{h}")]
    rest = [x for x in items if x not in out]
    return out + pick(rest, n - len(out), salt + "|rest") if len(out) < n else pick(out, n, salt)


def swsr(repos: Repos) -> tuple[list[Item], list[Item]]:
    """SWSR comments split by text hash into train and validation parts."""
    rows = csv.DictReader(io.StringIO(repos.text(SWSR, SWSR_COMMENTS)))
    items = []
    for row in rows:
        if row["category"] == "SO":
            continue
        hint = f"label={row['label']}"
        if row["category"]:
            hint += f",category={row['category']},target={row['target']}"
        items.append(item(SWSR, SWSR_COMMENTS, row["index"], row["comment_text"], hint))
    train: list[Item] = []
    val: list[Item] = []
    for it in dedup(items):
        part = int(hashlib.sha256(it["text"].encode()).hexdigest()[:8], 16) % 100
        (val if part < SWSR_VALIDATION_PERCENT else train).append(it)
    return train, val


def by_label(items: list[Item], n: int, salt: str) -> list[Item]:
    """Half sexist-labelled, half label-0 SWSR comments."""
    pos = [i for i in items if i["hint"].startswith("label=1")]
    neg = [i for i in items if i["hint"].startswith("label=0")]
    return pick(pos, n // 2, salt + "|1") + pick(neg, n - n // 2, salt + "|0")


def harm(repos: Repos) -> list[Item]:
    """ChineseHarm-bench insults, black-market ads and gambling ads."""
    data = json.loads(repos.text(HARM, HARM_BENCH))
    items = dedup([item(HARM, HARM_BENCH, i, d["文本"], d["标签"]) for i, d in enumerate(data)])
    want = {"谩骂引战": 70, "黑产广告": 30, "博彩": 20}
    out: list[Item] = []
    for lab, n in want.items():
        out += pick([i for i in items if i["hint"] == lab], n, "harm|" + lab)
    return out


def lawyer(repos: Repos) -> list[Item]:
    """Housing questions from lawyer-llama (user questions only, never answers)."""
    tiers: list[list[Item | None]] = [[], []]
    for path in LAWYER_FILES:
        for i, rec in enumerate(json.loads(repos.text(LAWYER, path))):
            q = rec[0]["instruction"] if isinstance(rec, list) else rec["query"]
            it = item(LAWYER, path, i, q, "legal_question")
            if not it or FAMILY.search(it["text"]):
                continue  # divorce and inheritance questions are far from the forum
            if HOUSING.search(it["text"]):
                tiers[0].append(it)
            elif HOUSING_WEAK.search(it["text"]):
                tiers[1].append(it)
    out: list[Item] = []
    for n, tier in enumerate(tiers):
        out += pick(dedup(tier), 200 - len(out), f"lawyer|{n}")
    return out


def beke(repos: Repos) -> tuple[list[Item], list[Item]]:
    """House-BEKE buyers' queries and bare acknowledgement replies."""
    queries, acks = [], []
    for path in BEKE_QUERIES:
        for i, line in enumerate(repos.text(BEKE, path).splitlines()):
            cols = line.split("\t")
            if len(cols) >= 2:
                queries.append(item(BEKE, path, i, cols[1], "buyer_query"))
    for path in BEKE_REPLIES:
        for i, line in enumerate(repos.text(BEKE, path).splitlines()):
            cols = line.split("\t")
            # "??" is an emoji lost to encoding in these files: skip such replies
            if len(cols) >= 3 and ACK.match(cols[2].strip()) and "??" not in cols[2]:
                hint = "agent_reply" + (f",is_answer={cols[3]}" if len(cols) > 3 else "")
                acks.append(item(BEKE, path, i, cols[2], hint))
    return pick(dedup(queries), 100, "beke|q"), pick(dedup(acks), 60, "beke|ack")


def news(repos: Repos) -> list[Item]:
    """NLPCC 2017 and TNEWS headlines spread over categories."""
    nl = []
    for i, line in enumerate(repos.text(NLPCC, NLPCC_FILE).splitlines()):
        lab, _, chars = line.partition("\t")
        nl.append(item(NLPCC, NLPCC_FILE, i, chars.replace(" ", ""), lab))
    tn = []
    for i, line in enumerate(repos.text(FEWCLUE, TNEWS_FILE).splitlines()):
        if line.strip():
            d = json.loads(line)
            tn.append(item(FEWCLUE, TNEWS_FILE, i, d["sentence"], d["label_desc"]))
    nl_items, tn_items = dedup(nl), dedup(tn)
    tn_extra = {"news_house": 8, "news_finance": 3}
    return spread(nl_items, 75, "nlpcc", {"finance": 5}) + spread(tn_items, 75, "tnews", tn_extra)


def chnci(repos: Repos) -> list[Item]:
    """CHNCI comments: chatter (incl. housing), abuse-labelled, filler."""

    def num(x: str) -> str:
        try:
            return str(int(float(x)))
        except ValueError:
            return "?"

    chat, house, abuse, filler = [], [], [], []
    for path in [p for d in CHNCI_DIRS for p in repos.ls(CHNCI, d) if p.endswith(".csv")]:
        rows = list(csv.reader(io.StringIO(repos.text(CHNCI, path))))
        start = 1 if rows and rows[0][:1] == ["timestamp"] else 0
        for i, row in enumerate(rows[start:], start):
            if len(row) < 7:
                continue
            labels = tuple(num(x) for x in row[2:5])
            hint = "label1={},label2={},label3={}".format(*labels)
            it = item(CHNCI, path, i, row[6], hint)
            if not it:
                continue
            if len(EMOJI_TAG.sub("", it["text"]).strip()) <= 3:
                filler.append(it)
            elif labels[:2] == ("1", "1"):
                abuse.append(it)
            elif labels == ("0", "0", "0"):
                (house if any(h in path for h in CHNCI_HOUSING) else chat).append(it)
    parts = ((house, 25, "house"), (chat, 35, "chat"), (abuse, 50, "abuse"), (filler, 40, "filler"))
    return [x for lst, n, salt in parts for x in pick(dedup(lst), n, "chnci|" + salt)]


def lccc(repos: Repos) -> list[Item]:
    """Short LCCC toy utterances (posts and replies)."""
    short, chat = [], []
    for path in LCCC_FILES:
        for i, line in enumerate(repos.text(LCCC, path).splitlines()):
            for turn, utt in enumerate(line.split("\t")):
                role = "post" if turn == 0 else "reply"
                it = item(LCCC, path, f"{i}.{turn}", utt.replace(" ", ""), role)
                if it and len(it["text"]) <= 6:
                    short.append(it)
                elif it and len(it["text"]) <= 20:
                    chat.append(it)
    return pick(dedup(short), 50, "lccc|short") + pick(dedup(chat), 50, "lccc|chat")


def write(path: Path, items: list[Item]) -> list[Item]:
    """Drop cross-source duplicates, sort by id and write JSON Lines."""
    items = dedup(items)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for it in items:
            f.write(json.dumps(it, ensure_ascii=False) + "\n")
    return items


def report(name: str, items: list[Item]) -> None:
    """Print counts per source."""
    counts = Counter(it["source"] for it in items)
    print(f"{name}: {len(items)}")
    for src, n in sorted(counts.items()):
        print(f"  {src}: {n}")


def main() -> None:
    """Build both pools."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repos", type=Path, required=True, help="folder of <owner>+<name> snapshots")
    args = ap.parse_args()
    if not args.repos.is_dir():
        fail(f"--repos {args.repos} is not a folder")
    repos = Repos(args.repos)
    train, val = swsr(repos)
    queries, acks = beke(repos)
    pool = lawyer(repos) + queries + acks + news(repos) + chnci(repos) + harm(repos)
    pool += by_label(val, 120, "swsr|val") + lccc(repos)
    cache = Path(__file__).resolve().parent / "cache"
    report("validation_pool", write(cache / "validation_pool.jsonl", pool))
    train_pool = by_label(train, 900, "swsr|train")
    report("swsr_train_pool", write(cache / "swsr_train_pool.jsonl", train_pool))


if __name__ == "__main__":
    main()
