"""Noise-floor draws by permutation: random relabellings of the pooled human and simulated rows.

A noise floor answers: how far apart would the two datasets be if the
simulated rows came from the same population as the human ones? Under that
hypothesis the human and the simulated rows are exchangeable, so relabelling
the pooled rows at random (keeping each side's size) draws from the exact
distribution of any distance between them (a permutation test; Good 2005,
ch. 3). Resampling the human rows alone instead draws from the human
*sample*, whose empty bins make small groups look more alike than their
population is (a fresh human sample fell within that floor 86-92% of the time
instead of 95%).

The relabelling is stratified: within each stratum (every combination of the
breakdown variables' levels) the number of rows labelled human stays what it
is, so every subgroup keeps its sizes and one relabelling serves every
variable and every subgroup at once. That is what lets one family-wise
verdict be calibrated on the same draws (:mod:`validator.checks.joint_floor`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from validator.bootstrap.weights import chunk_size


def _text_codes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes of ``str(value)`` per row (-1: missing) and the text of each code."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        # The categories' text once, taken by code: no conversion per row.
        by_category, categories = pd.factorize(np.array([str(c) for c in values.cat.categories] + [""], dtype=object)[:-1])
        codes = values.cat.codes.to_numpy()
        return np.where(codes < 0, -1, by_category[np.maximum(codes, 0)] if by_category.size else -1), [str(t) for t in categories]
    if isinstance(values.dtype, pd.StringDtype):
        string_codes, strings = pd.factorize(values, use_na_sentinel=True)
        return np.asarray(string_codes, dtype=np.int64), [str(u) for u in strings]
    # str() per value: numpy's conversion to fixed-width text would drop trailing NUL characters.
    raw = values.to_numpy(dtype=object)
    missing = pd.isna(raw)
    text = np.array([None if gone else str(value) for value, gone in zip(raw, missing)] + [""], dtype=object)[:-1]
    text_codes, uniques = pd.factorize(text, use_na_sentinel=True)
    return np.asarray(text_codes, dtype=np.int64), [str(u) for u in uniques]


def text_codes(parts: Sequence[pd.Series]) -> tuple[np.ndarray, list[str]]:
    """Codes of ``str(value)`` over the rows of ``parts`` stacked in order (-1: missing), and each code's text.

    Two rows get the same code exactly when their values print the same, as
    comparing ``str(value)`` row by row would find (which took seconds on
    1,000,000 rows); categorical columns convert only their categories.
    """
    coded = [_text_codes(part) for part in parts]
    every = np.array([text for _, texts in coded for text in texts] + [""], dtype=object)[:-1]
    merged, texts = pd.factorize(every) if every.size else (np.zeros(0, dtype=np.int64), np.array([], dtype=object))
    out = []
    offset = 0
    for codes, part_texts in coded:
        local = merged[offset : offset + len(part_texts)]
        out.append(np.where(codes < 0, -1, local[np.maximum(codes, 0)] if local.size else -1))
        offset += len(part_texts)
    return (np.concatenate(out) if out else np.zeros(0, dtype=np.int64)).astype(np.int64), [str(t) for t in texts]


def _strata_codes_by_row(pooled: pd.DataFrame) -> np.ndarray:
    keys = pooled.apply(lambda row: "\x1f".join("\x00" if pd.isna(v) else str(v) for v in row), axis=1)
    codes, _ = pd.factorize(keys, sort=False)
    return np.asarray(codes, dtype=np.int64)


def strata_codes(frames: Sequence[pd.DataFrame], columns: Sequence[str]) -> np.ndarray:
    """One integer code per pooled row (frames stacked in order) for each combination of ``columns``.

    Missing values form their own level. No columns give a single stratum.
    Codes number the combinations in order of first appearance: the codes of
    the row keys ``"\x1f".join(str(value) or "\x00" if missing)``, computed
    column by column (:func:`text_codes`, combined with the codes so far).

    >>> a = pd.DataFrame({"g": ["x", "y"]}); b = pd.DataFrame({"g": ["y", None]})
    >>> strata_codes([a, b], ["g"]).tolist()
    [0, 1, 1, 2]
    """
    n = sum(len(f) for f in frames)
    if not columns:
        return np.zeros(n, dtype=np.int64)
    combined = np.zeros(n, dtype=np.int64)
    for column in columns:
        codes, texts = text_codes([f[column] for f in frames])
        if any("\x1f" in text for text in texts):
            # A value holding the separator could join two keys into one; keep the row keys' rule.
            pooled = pd.concat([f[list(columns)].astype(object) for f in frames], ignore_index=True)
            return _strata_codes_by_row(pooled)
        # A missing value is the text "\x00" (the same level as that text, as in the row keys).
        missing = texts.index("\x00") if "\x00" in texts else len(texts)
        codes = np.where(codes < 0, missing, codes)
        combined = pd.factorize(combined * (len(texts) + 1) + codes, sort=False)[0].astype(np.int64)
    return np.asarray(combined, dtype=np.int64)


def permutation_labels(strata: np.ndarray, is_first: np.ndarray, draws: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Chunks of (b, N) float 0/1 weights: 1 marks a row relabelled into the first dataset.

    Within each stratum exactly as many rows as ``is_first`` marks there are
    chosen, uniformly at random without replacement, independently per draw.

    Definition: each draw gives row ``i`` the key ``strata[i] + u_i`` (``u`` one
    ``rng.random`` row per draw) and sorts the keys (stably); the first
    ``n_first(s)`` rows of stratum ``s`` in that order are labelled first.
    """
    strata = np.asarray(strata, dtype=np.int64)
    first = np.asarray(is_first, dtype=bool)
    n = strata.size
    if n == 0:
        return
    # Sorting by stratum + a uniform key puts each stratum's rows in random order
    # in one contiguous segment; the first n_first(s) positions of a segment are labelled first.
    order_of_strata = np.argsort(strata, kind="stable")
    sorted_strata = strata[order_of_strata]
    starts = np.searchsorted(sorted_strata, sorted_strata, side="left")
    n_first = np.bincount(strata, weights=first.astype(float), minlength=int(strata.max()) + 1)
    template = (np.arange(n) - starts) < n_first[sorted_strata]
    members = [(int(stratum), np.flatnonzero(strata == stratum), int(n_first[stratum])) for stratum in np.unique(strata)]
    step = chunk_size(n, draws)
    single = len(members) == 1 and members[0][0] == 0
    done = 0
    while done < draws:
        b = min(step, draws - done)
        # With one stratum (code 0) the key is the uniform draw itself: 0 + u is u exactly.
        keys = rng.random((b, n)) if single else strata[None, :] + rng.random((b, n))
        labels = _labels_by_selection(keys, members)
        if labels is None:
            order = np.argsort(keys, axis=1, kind="stable")
            labels = np.zeros((b, n))
            np.put_along_axis(labels, order, np.broadcast_to(template.astype(float), (b, n)), axis=1)
        yield labels
        done += b


