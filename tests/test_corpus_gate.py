"""Regression gate: extraction quality on the dev corpus must not fall below the baseline.

When ../shared/corpus/dev is present (it is not part of this repository), every page is
decoded and extracted in-process, two workers at a time, and scored with the corpus's own
score.py (imported, not copied). The test fails when body F1 (all pages or Chinese pages) or
date same-day falls more than TOLERANCE below tests/extraction_baseline.json. The baseline is
only ever raised: after an improvement, write the new figures the failure message prints.
"""

from __future__ import annotations

import importlib.util
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "dev"
SCORE_PY = CORPUS.parent / "score.py"
BASELINE = Path(__file__).with_name("extraction_baseline.json")
TOLERANCE = 0.005
WORKERS = 2

pytestmark = pytest.mark.skipif(
    not (CORPUS / "index.jsonl").is_file() or not SCORE_PY.is_file(),
    reason=f"no evaluation corpus at {CORPUS} (it lives outside the repository)",
)


def _load_score() -> ModuleType:
    spec = importlib.util.spec_from_file_location("corpus_score", SCORE_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _extract_one(job: tuple[str, str, str]) -> dict[str, Any]:
    from pipelines.decode import decode_html
    from pipelines.extraction import extract_article

    page_id, path, url = job
    html, _ = decode_html(Path(path).read_bytes())
    found = extract_article(html, url)
    if found is None:
        return {"id": page_id, "body": "", "title": None, "date": None}
    published = found.published.isoformat() if found.published else None
    return {"id": page_id, "body": found.text, "title": found.title, "date": published}


@pytest.fixture(scope="module")
def scores() -> dict[str, Any]:
    score = _load_score()
    pages = score.load_corpus(str(CORPUS))
    jobs = [(p["id"], str(CORPUS / p["id"] / "page.html"), p["url"] or "") for p in pages]
    context = multiprocessing.get_context("spawn")  # no fork of a process running threads
    with ProcessPoolExecutor(WORKERS, mp_context=context) as pool:
        predictions = {p["id"]: p for p in pool.map(_extract_one, jobs, chunksize=8)}
    result: dict[str, Any] = score.score(pages, predictions)
    return result


def test_extraction_does_not_fall_below_the_baseline(scores: dict[str, Any]) -> None:
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    measured = {
        "body_f1": scores["ALL"]["body_F1"],
        "body_f1_chinese": scores["lang=zh"]["body_F1"],
        "date_same_day": scores["ALL"]["date_EM"],
    }
    figures = ", ".join(f'"{key}": {value:.4f}' for key, value in measured.items())
    fallen = [
        f"{key} {value:.4f} < baseline {baseline[key]:.4f}"
        for key, value in measured.items()
        if value < baseline[key] - TOLERANCE
    ]
    assert not fallen, f"extraction got worse on {CORPUS}: {'; '.join(fallen)} (now {figures})"


def test_every_page_gives_text(scores: dict[str, Any]) -> None:
    assert scores["ALL"]["empty_predictions"] == 0
