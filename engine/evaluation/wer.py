"""Word error rate, the standard ASR yardstick: (substitutions + deletions + insertions) / reference words.

Both texts are normalised first (case, punctuation, hyphens, digits spelled the
way Whisper tends to write them are left alone), so a line that was heard
right is not penalised for a comma. Implemented here (a word-level Levenshtein
alignment) rather than pulling in a dependency for twenty lines.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
_NON_WORD = re.compile(r"[^a-z0-9' ]+")


def normalise(text: str) -> list[str]:
    """Lower-case words without punctuation: "Hello, World!" -> ["hello", "world"]."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).lower()
    text = text.replace("-", " ")
    text = _NON_WORD.sub(" ", text)
    return [w.strip("'") for w in text.split() if w.strip("'")]


@dataclass(frozen=True)
class WordErrors:
    substitutions: int
    deletions: int
    insertions: int
    reference_words: int

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def rate(self) -> float:
        """WER; an empty reference scores 0 if nothing was heard, else 1 per inserted word."""
        if self.reference_words == 0:
            return float(self.insertions)
        return self.errors / self.reference_words


def word_errors(reference: str, hypothesis: str) -> WordErrors:
    """Minimum-edit alignment of hypothesis words to reference words."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    # each cell: (cost, substitutions, deletions, insertions); ties prefer fewer substitutions
    prev = [(j, 0, 0, j) for j in range(len(hyp) + 1)]
    for i in range(1, len(ref) + 1):
        cur = [(i, 0, i, 0)]
        for j in range(1, len(hyp) + 1):
            if ref[i - 1] == hyp[j - 1]:
                best = prev[j - 1]
            else:
                c, s, d, n = prev[j - 1]
                sub = (c + 1, s + 1, d, n)
                c, s, d, n = prev[j]
                dele = (c + 1, s, d + 1, n)
                c, s, d, n = cur[j - 1]
                ins = (c + 1, s, d, n + 1)
                best = min(sub, dele, ins)
            cur.append(best)
        prev = cur
    _, s, d, n = prev[-1]
    return WordErrors(s, d, n, len(ref))


def wer(reference: str, hypothesis: str) -> float:
    return word_errors(reference, hypothesis).rate