def _labels_by_selection(keys: np.ndarray, members: list[tuple[int, np.ndarray, int]]) -> np.ndarray | None:
    """The labels of the stable sort of ``keys``, by selecting each stratum's smallest keys.

    Selecting the ``n_first(s)`` smallest keys of each stratum (``np.partition``,
    linear) labels the same rows as sorting every key (``n log n``): a draw whose
    selection is not exactly ``n_first(s)`` keys (equal keys at the boundary) is
    sorted stably within its stratum instead. None when some key rounded up to the
    next stratum's range (the segments of the sort would interleave): then only
    the full sort says which rows come first.
    """
    labels = np.zeros(keys.shape)
    for stratum, rows, count in members:
        if count == 0:
            continue
        if count == rows.size:
            labels[:, rows] = 1.0
            continue
        every = rows.size == keys.shape[1]
        block = keys if every else keys[:, rows]
        if stratum and (block >= stratum + 1).any():
            return None
        if rows.size >= _FEW_OF_MANY_ROWS and 8 * count <= rows.size:
            chosen = _few_smallest(block, count, stratum)
        else:
            boundary = np.partition(block, count - 1, axis=1)[:, count - 1 : count]
            chosen = block <= boundary
        for r in np.flatnonzero(chosen.sum(axis=1) != count):
            chosen[r] = False
            chosen[r, np.argsort(block[r], kind="stable")[:count]] = True
        if every:
            labels = chosen.astype(np.float64)
        else:
            labels[:, rows] = chosen
    return labels


#: A stratum of at least this many rows, of which at most an eighth are labelled first,
#: selects its smallest keys among those below a threshold (:func:`_few_smallest`).
_FEW_OF_MANY_ROWS = 10_000


def _few_smallest(block: np.ndarray, count: int, stratum: int) -> np.ndarray:
    """Per row of ``block`` (keys in ``[stratum, stratum + 1)``), the keys at or below its ``count``-th smallest.

    As ``block <= np.partition(block, count - 1)[:, count - 1]``: 929 human rows among
    100,000 simulated ones partitioned every key of every draw. Only keys below a
    threshold that about ``count + 8 sqrt(count)`` keys pass are ranked (a row with
    fewer is ranked in full), as :func:`validator.bootstrap.weights.subsample_indices` does.
    """
    m = block.shape[1]
    threshold = stratum + (count + 8.0 * np.sqrt(count) + 16.0) / m
    chosen = np.zeros(block.shape, dtype=bool)
    for r in range(block.shape[0]):
        keys = block[r]
        candidates = np.flatnonzero(keys < threshold)
        if candidates.size < count:
            boundary = np.partition(keys, count - 1)[count - 1]
        else:
            boundary = np.partition(keys[candidates], count - 1)[count - 1]
        chosen[r] = keys <= boundary
    return chosen
