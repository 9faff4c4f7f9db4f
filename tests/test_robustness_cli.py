"""Exit codes CI can trust, output safety and encodings through the CLI (issue 15)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from nlperr.cli import EXIT_INTERNAL, main  # noqa: E402

NER = "callable:_adapters_helpers:capital_spans"
CLS = "callable:_adapters_helpers:length_label"
LATIN1_CONLL = "Caf\xe9\tB-LOC\nopens\tO\n\n".encode("latin-1")


def _run(capsys, *argv):
    rc = main([str(a) for a in argv])
    return rc, capsys.readouterr().err


# -- exit codes ---------------------------------------------------------------------------------
@pytest.mark.parametrize("exc, code, pattern", [
    (RuntimeError("boom"), EXIT_INTERNAL, r"internal error: RuntimeError: boom.*bug in nlperr"),
    (KeyError("k"), EXIT_INTERNAL, r"internal error: KeyError"),
    (PermissionError(13, "Permission denied", "/data/x.conll"), 2,
     r"error: Permission denied: '/data/x.conll'"),
    (IsADirectoryError(21, "Is a directory", "/data"), 2, r"error: Is a directory: '/data'"),
    (OSError(28, "No space left on device"), 2, r"No space left on device"),
    (MemoryError(), 2, r"out of memory"),
    (UnicodeDecodeError("utf-8", b"\xe9", 0, 1, "invalid continuation byte"), 2,
     r"not valid utf-8.*--encoding"),
])
def test_exceptions_map_to_exit_codes(monkeypatch, tmp_path, capsys, exc, code, pattern):
    import nlperr.cli.suite as suite_cli

    def fail(args):
        raise exc

    monkeypatch.setattr(suite_cli, "_list", fail)
    monkeypatch.setenv("NLPERR_LOG_DIR", str(tmp_path / "logs"))
    rc, err = _run(capsys, "suite", "list")
    assert rc == code
    assert __import__("re").search(pattern, err, flags=__import__("re").S), err
    assert "Traceback" not in err
    logs = sorted((tmp_path / "logs").glob("nlperr-crash-*.log")) if code == EXIT_INTERNAL else []
    if code == EXIT_INTERNAL:
        assert len(logs) == 1 and str(logs[0]) in err
        text = logs[0].read_text(encoding="utf-8")
        assert "Traceback" in text and "fail" in text and "argv: ['suite', 'list']" in text


def test_keyboard_interrupt_is_130(monkeypatch, capsys):
    import nlperr.cli.suite as suite_cli

    def stop(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(suite_cli, "_list", stop)
    assert _run(capsys, "suite", "list")[0] == 130


def test_internal_error_in_a_subprocess_exits_3_with_a_log(tmp_path):
    """A real process: status 3, a short message, the traceback only in the log."""
    code = ("import sys, nlperr.cli.suite as s\n"
            "s._list = lambda a: 1 / 0\n"
            "from nlperr.cli import main\nsys.exit(main(['suite', 'list']))\n")
    env = dict(os.environ, NLPERR_LOG_DIR=str(tmp_path))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode == 3
    assert "ZeroDivisionError" in r.stderr and "Traceback" not in r.stderr
    assert len(list(tmp_path.glob("nlperr-crash-*.log"))) == 1


def test_latin1_conll_exits_2_naming_line_and_encoding(tmp_path, capsys):
    src = tmp_path / "latin1.conll"
    src.write_bytes(LATIN1_CONLL)
    rc, err = _run(capsys, "predict", "--model", NER, "--input", src, "--output",
                   tmp_path / "out.conll", "--no-cache", "--no-progress")
    assert rc == 2
    assert "latin1.conll:1" in err and "--encoding" in err and "bytes e9" in err
    assert "Traceback" not in err and not (tmp_path / "out.conll").exists()
    rc, err = _run(capsys, "analyze", "ner", "--gold", src, "--pred", src, "--out", tmp_path / "a")
    assert rc == 2 and "latin1.conll:1" in err


def test_latin1_conll_subprocess_exit_status(tmp_path):
    src = tmp_path / "latin1.conll"
    src.write_bytes(LATIN1_CONLL)
    r = subprocess.run([sys.executable, "-m", "nlperr", "analyze", "ner", "--gold", str(src),
                        "--out", str(tmp_path / "o")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "E030" in r.stderr and "Traceback" not in r.stderr


# -- encodings on the commands this issue owns ----------------------------------------------------
def test_ocr_stats_encoding_option(tmp_path, capsys):
    doc = tmp_path / "doc.txt"
    doc.write_bytes("Le caf\xe9 \xe9tait ferm\xe9.\r\n".encode("latin-1"))
    rc, err = _run(capsys, "ocr", "stats", doc, "--out", tmp_path / "o1", "--no-progress")
    assert rc == 2 and "doc.txt:1" in err and "--encoding cp1252" in err
    rc, err = _run(capsys, "ocr", "stats", doc, "--out", tmp_path / "o2", "--no-progress",
                   "--encoding", "latin-1")
    assert rc == 0, err
    rc, err = _run(capsys, "ocr", "stats", doc, "--out", tmp_path / "o3", "--no-progress",
                   "--encoding-errors", "replace")
    assert rc == 0 and "W030" in err and "3 byte sequence" in err
    rc, err = _run(capsys, "ocr", "stats", doc, "--out", tmp_path / "o4", "--encoding", "nope")
    assert rc == 2 and "E031" in err


def test_suite_run_and_generate_encoding_option(tmp_path, capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    data = tmp_path / "data.txt"
    data.write_bytes("Der Kaffee war gro\xdfartig.\nSehr sch\xf6n.\n".encode("latin-1"))
    suite = tmp_path / "s.yaml"
    suite.write_bytes(("name: s\ntask: classification\nlabels: [a, b]\n"
                       "description: caf\xe9\ntests:\n  - {name: t, type: INV, perturbation: typo, "
                       "min_pass_rate: 0.0}\n").encode("latin-1"))
    rc, err = _run(capsys, "suite", "run", suite, "--model", CLS, "--data", data, "--no-cache")
    assert rc == 2 and "s.yaml:4" in err and "E030" in err
    rc, err = _run(capsys, "suite", "run", suite, "--model", CLS, "--data", data, "--no-cache",
                   "--encoding", "latin-1", "--quiet", "--min-cases", "0")  # two sentences
    assert rc == 0, err
    out = tmp_path / "cases.jsonl"
    rc, err = _run(capsys, "suite", "generate", suite, "--data", data, "--out", out,
                   "--encoding", "latin-1")
    assert rc == 0 and "großartig" in out.read_text(encoding="utf-8")


# -- output safety ------------------------------------------------------------------------------
def test_existing_output_file_needs_overwrite(tmp_path, capsys):
    src = tmp_path / "in.conll"
    src.write_text("Anna\tB-PER\n\n", encoding="utf-8")
    out = tmp_path / "out.conll"
    out.write_text("mine\n", encoding="utf-8")
    args = ["predict", "--model", NER, "--input", src, "--output", out, "--no-cache",
            "--no-progress"]
    rc, err = _run(capsys, *args)
    assert rc == 2 and "E040" in err and "--overwrite" in err
    assert out.read_text(encoding="utf-8") == "mine\n"
    assert _run(capsys, *args, "--overwrite")[0] == 0
    assert "B-CAP" in out.read_text(encoding="utf-8")
    # the input itself is never an output, with or without --overwrite
    rc, err = _run(capsys, "predict", "--model", NER, "--input", src, "--output", src,
                   "--no-cache", "--overwrite")
    assert rc == 2 and "E043" in err and src.read_text(encoding="utf-8") == "Anna\tB-PER\n\n"


def test_predict_output_mode_follows_the_umask(tmp_path, capsys):
    src = tmp_path / "in.conll"
    src.write_text("Anna\tB-PER\n\n", encoding="utf-8")
    old = os.umask(0o022)
    try:
        for fmt, name in (("conll", "o.conll"), ("csv", "o.csv")):
            if fmt == "csv":
                src = tmp_path / "in.csv"
                src.write_text("text,label\nhi,a\n", encoding="utf-8")
            out = tmp_path / name
            rc, err = _run(capsys, "predict", "--model", NER if fmt == "conll" else CLS,
                           "--input", src, "--output", out, "--no-cache", "--no-progress")
            assert rc == 0, err
            assert stat.S_IMODE(out.stat().st_mode) == 0o644
        assert not list(tmp_path.glob(".*.part"))
    finally:
        os.umask(old)


def test_output_folder_rules(tmp_path, capsys):
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("Tbe cat||@@||The cat\n", encoding="utf-8")
    base = ["ocr", "compare", "--pairs", pairs, "--no-progress"]
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "holiday.jpg").write_bytes(b"\xff\xd8")
    rc, err = _run(capsys, *base, "--out", foreign)
    assert rc == 2 and "E044" in err and "holiday.jpg" in err
    assert _run(capsys, *base, "--out", foreign, "--overwrite")[0] == 0
    assert (foreign / "holiday.jpg").read_bytes() == b"\xff\xd8"  # nothing else touched
    out = tmp_path / "report"
    assert _run(capsys, *base, "--out", out)[0] == 0
    assert _run(capsys, *base, "--out", out)[0] == 0  # nlperr's own folder: re-run is fine
    rc, err = _run(capsys, *base, "--out", pairs)
    assert rc == 2 and ("E041" in err or "E043" in err)
    # inside an input folder
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("some text\n", encoding="utf-8")
    rc, err = _run(capsys, "ocr", "stats", docs, "--out", docs / "stats", "--no-progress")
    assert rc == 2 and "E043" in err and "inside" in err
    assert not (docs / "stats").exists()


def test_read_only_output_location(tmp_path, capsys, monkeypatch):
    import nlperr.cli._output as out_mod

    pairs = tmp_path / "pairs.txt"
    pairs.write_text("Tbe cat||@@||The cat\n", encoding="utf-8")
    ro = tmp_path / "ro"
    ro.mkdir()
    real_access = os.access
    # root may write anywhere: simulate a read-only folder where chmod would not be enough
    monkeypatch.setattr(out_mod.os, "access",
                        lambda p, mode: False if Path(p) == ro else real_access(p, mode))
    rc, err = _run(capsys, "ocr", "compare", "--pairs", pairs, "--out", ro / "x", "--no-progress")
    assert rc == 2 and "E042" in err and "read-only" in err
    rc, err = _run(capsys, "ocr", "compare", "--pairs", pairs, "--out", pairs / "x")
    assert rc == 2 and "E042" in err and "is a file" in err


def test_a_crashing_user_model_is_named_as_the_origin(tmp_path, capsys, monkeypatch):
    (tmp_path / "brokenmodel.py").write_text("def predict(texts):\n    return 1 / 0\n",
                                             encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("NLPERR_LOG_DIR", str(tmp_path / "logs"))
    src = tmp_path / "in.csv"
    src.write_text("text,label\nhi,a\n", encoding="utf-8")
    rc, err = _run(capsys, "predict", "--model", "callable:brokenmodel:predict", "--input", src,
                   "--output", tmp_path / "o.csv", "--no-cache", "--no-progress")
    assert rc == EXIT_INTERNAL
    assert "ZeroDivisionError" in err and "brokenmodel.py:2" in err and "your code" in err
    assert not (tmp_path / "o.csv").exists()


def test_output_checks_see_through_links(tmp_path):
    from nlperr.cli._output import check_output_dir, check_output_file
    from nlperr.errors import InputError

    src = tmp_path / "in.conll"
    src.write_text("x\tO\n", encoding="utf-8")
    hard = tmp_path / "hard.conll"
    os.link(src, hard)
    with pytest.raises(InputError, match=r"E043.*the same path as"):
        check_output_file(hard, inputs=[src], overwrite=True)
    soft = tmp_path / "soft.conll"
    soft.symlink_to(src)
    with pytest.raises(InputError, match="E043"):
        check_output_file(soft, inputs=[src], overwrite=True)
    data = tmp_path / "data"
    data.mkdir()
    link = tmp_path / "link"
    link.symlink_to(data)
    with pytest.raises(InputError, match=r"E043.*inside"):
        check_output_dir(link / "out", inputs=[data])
    assert check_output_file(tmp_path / "new" / "deeper" / "o.conll", inputs=[src]) is not None
    assert check_output_file(None) is None


def test_latin1_conll_reads_right_with_its_encoding(tmp_path):
    from nlperr.io import read_conll

    src = tmp_path / "latin1.conll"
    src.write_bytes(LATIN1_CONLL)
    ex = read_conll(src, encoding="latin-1")[0]
    assert ex.text == "Café opens" and ex.spans[0].label == "LOC"
