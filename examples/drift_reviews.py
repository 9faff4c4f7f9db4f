"""A week of simulated production traffic for a movie-review model, checked daily.

The reference is 300 IMDb sentences (what the model was tested on).  The current
log holds 7 days of 100 sentences: days 1-3 are other IMDb sentences (drawn
without replacement: a resampled pool would repeat sentences, which is drift
of its own), on day 4 a
new client starts sending restaurant reviews (Yelp) for a third of the traffic,
and from day 6 a scanner sends OCR-noised text (nlperr.ocr's default noise model
at CER 0.05).  Writes the log as JSONL, runs ``detect_drift`` with daily windows
(the same as ``nlperr drift --reference ref.jsonl --current log.jsonl --window
daily --out DIR``) and prints the windows, the drifting tests and the findings.

    python examples/drift_reviews.py [OUT_DIR]

Data: Sentiment Labelled Sentences (Kotzias et al. 2015, CC BY 4.0) in
../shared/data/sentiment_labelled.
"""

from __future__ import annotations

import json
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sentiment_labelled"


def read(name: str) -> list[str]:
    return [ln.rsplit("\t", 1)[0].strip()
            for ln in (DATA / f"{name}_labelled.txt").read_text(encoding="utf-8").splitlines()
            if ln.strip()]


def main() -> None:
    if not DATA.is_dir():
        print(f"{DATA} is not available; this example needs the sentiment_labelled corpus.")
        return
    from nlperr.drift import detect_drift
    from nlperr.ocr import NoiseModel

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    imdb, yelp = read("imdb"), read("yelp")
    order = rng.permutation(len(imdb))
    reference, pool = [imdb[i] for i in order[:300]], [imdb[i] for i in order[300:]]
    noise = NoiseModel.default()
    day0 = 1714521600  # 2024-05-01 UTC
    with open(out / "reference.jsonl", "w", encoding="utf-8") as fh:
        for t in reference:
            fh.write(json.dumps({"text": t}) + "\n")
    n_yelp = n_imdb = 0
    with open(out / "log.jsonl", "w", encoding="utf-8") as fh, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # W702: very short sentences miss the target CER
        for day in range(7):
            for k in range(100):
                if day >= 3 and k % 3 == 0:
                    text, n_yelp = yelp[n_yelp], n_yelp + 1
                else:
                    text, n_imdb = pool[n_imdb], n_imdb + 1
                if day >= 5:
                    text = noise.apply(text, cer=0.05, seed=day * 1000 + k)[0]
                fh.write(json.dumps({"text": text, "timestamp": day0 + day * 86400 + k * 800})
                         + "\n")
    result = detect_drift(out / "reference.jsonl", out / "log.jsonl", window="daily", seed=0)
    result.save(out / "drift", formats=("json", "csv"))
    print(result.tables["windows"][["window", "n_current", "drift", "drifting_tests"]]
          .to_string(index=False))
    print(f"\n{result.summary['correction_note']}\n")
    for f in result.findings:
        print("-", f.message)
    print(f"\nfiles in {out}")


if __name__ == "__main__":
    main()
