"""A user's own data (a CSV folder through `source: hub` + `path`): every bad input is one line naming the task, the
file or split and the fix, before anything is written; good data prepares as before."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workflow_runs import task_entry

from ftgeom.assets.checks import DataError
from ftgeom.assets.prepare import prepare_task

GOOD = [(f"{text} number {i}", label) for i in range(10)
        for text, label in (("a fine film", 1), ("a dull film", 0), ("great acting", 1), ("weak plot", 0))]


def _folder(tmp_path, train, test=None, header=("sentence", "label")):
    folder = tmp_path / "csv"
    folder.mkdir()
    for split, rows in (("train", train), ("test", GOOD[:8] if test is None else test)):
        pd.DataFrame(rows, columns=list(header)).to_csv(folder / f"{split}.csv", index=False)
    return folder


def _spec(folder, kind="binary", label="label"):
    return {"source": "hub", "hub": {"path": str(folder), "text": "sentence", "label": label, "kind": kind,
                                     "test_split": "test"}, "splits": {"validation_fraction": 0.2}}


def _refused(tmp_path, spec, *needles):
    out = tmp_path / "out"
    with pytest.raises(DataError) as err:
        prepare_task("mine", task_entry(spec), 0, out)
    message = str(err.value)
    assert "\n" not in message and message.startswith("task mine:"), message
    for needle in needles:
        assert needle in message, message
    assert not out.exists() and not list(tmp_path.glob(".out*")), "nothing is written"
    return message


def test_good_csv_folder_prepares(tmp_path):
    info = prepare_task("mine", task_entry(_spec(_folder(tmp_path, GOOD))), 0, tmp_path / "out")
    assert info["num_labels"] == 2 and info["sizes"]["test"] == 8 and info["sizes"]["train"] > 0


def test_a_header_without_rows_names_the_file(tmp_path):
    folder = _folder(tmp_path, [])
    _refused(tmp_path, _spec(folder), str(folder / "train.csv"), "a header and no rows")


def test_a_missing_label_column_lists_the_columns_found(tmp_path):
    folder = _folder(tmp_path, GOOD, header=("sentence", "target"))
    _refused(tmp_path, _spec(folder), "no column 'label'", "columns found: sentence, target")


def test_labels_mixing_words_and_numbers_are_named(tmp_path):
    folder = _folder(tmp_path, GOOD[:-1] + [("odd one", "pos")])
    _refused(tmp_path, _spec(folder), "mixes numbers and words", "'pos'", "class index")


def test_a_class_count_that_disagrees_with_the_kind(tmp_path):
    folder = _folder(tmp_path, GOOD + [(f"so so {i}", 2) for i in range(8)])
    _refused(tmp_path, _spec(folder), "kind 'binary' needs 2 classes", "has 3")


def test_a_label_seen_only_in_test(tmp_path):
    folder = _folder(tmp_path, [r for r in GOOD], test=GOOD[:6] + [("new", 3)] * 2)
    _refused(tmp_path, _spec(folder), "label 3 occurs in split", "never in training")


def test_a_nan_regression_target_is_counted_with_its_first_row(tmp_path):
    rows = [(t, float(i % 5)) for i, (t, _) in enumerate(GOOD)]
    rows[7] = (rows[7][0], np.nan)
    folder = _folder(tmp_path, rows, test=[(t, 1.0) for t, _ in GOOD[:8]])
    _refused(tmp_path, _spec(folder, kind="regression"), "1 regression target(s) that are not finite", "row 7")


def test_empty_text_is_refused(tmp_path):
    folder = _folder(tmp_path, GOOD[:-1] + [("   ", 1)])
    _refused(tmp_path, _spec(folder), "empty text")


def test_duplicates_across_splits_are_a_warning_with_the_count(tmp_path, capsys):
    folder = _folder(tmp_path, GOOD, test=GOOD[:8])  # the test rows repeat training rows
    prepare_task("mine", task_entry(_spec(folder)), 0, tmp_path / "out")
    err = capsys.readouterr().err
    assert "warning: task mine:" in err and "also occur in training" in err


def test_images_of_two_sizes_are_refused():
    from ftgeom.assets import checks

    frame = pd.DataFrame({"image": [np.zeros((8, 8, 1), np.uint8), np.zeros((8, 8, 3), np.uint8)], "label": [0, 1]})
    with pytest.raises(DataError, match="2 sizes/modes"):
        checks.images("mine", {"train": frame})


def test_a_split_with_one_regression_target_is_refused(tmp_path):
    rows = [(t, float(i % 5)) for i, (t, _) in enumerate(GOOD)]
    folder = _folder(tmp_path, rows, test=[(t, 2.0) for t, _ in GOOD[:8]])
    _refused(tmp_path, _spec(folder, kind="regression"), "every regression target of split", "is 2", "undefined")
