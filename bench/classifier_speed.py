"""Classifier speed, as a person or a tool meets it. Prints one JSON line.

- ``forumbot classify --jsonl`` over 20,000 posts as a whole process (start-up included),
  against jieba's tokenisation alone over the same posts in one process: the floor no
  jieba-based classifier can beat in one process (goal: at least 0.7 of it). The command uses
  as many worker processes as the machine has CPUs (``cli_jobs``); the same run with
  ``--jobs 1`` is reported too, as the like-for-like figure. jieba's default (with its HMM)
  is the floor the goal names; forumbot tokenises without the HMM, so the floor without it is
  reported too.
- the in-process loop (``Classifier.classify_many`` in batches of 512), as before;
- cold start: ``forumbot classify "…"`` against a process that only loads jieba's dictionary
  (goal: at most 1.3 times), medians of five runs each.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jieba

from forumbot.classify.classifier import Classifier, PostInput
from forumbot.classify.tokenize import setup
from forumbot.cli.jsonl import default_jobs
from forumbot.corpus import load_split

N = 20_000
RUNS = 5
ONLY_JIEBA = "import jieba, logging; jieba.setLogLevel(logging.WARNING); jieba.initialize()"


def median_seconds(command: list[str], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    corpus = load_split("train") + load_split("dev")
    items = [corpus[j % len(corpus)] for j in range(N)]
    posts = [PostInput(f"{e.raw}（{i}）", e.title, e.post_number) for i, e in enumerate(items)]
    setup()
    floors = {}
    for hmm in (True, False):
        started = time.perf_counter()
        for p in posts:
            jieba.lcut(p.raw, HMM=hmm)
        floors[hmm] = N / (time.perf_counter() - started)

    classifier = Classifier.load()
    classifier.classify("预热")
    started = time.perf_counter()
    for start in range(0, N, 512):
        classifier.classify_many(posts[start : start + 512])
    loop_rate = N / (time.perf_counter() - started)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "posts.jsonl"
        path.write_text(
            "".join(
                json.dumps(
                    {"raw": p.raw, "title": p.title, "post_number": p.post_number},
                    ensure_ascii=False,
                )
                + "\n"
                for p in posts
            ),
            encoding="utf-8",
        )
        command = [sys.executable, "-m", "forumbot", "classify", "--jsonl", str(path)]
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        process_rate = N / (time.perf_counter() - started)
        started = time.perf_counter()
        subprocess.run([*command, "--jobs", "1"], check=True, stdout=subprocess.DEVNULL)
        one_process_rate = N / (time.perf_counter() - started)

    cold = median_seconds([sys.executable, "-m", "forumbot", "classify", "楼上漏水到我家天花板了"])
    jieba_only = median_seconds([sys.executable, "-c", ONLY_JIEBA])
    print(
        json.dumps(
            {
                "bench": "classifier_speed",
                "posts": N,
                "cli_jsonl_posts_per_s": round(process_rate, 1),
                "jieba_only_posts_per_s": round(floors[True], 1),
                "jieba_only_no_hmm_posts_per_s": round(floors[False], 1),
                "cli_share_of_floor": round(process_rate / floors[True], 3),
                "cli_share_of_floor_no_hmm": round(process_rate / floors[False], 3),
                "cli_jobs": default_jobs(),
                "cli_one_process_posts_per_s": round(one_process_rate, 1),
                "cli_one_process_share_of_floor": round(one_process_rate / floors[True], 3),
                "loop_posts_per_s": round(loop_rate, 1),
                "loop_share_of_floor": round(loop_rate / floors[True], 3),
                "cold_start_s_median": round(cold, 3),
                "jieba_only_start_s_median": round(jieba_only, 3),
                "cold_start_ratio": round(cold / jieba_only, 3),
                "goal_met": process_rate / floors[True] >= 0.7 and cold / jieba_only <= 1.3,
            }
        )
    )


if __name__ == "__main__":
    main()
