"""`nlperr attention` / `nlperr explain`, the figures and the self-contained page."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from _attention_helpers import save_sharp_seq_model

from nlperr import Example, Span
from nlperr.cli import main
from nlperr.io import write_jsonl
from nlperr.results import load


@pytest.fixture(scope="module")
def seq_folder(tmp_path_factory):
    return save_sharp_seq_model(tmp_path_factory.mktemp("seq"))


@pytest.fixture(scope="module")
def cls_file(tmp_path_factory):
    texts = ["good food and nice staff", "not good at all", "terrible, never again!",
             "I loved it", "the soup was cold", "great value", "not bad", "awful service"]
    path = tmp_path_factory.mktemp("data") / "cls.jsonl"
    write_jsonl([Example(t, label="pos" if i % 2 else "neg", id=f"r{i}")
                 for i, t in enumerate(texts)], path)
    return path


def _no_external(html: str) -> None:
    assert not re.search(r"https?://", html)
    assert "<link" not in html and "src='http" not in html and 'src="http' not in html


def test_attention_cli_writes_the_contract(seq_folder, cls_file, tmp_path, capsys):
    out = tmp_path / "att"
    rc = main(["attention", "--model", "hf:" + seq_folder, "--input", str(cls_file),
               "--gold", str(cls_file), "--batch-size", "3", "--out", str(out)])
    assert rc == 0
    heads = pd.read_csv(out / "heads.csv")
    assert len(heads) == 2 * 4
    assert {"layer", "head", "entropy", "cls_mass", "sep_mass", "self_mass", "prev_mass",
            "next_mass", "punct_mass", "special_mass", "mean_distance"} <= set(heads.columns)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["model"] == seq_folder and summary["examples"] == 8
    assert summary["layers"] == 2 and summary["heads"] == 4
    contrast = pd.read_csv(out / "contrast.csv")
    assert len(contrast) == 3 * 8 and contrast["rank"].tolist() == list(range(1, 25))
    assert (out / "heads_entropy.png").stat().st_size > 1000
    assert (out / "word_map.png").exists() and (out / "contrast_entropy.png").exists()
    html = (out / "index.html").read_text()
    _no_external(html)
    assert "data:image/png;base64," in html and "heads_entropy" in html
    back = load(out)
    assert back.summary == json.loads(json.dumps(back.summary))
    assert back.tables["heads"].shape == heads.shape
    assert "nlperr attention: 8 examples" in capsys.readouterr().out


def test_attention_cli_without_gold_and_errors(seq_folder, cls_file, tmp_path, capsys):
    out = tmp_path / "a2"
    assert main(["attention", "--model", "hf:" + seq_folder, "--input", str(cls_file),
                 "--max-examples", "3", "--rollout", "--out", str(out)]) == 0
    assert json.loads((out / "summary.json").read_text())["examples"] == 3
    assert not (out / "contrast.csv").exists()
    assert main(["attention", "--model", "callable:_attention_helpers:negation_sentiment",
                 "--input", str(cls_file), "--out", str(tmp_path / "x")]) == 2
    assert "E850" in capsys.readouterr().err
    assert main(["attention", "--model", "hf:" + seq_folder, "--input",
                 str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "y")]) == 2


def test_explain_cli_occlusion(tmp_path, capsys):
    gold = [Example("I sent it Friday to you", spans=(Span(10, 16, "DATE"),), id="m1"),
            Example("Sent: Monday", spans=(Span(6, 12, "DATE_SENT"),), id="m2"),
            Example("we sent the memo Tuesday", spans=(Span(17, 24, "DATE"),), id="m3")]
    path = tmp_path / "mail.jsonl"
    write_jsonl(gold, path)
    out = tmp_path / "ex"
    rc = main(["explain", "--model", "callable:_attention_helpers:date_tagger", "--input",
               str(path), "--out", str(out)])
    assert rc == 0
    words = pd.read_csv(out / "words.csv")
    assert words.iloc[0]["word"] == "sent" and words.iloc[0]["fixes"] == 4
    att = pd.read_csv(out / "attributions.csv")
    assert set(att["example_id"]) == {"m1", "m3"}
    html = (out / "index.html").read_text()
    _no_external(html)
    assert "attributions" in html and (out / "attributions.png").exists()
    assert "top words ['sent'" in capsys.readouterr().out


def test_explain_cli_integrated_gradients(seq_folder, cls_file, tmp_path):
    out = tmp_path / "ig"
    rc = main(["explain", "--model", "hf:" + seq_folder, "--input", str(cls_file),
               "--method", "integrated-gradients", "--steps", "16", "--cases", "all",
               "--max-examples", "3", "--out", str(out)])
    assert rc == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["method"] == "integrated-gradients" and s["steps"] == 16 and s["cases"] == 3
    cases = pd.read_csv(out / "cases.csv")
    assert cases["delta"].abs().max() < 0.05


def test_figures_draw_on_given_axes_and_check_columns(seq_folder):
    from matplotlib.figure import Figure

    from nlperr.attention import head_summary
    from nlperr.attention.figures import heads_heatmap

    res = head_summary("hf:" + seq_folder, [Example("Hello, world!")])
    fig = Figure()
    ax = fig.add_subplot()
    assert heads_heatmap(res, ax, column="sep_mass") is fig
    # the annotated numbers are the table's
    texts = sorted(t.get_text() for t in ax.texts)
    want = sorted(f"{v:.2f}" for v in res.heads["sep_mass"])
    assert texts == want
    with pytest.raises(Exception, match="E207"):
        heads_heatmap(res, column="nope")
    assert set(res.figures) == {"heads_entropy"}


def _same(a, b):
    assert a.summary == b.summary
    assert set(a.tables) == set(b.tables)
    for name in a.tables:
        x, y = a.tables[name].reset_index(drop=True), b.tables[name].reset_index(drop=True)
        assert list(x.columns) == list(y.columns), name
        for c in x.columns:
            xs, ys = x[c].tolist(), y[c].tolist()
            for u, v in zip(xs, ys):
                if u is None or (not isinstance(u, str) and pd.isna(u)):
                    assert v is None or (not isinstance(v, str) and pd.isna(v)), (name, c, v)
                elif isinstance(u, float):
                    assert v == pytest.approx(u, rel=1e-12, abs=1e-15), (name, c)
                else:
                    assert u == v, (name, c, u, v)


def test_results_round_trip(seq_folder, tmp_path):
    from nlperr.attention import inspect_attention
    from nlperr.explain import integrated_gradients, occlusion

    exs = [Example(t, label=lab, id=f"e{i}") for i, (t, lab) in enumerate(
        [("not bad", "pos"), ("great", "pos"), ("never good", "neg"), ("fine, fine", "pos")])]
    results = [inspect_attention("hf:" + seq_folder, exs, gold=exs, cache=False),
               occlusion("callable:_attention_helpers:negation_sentiment", exs, cache=False),
               integrated_gradients("hf:" + seq_folder, exs, steps=8, cases="all",
                                    cache=False)]
    for k, res in enumerate(results):
        res.save(tmp_path / str(k), formats=("json", "csv"))
        back = load(tmp_path / str(k))
        assert type(back) is type(res)
        _same(res, back)
