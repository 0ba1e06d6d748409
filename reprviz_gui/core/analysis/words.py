"""Word tables: the nearest word of one kind (country) to each word of another (capital)."""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from ..errors import ReprvizError
from .similarity import _as_matrix, _normalised_rows


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
