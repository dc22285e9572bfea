"""Bad input to `gridgov classify` and `gridgov hotissues`: clear errors, no crash, no model."""

import codecs
import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from gridgov.insights import classifier as clf

TINY = [
    ("交通运输", "公交车太挤了"),
    ("交通运输", "公交车不准时"),
    ("交通运输", "公交车站太远"),
    ("环境保护", "工厂排污严重"),
    ("环境保护", "河水发臭严重"),
    ("环境保护", "工厂噪音扰民"),
]


def write_text(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def tiny_csv(path, header="label,title"):
    lines = [header] + [f"{label},{title}" for label, title in TINY]
    return write_text(path, "\n".join(lines) + "\n")


def predict(model, source, tmp_path):
    """`gridgov classify predict` of `source` into tmp_path/out.csv; → the output's bytes."""
    target = tmp_path / "out.csv"
    call_command(
        "classify", "predict", "--model", str(model), "--input", str(source),
        "--output", str(target),
    )  # fmt: skip
    return target.read_bytes()


@pytest.fixture
def tiny_model(tmp_path):
    out = tmp_path / "model"
    call_command(
        "classify", "train", "--input", str(tiny_csv(tmp_path / "t.csv")), "--out", str(out)
    )
    return out


def test_predict_writes_a_csv_excel_reads_as_chinese(tiny_model, tmp_path):
    """Excel (BOM-less) reads the predictions in the local code page: 交通运输 garbled."""
    source = write_text(tmp_path / "in.csv", "\ufeff标号,title\n1,公交车太挤了\n")
    raw = predict(tiny_model, source, tmp_path)
    assert raw.startswith(codecs.BOM_UTF8) and raw.count(codecs.BOM_UTF8) == 1
    [row] = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert row["标号"] == "1" and row["predicted"] == "交通运输"


def test_predict_keeps_a_bom_less_input_bom_less(tiny_model, tmp_path):
    """The CLI contract: a program's CSV (no BOM) comes back with its first column named
    as it was (a BOM would make csv.DictReader call it '\ufeffmessage_id')."""
    source = write_text(tmp_path / "in.csv", "message_id,title\nm1,公交车太挤了\n")
    raw = predict(tiny_model, source, tmp_path)
    [row] = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert row["message_id"] == "m1" and row["predicted"] == "交通运输"


def test_gb18030_csvs_as_excel_saves_them_train_and_predict(tmp_path):
    """Excel and WPS on a Chinese Windows save "CSV" in GB18030 (GBK): read, and the
    predictions go back with a BOM, which those programs need to read UTF-8."""
    lines = ["label,title"] + [f"{label},{title}" for label, title in TINY]
    source = tmp_path / "gbk.csv"
    source.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    out = tmp_path / "model"
    call_command("classify", "train", "--input", str(source), "--out", str(out))
    assert json.loads((out / "model.json").read_text(encoding="utf-8"))["examples"] == len(TINY)
    held = tmp_path / "held.csv"
    held.write_bytes("编号,title\r\n1,公交车太挤了\r\n".encode("gb18030"))
    raw = predict(out, held, tmp_path)
    assert raw.startswith(codecs.BOM_UTF8)
    [row] = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert row["编号"] == "1" and row["predicted"] == "交通运输"


def test_bytes_of_no_known_encoding_are_refused_and_no_model_written(tmp_path):
    source = tmp_path / "bad.csv"
    source.write_bytes(b"label,title\n\x80\x80,\xff\xff\n")
    out = tmp_path / "model"
    with pytest.raises(CommandError, match="not a UTF-8 or GB18030 CSV file"):
        call_command("classify", "train", "--input", str(source), "--out", str(out))
    assert not out.exists()


# 1. column names with spaces around them ------------------------------------------------------


def test_train_reads_a_header_with_spaces(tmp_path, capsys):
    source = tiny_csv(tmp_path / "sp.csv", header="label, title")
    out = tmp_path / "m"
    call_command("classify", "train", "--input", str(source), "--out", str(out))
    meta = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert meta["examples"] == len(TINY)
    assert meta["labels"] == ["交通运输", "环境保护"]


def test_predict_reads_a_header_with_spaces(tiny_model, tmp_path, capsys):
    source = write_text(tmp_path / "in.csv", "id, title,label\n1,公交车太挤了,交通运输\n")
    raw = predict(tiny_model, source, tmp_path)
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows == [
        {"id": "1", "title": "公交车太挤了", "label": "交通运输", "predicted": "交通运输",
         "score": rows[0]["score"]}
    ]  # fmt: skip
    assert float(rows[0]["score"]) > 0
    assert "no Chinese" not in capsys.readouterr().err


def test_hotissues_reads_a_header_with_spaces(tmp_path, capsys):
    source = write_text(
        tmp_path / "m.csv",
        "message_id, title, body, time\n"
        "1,伊景园滨河苑捆绑销售车位,开发商强制捆绑,2019/7/1 9:00\n"
        "2,伊景园滨河苑捆绑销售车位,开发商强制捆绑,2019/7/2 9:00\n",
    )
    call_command("hotissues", "--input", str(source))
    printed = capsys.readouterr()
    assert "2 messages → 1 clusters" in printed.out
    assert "伊景园滨河苑" in printed.out


# 2. too little text for any feature -------------------------------------------------------------


def test_train_on_text_sharing_no_character_is_a_clear_error(tmp_path):
    source = write_text(tmp_path / "d.csv", "label,title\n交通运输,公交\n环境保护,河水\n")
    out = tmp_path / "m"
    with pytest.raises(CommandError, match="Too little text"):
        call_command("classify", "train", "--input", str(source), "--out", str(out))
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["d.csv"]  # no temporary folder left


# 3. cross-validation with nothing to evaluate ------------------------------------------------------


def test_cv_without_enough_rows_per_class_is_a_clear_error(tiny_model, tmp_path, capsys):
    source = tiny_csv(tmp_path / "few.csv")
    with pytest.raises(CommandError, match="Nothing to cross-validate"):
        call_command(
            "classify", "evaluate", "--model", str(tiny_model), "--input", str(source),
            "--cv", "5",
        )  # fmt: skip
    printed = capsys.readouterr()
    assert "skipped few.csv: fewer than 5 rows" in printed.err
    assert "macro-F1" not in printed.out


def test_cv_reports_the_files_it_leaves_out(tmp_path):
    dataset = clf.Dataset(
        examples=[clf.Example(title, label, "title", "few.csv") for label, title in TINY]
    )
    skipped = []
    assert clf.cross_validate(dataset, folds=5, skipped=skipped) == {}
    assert skipped and skipped[0][0] == "few.csv"


# 4. a model folder missing a field ---------------------------------------------------------------


@pytest.mark.parametrize(
    "drop, named",
    [("labels", "labels"), ("temperature", "temperature"), ("params", "params"),
     ("params.ngram", "params.ngram")],
)  # fmt: skip
def test_a_model_missing_a_field_is_a_clear_error(tiny_model, tmp_path, drop, named):
    meta_file = tiny_model / "model.json"
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    if drop.startswith("params."):
        del meta["params"][drop.split(".", 1)[1]]
    else:
        del meta[drop]
    meta_file.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(clf.ClassifierError, match=f"lacks {named}"):
        clf.TextClassifier.load(tiny_model)
    source = write_text(tmp_path / "in.csv", "title\n公交车太挤了\n")
    with pytest.raises(CommandError, match=f"lacks {named}"):
        predict(tiny_model, source, tmp_path)
    assert not (tmp_path / "out.csv").exists()
