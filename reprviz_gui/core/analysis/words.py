"""Word tables: nearest neighbours of a word, and the nearest word of one kind (country) to each
word of another (capital).

Cosines are computed on unit-length vectors (as gensim's ``most_similar`` does); the bundled
capitals are unit-length already. A word's own row (and any other row with the same word) is
never its own neighbour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Optional, Sequence

import numpy as np

from ..errors import ReprvizError
from ..memory import check_fits
from ..progress import ProgressFn, StopFn, check_stop, report
from .similarity import _as_matrix, _normalised_rows

if TYPE_CHECKING:  # pragma: no cover
    from ..data.types import Dataset

# rows of queries scored at once by all_nearest_neighbours: bounds the (rows × N) block
_BLOCK_CELLS = 4_000_000


# --- the table ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class WordTable:
    """A word table's words and vectors and how its rows pair up.

    ``kinds``: each row's kind ("country", "capital"; the table's class names). ``query_kind``
    and ``target_kind``: the two kinds paired up (capital → country), None when the table has
    fewer than two kinds. ``groups``: each row's group (the ``country`` column: "france" for both
    france and paris), None when the table has no column naming the target kind.
    """

    words: tuple[str, ...]
    vectors: np.ndarray  # (N, D) float32, as loaded
    kinds: tuple[str, ...]
    query_kind: Optional[str]
    target_kind: Optional[str]
    groups: Optional[tuple[str, ...]]
    group_column: Optional[str] = None


def word_table(dataset: "Dataset") -> WordTable:
    """The ``WordTable`` of a word-table dataset (``dataset.words`` set).

    The kinds are a ``kind`` column when there is one, else the class names. The target kind is
    the kind a column is named after (capitals.csv's ``country`` column, holding each row's
    country); the other kind is the query. Without such a column: capital → country when both
    kinds exist, else the first two kinds in alphabetical order, and no groups.
    """
    if dataset.words is None:
        raise ReprvizError(f"Dataset {dataset.name!r} is not a word table (it has no words)")
    words = tuple(str(w) for w in dataset.words)
    vectors = _as_matrix(dataset.inputs(dataset.x_test), "word vectors")
    cols = {str(k).lower(): (str(k), v) for k, v in (dataset.columns or {}).items()}
    if "kind" in cols:
        kinds = tuple(str(k) for k in cols["kind"][1])
    else:
        kinds = tuple(str(dataset.class_names[int(y)]) for y in dataset.y_test)
    present = list(dict.fromkeys(kinds))  # order of first appearance
    query = target = None
    group_column = None
    for kind in present:
        if kind.lower() in cols and kind.lower() != "kind" and len(present) >= 2:
            target = kind
            query = next(k for k in present if k != kind)
            group_column = cols[kind.lower()][0]
            break
    if target is None:
        if {"capital", "country"} <= set(present):
            query, target = "capital", "country"
        elif len(present) >= 2:
            query, target = sorted(present)[:2]
    groups = None
    if target is not None and target.lower() in cols:
        group_column = cols[target.lower()][0]
        groups = tuple(str(g) for g in cols[target.lower()][1])
    return WordTable(words, vectors, kinds, query, target, groups, group_column)


# --- nearest neighbours ------------------------------------------------------------------------
def unit_vectors(vectors: Any) -> np.ndarray:
    """(N, D) float32 rows scaled to unit length (all-zero rows stay zero)."""
    return _normalised_rows(_as_matrix(vectors, "word vectors"))


def word_row(words: Sequence[str], query: str | int) -> int:
    """The row of ``query``: a row number, or a word (exact match first, then ignoring case)."""
    n = len(words)
    if isinstance(query, (int, np.integer)) and not isinstance(query, bool):
        row = int(query)
        if not -n <= row < n:
            raise ReprvizError(f"Row {row} is out of range: the table has {n:,} words")
        return row % n
    text = str(query).strip()
    for i, w in enumerate(words):
        if w == text:
            return i
    folded = [i for i, w in enumerate(words) if w.casefold() == text.casefold()]
    if folded:
        return folded[0]
    raise ReprvizError(f"No word {text!r} in the table ({n:,} words)")


def _excluded_rows(words: Sequence[str], exclude: Iterable[str | int]) -> set[int]:
    """Rows of the words (every row holding that word) and row numbers in ``exclude``."""
    wanted_words = set()
    rows: set[int] = set()
    for item in exclude:
        if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            rows.add(int(item) % len(words))
        else:
            wanted_words.add(str(item))
    if wanted_words:
        rows.update(i for i, w in enumerate(words) if w in wanted_words)
    return rows


def _top_k(sims: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest values of a 1-D array, largest first; ties: lower index
    first. Excluded entries must be -inf already and are never returned."""
    finite = np.isfinite(sims)
    k = min(int(k), int(finite.sum()))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k < len(sims) // 2:
        cand = np.argpartition(-sims, k - 1)[:k]
        # everything tied with the k-th value joins, so ties resolve by index, not by chance
        cand = np.flatnonzero(sims >= sims[cand].min())
    else:
        cand = np.flatnonzero(finite)
    order = np.lexsort((cand, -sims[cand]))
    return cand[order][:k].astype(np.int64)


