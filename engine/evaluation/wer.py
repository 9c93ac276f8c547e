"""Word error rate, the standard ASR yardstick: (substitutions + deletions + insertions) / reference words.

Both texts are normalised first (case, punctuation, hyphens, and numbers
written as digits spelled out as words, since Whisper writes "80" for
"eighty"), so a line that was heard right is not penalised for a comma or for
how a number is written. Implemented here (a word-level Levenshtein
alignment) rather than pulling in a dependency for twenty lines.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
_NON_WORD = re.compile(r"[^a-z0-9' ]+")
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?![\w])")
_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
         "sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(n: int) -> str:
    """0 <= n < 10**9 in words: 80 -> "eighty", 1204 -> "one thousand two hundred four"."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    for size, name in ((10**6, "million"), (1000, "thousand"), (100, "hundred")):
        if n >= size:
            head, rest = divmod(n, size)
            return f"{number_words(head)} {name}" + ("" if rest == 0 else " " + number_words(rest))
    raise AssertionError(n)  # pragma: no cover


def _spell_numbers(text: str) -> str:
    def spell(m: re.Match) -> str:
        whole = int(m.group(1).replace(",", ""))
        if whole >= 10**9:
            return m.group(0)
        words = number_words(whole)
        if m.group(2):
            words += " point " + " ".join(_ONES[int(d)] for d in m.group(2))
        return f" {words} "
    return _NUMBER.sub(spell, text)


def normalise(text: str) -> list[str]:
    """Lower-case words without punctuation: "Hello, World!" -> ["hello", "world"]."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).lower()
    text = _spell_numbers(text.replace("-", " ").replace("%", " percent"))
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
