"""Classifier speed: posts per second for classifying 20,000 posts in one process, against
jieba tokenisation alone over the same posts (the floor no jieba-based classifier can beat),
and the cold start of `forumbot classify "…"` as a whole process. Prints one JSON line."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

import jieba

from forumbot.classify.classifier import Classifier, PostInput
from forumbot.classify.tokenize import setup
from forumbot.corpus import load_split

N = 20_000


def main() -> None:
    corpus = load_split("train") + load_split("dev")
    posts = [
        PostInput(f"{e.raw}（{i}）", e.title, e.post_number)
        for i, e in enumerate(corpus[j % len(corpus)] for j in range(N))
    ]
    setup()
    started = time.perf_counter()
    for p in posts:
        jieba.lcut(p.raw)
    jieba_rate = N / (time.perf_counter() - started)

    classifier = Classifier.load()
    classifier.classify("预热")
    started = time.perf_counter()
    for start in range(0, N, 512):
        classifier.classify_many(posts[start : start + 512])
    classify_rate = N / (time.perf_counter() - started)

    cold = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "forumbot", "classify", "楼上漏水到我家天花板了"],
            check=True,
            capture_output=True,
        )
        cold.append(time.perf_counter() - started)
    print(
        json.dumps(
            {
                "bench": "classifier_speed",
                "posts": N,
                "classify_posts_per_s": round(classify_rate, 1),
                "jieba_only_posts_per_s": round(jieba_rate, 1),
                "share_of_floor": round(classify_rate / jieba_rate, 3),
                "cold_start_s_median": round(statistics.median(cold), 3),
                "cold_start_s_min": round(min(cold), 3),
            }
        )
    )


if __name__ == "__main__":
    main()