def nearest_neighbours(vectors: Any, words: Sequence[str], query: str | int, k: int = 5,
                       exclude: Iterable[str | int] = ()) -> list[tuple[str, float]]:
    """The ``k`` words nearest ``query`` (a word or a row number) by cosine, nearest first, as
    ``(word, cosine)``. The query word itself (every row holding it) is left out, and so are
    the words or row numbers in ``exclude``. Ties keep table order."""
    arr = _as_matrix(vectors, "word vectors")
    words = [str(w) for w in words]
    if len(words) != len(arr):
        raise ReprvizError(f"{len(arr)} vectors but {len(words)} words")
    if k < 1:
        raise ReprvizError(f"k must be at least 1, not {k}")
    row = word_row(words, query)
    unit = _normalised_rows(arr)
    sims = (unit @ unit[row]).astype(np.float64)
    sims[list(_excluded_rows(words, [words[row], row, *exclude]))] = -np.inf
    return [(words[j], float(np.clip(sims[j], -1.0, 1.0))) for j in _top_k(sims, k)]


def all_nearest_neighbours(vectors: Any, words: Sequence[str], k: int = 5,
                           rows: Optional[Sequence[int]] = None,
                           on_progress: ProgressFn | None = None,
                           should_stop: StopFn | None = None) -> list[dict]:
    """For each row in ``rows`` (default: every row), its ``k`` nearest words among ALL rows:
    ``[{"word", "row", "neighbours": [{"word", "cosine"}, ...]}, ...]``, the same ranking as
    ``nearest_neighbours``. Scored in blocks, so a large vocabulary needs no N×N matrix."""
    arr = _as_matrix(vectors, "word vectors")
    words = [str(w) for w in words]
    n = len(arr)
    if len(words) != n:
        raise ReprvizError(f"{n} vectors but {len(words)} words")
    rows = list(range(n)) if rows is None else [int(r) % n for r in rows] if n else []
    unit = _normalised_rows(arr)
    same: dict[str, list[int]] = {}
    for i, w in enumerate(words):
        same.setdefault(w, []).append(i)
    block = max(1, _BLOCK_CELLS // max(n, 1))
    check_fits(min(block, max(len(rows), 1)) * max(n, 1) * 12, "nearest-neighbour scores")
    out: list[dict] = []
    for start in range(0, len(rows), block):
        chunk = rows[start:start + block]
        sims = (unit[chunk] @ unit.T).astype(np.float64)
        for r, row in enumerate(chunk):
            s = sims[r]
            s[same[words[row]]] = -np.inf
            out.append({"word": words[row], "row": row, "neighbours": [
                {"word": words[j], "cosine": float(np.clip(s[j], -1.0, 1.0))}
                for j in _top_k(s, k)]})
        check_stop(should_stop)
        report(on_progress, "analyse", (start + len(chunk)) / max(len(rows), 1),
               "Nearest neighbours…")
    return out


# --- nearest word of another kind ---------------------------------------------------------------
def nearest_by_group(vectors: Any, words: Sequence[str], kinds: Sequence[str],
                     query_kind: str = "capital", target_kind: str = "country",
                     groups: Optional[Sequence[str]] = None) -> list[dict]:
    """For each row of kind ``query_kind``, the nearest row of kind ``target_kind`` by cosine.

    Each dict has ``word``, ``nearest``, ``similarity`` and, when ``groups`` (e.g. the capitals'
    ``country`` column) is given, ``group``, ``own`` (is the nearest target in the word's own
    group), ``own_target``, ``own_similarity`` and ``own_rank`` (1 = nearest).
    """
    arr = _as_matrix(vectors, "word vectors")
    words = [str(w) for w in words]
    kinds = [str(k) for k in kinds]
    if not (len(words) == len(kinds) == len(arr)):
        raise ReprvizError(
            f"{len(arr)} vectors but {len(words)} words and {len(kinds)} kinds")
    if groups is not None:
        groups = [str(g) for g in groups]
        if len(groups) != len(arr):
            raise ReprvizError(f"{len(arr)} vectors but {len(groups)} group names")
    q_idx = np.array([i for i, k in enumerate(kinds) if k == query_kind], dtype=np.int64)
    t_idx = np.array([i for i, k in enumerate(kinds) if k == target_kind], dtype=np.int64)
    if len(q_idx) == 0 or len(t_idx) == 0:
        present = sorted(set(kinds))
        raise ReprvizError(
            f"Need rows of kind {query_kind!r} and {target_kind!r}; the table has "
            f"{', '.join(map(repr, present)) or 'no kinds'}")
    unit = _normalised_rows(arr)
    sims = unit[q_idx] @ unit[t_idx].T  # (Q, T) float32
    out: list[dict] = []
    for row, qi in enumerate(q_idx):
        best = int(np.argmax(sims[row]))
        entry: dict[str, Any] = {
            "word": words[qi],
            "nearest": words[t_idx[best]],
            "similarity": float(sims[row, best]),
        }
        if groups is not None:
            entry["group"] = groups[qi]
            entry["own"] = groups[t_idx[best]] == groups[qi]
            own = [j for j, ti in enumerate(t_idx) if groups[ti] == groups[qi]]
            if own:
                j = max(own, key=lambda jj: sims[row, jj])
                entry["own_target"] = words[t_idx[j]]
                entry["own_similarity"] = float(sims[row, j])
                entry["own_rank"] = int((sims[row] > sims[row, j]).sum()) + 1
            else:
                entry["own_target"] = None
                entry["own_similarity"] = None
                entry["own_rank"] = None
        out.append(entry)
    return out


def group_similarity_summary(vectors: Any, kinds: Sequence[str], groups: Sequence[str],
                             query_kind: str = "capital", target_kind: str = "country") -> dict:
    """Mean cosine of query–own-group target pairs and query–other-group target pairs."""
    arr = _normalised_rows(_as_matrix(vectors, "word vectors"))
    kinds = [str(k) for k in kinds]
    groups = np.asarray([str(g) for g in groups])
    q = np.array([k == query_kind for k in kinds])
    t = np.array([k == target_kind for k in kinds])
    sims = arr[q] @ arr[t].T
    own = groups[q][:, None] == groups[t][None, :]
    return {
        "mean_own": float(sims[own].mean()) if own.any() else None,
        "mean_other": float(sims[~own].mean()) if (~own).any() else None,
        "queries": int(q.sum()),
        "targets": int(t.sum()),
    }
