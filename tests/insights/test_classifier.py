"""Training, prediction and evaluation: the library and `gridgov classify`."""

import csv
import json
import shutil

import pytest
from django.core.management import CommandError, call_command

from gridgov.insights import classifier as clf

from .conftest import corpus_rows, write_csv


def read_rows(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_train_writes_a_versioned_model_with_metrics_and_fingerprint(small_model_dir):
    meta = json.loads((small_model_dir / "model.json").read_text(encoding="utf-8"))
    assert meta["format"] == clf.FORMAT and meta["format_version"] == clf.FORMAT_VERSION
    assert len(meta["labels"]) == 7
    assert len(meta["fingerprint"]) == 64
    assert meta["metrics"]["macro_f1"] > 0.6  # 3-fold out-of-fold, small data
    assert set(meta["metrics"]["by_kind"]) == {"title", "body", "whole"}
    assert meta["temperature"] > 0
    assert sorted(p.name for p in small_model_dir.iterdir()) == ["arrays.npz", "model.json"]


def test_the_fingerprint_follows_the_data_not_the_order(small_corpus):
    a = clf.read_labelled([small_corpus])
    b = clf.read_labelled(sorted(small_corpus.iterdir(), reverse=True))
    assert a.fingerprint() == b.fingerprint()
    b.examples.pop()
    assert a.fingerprint() != b.fingerprint()


def test_scores_are_calibrated_probabilities(small_model_dir):
    model = clf.TextClassifier.load(small_model_dir)
    top = model.top("孩子上幼儿园收费太高，学校乱收费", n=3)
    assert len(top) == 3
    assert top[0][0] == "教育文体"
    assert 0 < top[2][1] <= top[1][1] <= top[0][1] <= 1
    proba = model.predict_proba(["公交车站", "医院看病难"])
    assert proba.sum(axis=1) == pytest.approx([1, 1])


def test_cli_train_predict_evaluate(small_corpus, tmp_path, capsys):
    out = tmp_path / "model"
    call_command("classify", "train", "--input", str(small_corpus), "--out", str(out))
    assert (out / "model.json").exists()
    rows = corpus_rows("messages", 60)
    source = write_csv(tmp_path / "in.csv", rows, ["message_id", "title", "body", "label"])
    target = tmp_path / "out.csv"
    call_command(
        "classify", "predict", "--model", str(out), "--input", str(source), "--output", str(target)
    )
    written = read_rows(target)
    assert len(written) == 60
    assert list(written[0]) == ["message_id", "title", "body", "label", "predicted", "score"]
    assert sum(r["predicted"] == r["label"] for r in written) >= 45
    assert all(0 < float(r["score"]) <= 1 for r in written)
    capsys.readouterr()
    call_command("classify", "evaluate", "--model", str(out), "--input", str(source))
    report = capsys.readouterr().out
    assert "accuracy:" in report and "macro-F1:" in report
    for label in ("城乡建设", "教育文体", "卫生计生"):
        assert label in report


def test_predict_uses_title_or_body_alone(small_model_dir, tmp_path):
    source = write_csv(
        tmp_path / "titles.csv",
        [{"title": "出租车拒载，司机态度恶劣"}, {"title": "hello"}, {"title": ""}],
        ["title"],
    )
    target = tmp_path / "out.csv"
    call_command(
        "classify",
        "predict",
        "--model",
        str(small_model_dir),
        "--input",
        str(source),
        "--output",
        str(target),
    )
    rows = read_rows(target)
    assert rows[0]["predicted"] == "交通运输"
    # Without Chinese text there is nothing to classify: left empty, not a crash.
    assert rows[1]["predicted"] == "" and rows[1]["score"] == "0.0000"
    assert rows[2]["predicted"] == ""


def test_evaluate_with_cross_validation(small_corpus, small_model_dir, capsys):
    call_command(
        "classify",
        "evaluate",
        "--model",
        str(small_model_dir),
        "--input",
        str(small_corpus / "titles.csv"),
        "--cv",
        "3",
    )
    out = capsys.readouterr().out
    assert "3-fold CV" in out and "macro-F1 (3-fold CV): titles.csv" in out


# --- bad input ----------------------------------------------------------------------------


def test_a_csv_without_the_needed_columns_is_refused(tmp_path):
    source = write_csv(
        tmp_path / "x.csv", [{"text": "小区", "label": "城乡建设"}], ["text", "label"]
    )
    with pytest.raises(CommandError, match="needs a 'label' column and a 'title' and/or 'body'"):
        call_command("classify", "train", "--input", str(source), "--out", str(tmp_path / "m"))
    assert not (tmp_path / "m").exists()


def test_predict_refuses_a_csv_without_text_columns(small_model_dir, tmp_path):
    source = write_csv(tmp_path / "x.csv", [{"text": "小区"}], ["text"])
    with pytest.raises(CommandError, match="needs a 'title' and/or 'body' column"):
        call_command(
            "classify",
            "predict",
            "--model",
            str(small_model_dir),
            "--input",
            str(source),
            "--output",
            str(tmp_path / "o.csv"),
        )
    assert not (tmp_path / "o.csv").exists()


def test_empty_or_non_chinese_training_data_is_refused(tmp_path):
    source = write_csv(
        tmp_path / "x.csv",
        [{"title": "", "label": "城乡建设"}, {"title": "hello world", "label": "教育文体"}],
        ["title", "label"],
    )
    with pytest.raises(CommandError, match="No labelled text to train on"):
        call_command("classify", "train", "--input", str(source), "--out", str(tmp_path / "m"))
    assert list(tmp_path.iterdir()) == [source]


def test_missing_files_and_folders_are_named(tmp_path):
    with pytest.raises(CommandError, match="no such file or folder"):
        call_command(
            "classify", "train", "--input", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "m")
        )
    (tmp_path / "empty").mkdir()
    with pytest.raises(CommandError, match="no CSV file in this folder"):
        call_command(
            "classify", "train", "--input", str(tmp_path / "empty"), "--out", str(tmp_path / "m")
        )


