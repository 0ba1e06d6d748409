"""Products of word tables (capitals, GloVe, word2vec): the table with its capital → country
offsets and analogies ("words"), and the nearest neighbours of the one selected word
("neighbours").

Both come from the data alone (no model, ``per_session=False``) and run on the quick lane: the
analogies of the bundled 24 pairs take milliseconds. "neighbours" follows the shared selection
(``follows_selection``): click a word anywhere, or type it, and its neighbours are computed
from the unit vectors the "words" product already holds. Qt-free, like ``products.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..core.analysis.analogies import OffsetAnalysis
from ..core.progress import ProgressFn, StopFn
from .products import Product, ProductRequest
from .state import ResultTag, Session, Workspace

NEIGHBOURS_K = 10  # rows of the neighbour table


@dataclass(frozen=True)
class WordsResult:
    """A word table as the words view shows it."""

    tag: ResultTag
    words: tuple[str, ...]
    kinds: tuple[str, ...]  # each row's kind ("capital", "country")
    unit: np.ndarray  # (N, D) float32 unit-length rows: what neighbours are scored on
    offsets: Optional[OffsetAnalysis]  # None: the table has no two kinds to pair
    # (P,) each pair's mean cosine with the other pairs' offsets (how typical its offset is)
    pair_cosines: Optional[np.ndarray] = None
    note: str = ""


@dataclass(frozen=True)
class NeighboursResult:
    """The ``k`` nearest words of one word, nearest first."""

    tag: ResultTag
    row: int  # the query's row in the table (= its index in the test split)
    word: str
    rows: np.ndarray  # (k,) rows of the neighbours
    words: tuple[str, ...]
    cosines: np.ndarray  # (k,) float64


def is_word_table(ws: Workspace) -> bool:
    return ws.dataset is not None and ws.dataset.words is not None


def _words_params(ws: Workspace, s: Optional[Session]) -> Optional[dict]:
    return {} if is_word_table(ws) else None


def _words_why_not(ws: Workspace, s: Optional[Session]) -> str:
    if ws.dataset is None:
        return "Open a dataset"
    return ("Nearest neighbours and analogies are for word tables: open the bundled capitals, "
            "or a GloVe / word2vec text file")


def _compute_words(req: ProductRequest, on_progress: ProgressFn,
                   should_stop: StopFn) -> WordsResult:
    from ..core.analysis.analogies import table_offsets
    from ..core.analysis.words import unit_vectors, word_table

    table = word_table(req.dataset)
    offsets = table_offsets(table, on_progress, should_stop)
    note = ""
    if offsets is None:
        note = ("No analogies: the table needs two kinds of words and a column naming each "
                "word's group (like capitals.csv's country column).")
    elif offsets.notes:
        note = " ".join(offsets.notes)
    pair_cos = None
    if offsets is not None and len(offsets.pairs) >= 2:
        cos = offsets.offset_cosines.astype(np.float64)
        pair_cos = (cos.sum(axis=1) - np.diag(cos)) / (len(cos) - 1)
    return WordsResult(req.key.tag, table.words, table.kinds,
                       np.array(unit_vectors(table.vectors), dtype=np.float32, copy=True),
                       offsets, pair_cos, note)


def selected_word_row(ws: Workspace) -> Optional[int]:
    """The table row of the one selected word, else None (nothing or several selected)."""
    sel = ws.selection
    if not is_word_table(ws) or sel.split != "test" or sel.n != 1:
        return None
    row = int(sel.indices[0])
    return row if 0 <= row < len(ws.dataset.words) else None  # type: ignore[union-attr]


def _neighbours_params(ws: Workspace, s: Optional[Session]) -> Optional[dict]:
    row = selected_word_row(ws)
    return None if row is None else {"row": row, "k": NEIGHBOURS_K}


def _neighbours_why_not(ws: Workspace, s: Optional[Session]) -> str:
    if not is_word_table(ws):
        return _words_why_not(ws, s)
    if ws.selection.n > 1:
        return (f"{ws.selection.n} words are selected: click one word (or type it above) to see "
                "its nearest neighbours")
    return ("Click a word in the map, the heatmap or a table, or type it above, to see its "
            "nearest neighbours")


def _compute_neighbours(req: ProductRequest, on_progress: ProgressFn,
                        should_stop: StopFn) -> NeighboursResult:
    from ..core.analysis.words import nearest_neighbours

    words: WordsResult = req.inputs["words"]
    row = int(req.param("row"))
    found = nearest_neighbours(words.unit, words.words, row, k=int(req.param("k")))
    # a neighbour's row: the first row holding that word (the query's own rows are left out)
    first: dict[str, int] = {}
    for i, w in enumerate(words.words):
        first.setdefault(w, i)
    return NeighboursResult(req.key.tag, row, words.words[row],
                            np.array([first[w] for w, _ in found], dtype=np.int64),
                            tuple(w for w, _ in found),
                            np.array([c for _, c in found], dtype=np.float64))


WORDS_PRODUCT = Product("words", _words_params, _compute_words, lane="quick", per_session=False,
                        with_samples=False, busy="Finding analogies…", why_not=_words_why_not)
NEIGHBOURS_PRODUCT = Product("neighbours", _neighbours_params, _compute_neighbours, lane="quick",
                             per_session=False, with_samples=False, inputs=("words",),
                             busy="Finding neighbours…", why_not=_neighbours_why_not,
                             follows_selection=True)

# registered by catalog.load(), with every other module's
PRODUCTS = (WORDS_PRODUCT, NEIGHBOURS_PRODUCT)
