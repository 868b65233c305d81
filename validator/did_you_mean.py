""""Did you mean" hints for names that resolve through a fixed set of options."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """A hint naming the closest valid option, or listing them all when none is close.

    >>> did_you_mean("logt", ["logit", "probit", "ols"])
    "did you mean 'logit'?"
    """
    options = list(options)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "valid: " + ", ".join(options) if options else "nothing is valid here"