def test_a_label_never_seen_is_a_clear_error(small_model_dir, tmp_path):
    source = write_csv(
        tmp_path / "x.csv", [{"title": "派出所办户口太慢", "label": "政法"}], ["title", "label"]
    )
    with pytest.raises(CommandError, match="Labels the model never saw in training: 政法"):
        call_command(
            "classify", "evaluate", "--model", str(small_model_dir), "--input", str(source)
        )


def test_a_model_folder_of_another_format_version_is_refused(small_model_dir, tmp_path):
    import shutil

    other = tmp_path / "old"
    shutil.copytree(small_model_dir, other)
    meta = json.loads((other / "model.json").read_text(encoding="utf-8"))
    meta["format_version"] = 99
    (other / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(
        CommandError, match="model format version 99, but this gridgov reads version 1"
    ):
        call_command("classify", "evaluate", "--model", str(other), "--input", str(other))
    with pytest.raises(CommandError, match="not a model folder"):
        call_command("classify", "evaluate", "--model", str(tmp_path), "--input", str(other))


def test_a_failed_training_leaves_the_previous_model_untouched(
    small_corpus, small_model_dir, tmp_path, monkeypatch
):
    import shutil

    out = tmp_path / "model"
    shutil.copytree(small_model_dir, out)
    before = (out / "model.json").read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(clf.np, "savez_compressed", broken)
    with pytest.raises(OSError, match="disk full"):
        clf.train([small_corpus / "titles.csv"], out)
    assert (out / "model.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no temporary folder left


def test_retraining_replaces_the_folder_whole(small_corpus, tmp_path):
    out = tmp_path / "model"
    clf.train([small_corpus / "titles.csv"], out)
    first = json.loads((out / "model.json").read_text())["fingerprint"]
    clf.train([small_corpus], out)
    assert json.loads((out / "model.json").read_text())["fingerprint"] != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_training_never_replaces_a_folder_that_is_not_a_model(small_corpus, tmp_path):
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    (data_dir / "gridgov.sqlite3").write_text("precious")
    with pytest.raises(CommandError, match="exists and is not a model folder"):
        call_command("classify", "train", "--input", str(small_corpus), "--out", str(data_dir))
    assert (data_dir / "gridgov.sqlite3").read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["var"]


def test_nbsvm_trains_and_predicts_with_two_labels_like_the_plain_svm():
    texts = ["公交车站太远", "公交线路调整", "医院看病难", "医院收费高", "公交车晚点", "医院排队久"]
    labels = ["交通运输", "交通运输", "卫生计生", "卫生计生", "交通运输", "卫生计生"]
    model = clf.TextClassifier.fit(texts, labels, calibrate=False)
    assert model.meta["params"]["nb"] is True
    assert model.coef.shape == (2, len(model.vectorizer.vocab))
    assert [label for label, _s in model.predict(["公交车站", "医院看病"])] == labels[:1] + labels[
        2:3
    ]
    plain = clf.TextClassifier.fit(texts, labels, {"nb": False}, calibrate=False)
    assert plain.coef.shape == model.coef.shape


def test_a_model_saved_without_the_nb_parameter_is_read_as_a_plain_svm(small_model_dir, tmp_path):
    folder = tmp_path / "old"
    shutil.copytree(small_model_dir, folder)
    meta_file = folder / "model.json"
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    del meta["params"]["nb"]
    meta_file.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    model = clf.TextClassifier.load(folder)
    assert model.meta["params"]["nb"] is False


@pytest.mark.django_db(transaction=True)
def test_two_trainings_at_once_keep_their_own_folders(
    settings, tmp_path, small_corpus, monkeypatch
):
    """Both took the next version number; the second replaced the first's folder (perhaps
    the model in use) and then failed on the version's unique number (the review)."""
    from pathlib import Path

    from gridgov.insights import classifier as clf
    from gridgov.insights import training
    from gridgov.insights.models import ModelVersion

    settings.DATA_DIR = tmp_path
    real, started = clf.train, []

    def train(paths, out, **kw):  # a second retrain starts while this one trains
        if not started:
            started.append(out)
            training.retrain(paths=[small_corpus], limit=150, note="second")
        return real(paths, out, **kw)

    monkeypatch.setattr(clf, "train", train)
    training.retrain(paths=[small_corpus], note="first")
    rows = list(ModelVersion.objects.order_by("version"))
    assert [r.note for r in rows] == ["first", "second"] and rows[0].path != rows[1].path
    for row in rows:  # each row describes the model in its folder
        on_disk = json.loads(Path(row.path, "model.json").read_text())
        assert on_disk["fingerprint"] == row.fingerprint
