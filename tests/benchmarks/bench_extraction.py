"""`make bench-extraction`: extraction quality and speed on the dev corpus.

Runs `newsarchive extract --manifest` over ../shared/corpus/dev (the manifest is built in a temp
directory; pages are read in place, never copied), scores the output with the corpus's own
score.py, and times trafilatura's bare_extraction(with_metadata=True) against
extract_article on the same decoded input, one page at a time, so the two CPU figures compare
like with like. Usage: python tests/benchmarks/bench_extraction.py [CORPUS_DIR]
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEV = REPO.parent / "shared" / "corpus" / "dev"
WORKERS = 2


def main(argv: list[str]) -> int:
    corpus = Path(argv[0]) if argv else DEV
    score_py = corpus.parent / "score.py"
    if not (corpus / "index.jsonl").is_file() or not score_py.is_file():
        print(f"bench-extraction: no corpus at {corpus} (expected index.jsonl and ../score.py)")
        return 1
    rows = [json.loads(line) for line in (corpus / "index.jsonl").read_text().splitlines() if line]
    with tempfile.TemporaryDirectory(prefix="bench-extraction-") as tmp:
        work = Path(tmp)
        manifest = work / "manifest.jsonl"
        by_path = {str(corpus / row["id"] / "page.html"): row["id"] for row in rows}
        manifest.write_text(
            "".join(
                json.dumps({"path": p, "url": r["url"]}) + "\n"
                for p, r in zip(by_path, rows, strict=True)
            )
        )
        output, wall, cpu = run_extract(manifest, work)
        predictions = work / "predictions.jsonl"
        predictions.write_text(to_predictions(output, by_path), encoding="utf-8")
        scores = work / "scores.json"
        command = ["python3", str(score_py), str(corpus), str(predictions), "--by-source"]
        subprocess.run([*command, "--json", str(scores)], check=True)
        result = json.loads(scores.read_text())
    ours_ms, trafilatura_ms = compare_cpu(corpus, rows)
    pages = len(rows)
    everything, chinese = result["ALL"], result.get("lang=zh", {})
    print()
    print(
        f"body F1                 {everything['body_F1']:.3f} all, {chinese['body_F1']:.3f} Chinese"
    )
    print(
        f"snippet F1              {everything['snip_F1']:.3f} (accuracy {everything['snip_acc']:.3f})"
    )
    print(
        f"title                   {everything['title_EM']:.3f} exact, {everything['title_lenient']:.3f} lenient"
    )
    print(f"date same-day           {everything['date_EM']:.3f} ({everything['date_pages']} pages)")
    print(
        f"newsarchive extract     {pages} pages in {wall:.1f} s: {pages / wall:.1f} pages/s, "
        f"{1000 * cpu / pages:.1f} ms CPU/page (one process: start-up, decode, extract, language)"
    )
    print(
        f"same decoded input      extract_article {ours_ms:.1f} ms CPU/page, "
        f"trafilatura bare_extraction(with_metadata=True) {trafilatura_ms:.1f} ms CPU/page"
    )
    return 0


def run_extract(manifest: Path, work: Path) -> tuple[str, float, float]:
    """The command's stdout, wall seconds and CPU seconds (user + system)."""
    command = shutil.which("newsarchive", path=str(Path(sys.executable).parent)) or "newsarchive"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [command, "extract", "--manifest", str(manifest)],
        capture_output=True,
        text=True,
        cwd=work,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"bench-extraction: newsarchive extract failed ({done.returncode})")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done.stdout, wall, cpu


def to_predictions(output: str, by_path: dict[str, str]) -> str:
    """score.py's format: {"id", "body", "title", "date"} per page."""
    lines = []
    for line in output.splitlines():
        record = json.loads(line)
        lines.append(
            json.dumps(
                {
                    "id": by_path[record["path"]],
                    "body": record["text"],
                    "title": record["title"],
                    "date": record["published"],
                },
                ensure_ascii=False,
            )
        )
    return "\n".join(lines) + "\n"


def compare_cpu(corpus: Path, rows: list[dict[str, Any]]) -> tuple[float, float]:
    """Mean ms of CPU per page: (extract_article, trafilatura), same decoded input."""
    jobs = [(str(corpus / row["id"] / "page.html"), row["url"] or "") for row in rows]
    with ProcessPoolExecutor(WORKERS) as pool:
        timings = list(pool.map(_time_one, jobs, chunksize=8))
    ours = sum(t[0] for t in timings) / len(timings)
    theirs = sum(t[1] for t in timings) / len(timings)
    return 1000 * ours, 1000 * theirs


def _time_one(job: tuple[str, str]) -> tuple[float, float]:
    import trafilatura

    from pipelines.decode import decode_html
    from pipelines.extraction import extract_article

    path, url = job
    html, _ = decode_html(Path(path).read_bytes())
    start = time.process_time()
    extract_article(html, url)
    ours = time.process_time() - start
    start = time.process_time()
    trafilatura.bare_extraction(html, url=url or None, with_metadata=True)
    theirs = time.process_time() - start
    return ours, theirs


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    raise SystemExit(main(sys.argv[1:]))
