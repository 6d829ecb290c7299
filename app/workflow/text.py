"""The project's one text toolkit, ``votes.text``, as the workflow and the pages use it: money
in pounds, counted nouns, ordinals, lists, "once"/"twice"."""

from __future__ import annotations

from votes.text import join_list, money, ordinal, plural, times

__all__ = ["join_list", "money", "ordinal", "plural", "times"]
