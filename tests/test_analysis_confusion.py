"""Entity confusion and label-group diagnostics on a synthetic email corpus."""

from __future__ import annotations

import numpy as np
import pytest

from nlperr.analysis import (EMPTY, confused_pairs, entity_confusion, label_group_analysis,
                             log_odds_dirichlet)
from nlperr.data import Example
from nlperr.errors import InputError

from _analysis_helpers import email_corpus


@pytest.fixture(scope="module")
def emails():
    return email_corpus(n=300, seed=1, confuse=0.6)


def test_confused_pair_comes_first(emails):
    gold, pred = emails
    df = confused_pairs(gold, pred)
    assert (df.iloc[0]["gold"], df.iloc[0]["pred"]) == ("DATE_SENT", "DATE_REPLIED")
    assert df.iloc[0]["count"] > 50
    assert df.iloc[0]["examples"]


def test_confusion_matrix_layout(emails):
    gold, pred = emails
    m = entity_confusion(gold, pred)
    assert m.index[-1] == EMPTY and m.columns[-1] == EMPTY
    n_gold = sum(len(e.spans) for e in gold)
    n_pred = sum(len(e.spans) for e in pred)
    assert m.drop(index=EMPTY).to_numpy().sum() == n_gold
    assert m.drop(columns=EMPTY).to_numpy().sum() == n_pred
    assert m.loc["PER", EMPTY] > 0  # missed names
    norm = entity_confusion(gold, pred, normalize="true")
    assert np.allclose(norm.drop(index=EMPTY).sum(axis=1), 1.0)
    exact = entity_confusion(gold, pred, match="exact")
    assert exact.loc["DATE_SENT", "DATE_REPLIED"] == m.loc["DATE_SENT", "DATE_REPLIED"]
    with pytest.raises(InputError, match="match"):
        entity_confusion(gold, pred, match="fuzzy")


def test_merge_test_cues_and_finding(emails):
    gold, pred = emails
    res = label_group_analysis(gold, pred, "DATE_*")
    assert res.labels == ["DATE_REPLIED", "DATE_SENT"]
    m = res.merge.set_index("setting")
    assert m.loc["merged", "f1"] == pytest.approx(1.0)
    assert m.loc["separate", "f1"] < 0.8
    top_sent = res.cues[res.cues.label == "DATE_SENT"]["cue"].head(3).tolist()
    top_rep = res.cues[res.cues.label == "DATE_REPLIED"]["cue"].head(3).tolist()
    assert "sent" in top_sent
    assert "replied" in top_rep
    assert "Detection of DATE_* is fine" in res.finding and "'sent'" in res.finding
    assert set(res.by_cue.columns) >= {"label", "cue_present", "support", "accuracy"}
    assert res.by_cue["support"].sum() == sum(
        1 for e in gold for s in e.spans if s.label.startswith("DATE"))


def test_group_errors():
    g = [Example.from_tokens(["a"], ["B-X"])]
    with pytest.raises(InputError, match="E507"):
        label_group_analysis(g, g, "DATE_*")
    with pytest.raises(InputError, match="E508"):
        label_group_analysis(g, g, ["X"])


def test_log_odds_prefers_distinctive_words():
    from collections import Counter
    counts = {"A": Counter({"sent": 20, "on": 20}), "B": Counter({"replied": 20, "on": 20})}
    df = log_odds_dirichlet(counts, Counter({"sent": 20, "replied": 20, "on": 40}))
    assert df[df.label == "A"].iloc[0]["cue"] == "sent"
    assert df[(df.label == "A") & (df.cue == "on")]["z"].abs().iloc[0] < 1e-9


def test_group_overlap_merge_test_and_cue_rule(emails):
    """Boundary errors hide a typing problem from the strict merge test; the overlap
    columns show it, and the finding says a cue rule would fix the typing."""
    from nlperr.data import Span
    gold, pred = emails
    # the model now also cuts the last token of every date (boundary error)
    cut = []
    for g, p in zip(gold, pred):
        spans = []
        for s in p.spans:
            if s.label.startswith("DATE") and len(g.text[s.start:s.end].split()) > 1:
                s = Span(s.start, g.text.rindex(" ", s.start, s.end), s.label, s.score)
            spans.append(s)
        cut.append(p.copy(spans=tuple(spans)))
    res = label_group_analysis(gold, cut, "DATE_*")
    m = res.merge.set_index("setting")
    assert m.loc["merged", "f1_overlap"] == pytest.approx(1.0)
    assert m.loc["merged", "f1"] < 0.6 and m.loc["separate", "f1_overlap"] < 0.8
    assert "fine up to boundaries" in res.finding
    assert res.extra["cue_rule_accuracy"] > 0.9
    assert "context heuristic" in res.finding
    bc = res.by_cue.set_index(["label", "cue_present"])
    row = bc.loc[("DATE_SENT", True)]
    assert row["right_type"] + row["wrong_type_in_group"] + row["other_error"] == row["support"]
    assert row["type_accuracy"] < 0.6
    assert all(any(c.isalpha() for c in w) for w in res.cues["cue"])  # letters_only
