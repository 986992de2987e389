"""The Feed's order: one deterministic ranking function, and the tabs built on it.

`rank` favours creation over time spent. A post's base score is

    (1 + like * ln(1 + likes) + remix * ln(1 + remixes))      what people made of it (remixes weigh most)
    * 0.5 ** (age_hours / half_life_hours)                     recency decay
    * follow_boost, if its author is someone I follow

and the order is then built greedily: each next card is the post with the highest base score times
`author_penalty ** (cards already chosen from its author)` times `prompt_penalty ** (cards already
chosen with its prompt)`, so one author or one prompt cannot fill the screen. Ties go to the smaller
post id. Nothing random, no clock read inside: the same posts, `now` and weights give the same order.

The greedy pick uses lazy heaps (one per author under one of authors): penalties only ever lower a
score, so an entry whose re-penalised score still beats the next stored (upper-bound) score is the
true maximum. tests/test_feed_rank.py checks it against the plain quadratic definition.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar


class Rankable(Protocol):
    # Read-only members: posts are frozen dataclasses.
    @property
    def post_id(self) -> str: ...
    @property
    def author_key(self) -> str: ...
    @property
    def prompt(self) -> str: ...
    @property
    def published_at(self) -> float: ...
    @property
    def likes(self) -> int: ...
    @property
    def remixes(self) -> int: ...


R = TypeVar("R", bound=Rankable)


class FeedTab(StrEnum):
    FOR_YOU = "For you"
    FOLLOWING = "Following"
    MOST_REMIXED = "Most remixed"
    LIKED = "Liked"
    MINE = "Mine"


@dataclass(frozen=True)
class RankWeights:
    half_life_hours: float = 36.0
    like: float = 1.0
    remix: float = 3.0
    follow_boost: float = 1.5
    author_penalty: float = 0.5
    prompt_penalty: float = 0.35


def prompt_key(prompt: str) -> str:
    """Prompts that differ only in case and spacing count as one for the diversity penalty."""
    return " ".join(prompt.casefold().split())


def base_score(post: Rankable, *, now: float, following: Collection[str] = (),
               weights: RankWeights = RankWeights()) -> float:
    """The score before the diversity penalty (see the module notes)."""
    return base_scores([post], now=now, following=following, weights=weights)[0]


def base_scores(posts: Sequence[Rankable], *, now: float, following: Collection[str] = (),
                weights: RankWeights = RankWeights()) -> list[float]:
    """`base_score` of every post (one loop with its constants hoisted: ranking 10,000 posts calls it once)."""
    log1p, like, remix, boost = math.log1p, weights.like, weights.remix, weights.follow_boost
    decay_per_s = math.log(0.5) / (weights.half_life_hours * 3600.0)
    exp = math.exp
    return [(1.0 + like * log1p(max(0, p.likes)) + remix * log1p(max(0, p.remixes)))
            * exp(decay_per_s * max(0.0, now - p.published_at)) * (boost if p.author_key in following else 1.0)
            for p in posts]


def rank(posts: Sequence[R], *, now: float, following: Collection[str] = (),
         weights: RankWeights = RankWeights()) -> list[R]:
    """The For you order of `posts` (see the module notes)."""
    following = set(following)
    base = base_scores(posts, now=now, following=following, weights=weights)
    prompt_ids: dict[str, int] = {}
    prompt_of = [prompt_ids.setdefault(prompt_key(p.prompt), len(prompt_ids)) for p in posts]
    prompt_count = [0] * len(prompt_ids)
    # Penalties as tables: a**k for every count k that can occur.
    p_pow = [weights.prompt_penalty ** k for k in range(max(Counter(prompt_of).values(), default=0) + 1)]
    # Two levels of lazy heaps. Each author's heap holds its posts by base score x prompt penalty (the
    # author penalty is the same for all of them, so it cannot change their order); the top heap holds
    # each author's best, times the author penalty. Stored scores only ever overstate the current ones.
    authors: dict[str, int] = {}
    own: list[list[tuple[float, str, int]]] = []
    for i, post in enumerate(posts):
        a = authors.setdefault(post.author_key, len(authors))
        if a == len(own):
            own.append([])
        own[a].append((-base[i], post.post_id, i))
    picked_from = [0] * len(own)
    a_pow = [weights.author_penalty ** k for k in range(max(map(len, own), default=0) + 1)]
    top: list[tuple[float, str, int]] = []
    for a, heap in enumerate(own):
        heapq.heapify(heap)
        top.append((heap[0][0], heap[0][1], a))
    heapq.heapify(top)
    heapreplace, heappop = heapq.heapreplace, heapq.heappop
    order: list[R] = []
    while top:
        a = top[0][2]
        heap = own[a]
        while True:  # make this author's top entry current (prompt penalties may have lowered it)
            neg, pid, i = heap[0]
            fresh = -base[i] * p_pow[prompt_count[prompt_of[i]]]
            if fresh == neg:
                break
            heapreplace(heap, (fresh, pid, i))
        entry = (neg * a_pow[picked_from[a]], pid, a)
        if entry != top[0]:  # lower than stored: another author may lead now
            heapreplace(top, entry)
            continue
        # Current and the least of the stored upper bounds: the best card. Take it.
        heappop(heap)
        order.append(posts[i])
        picked_from[a] += 1
        prompt_count[prompt_of[i]] += 1
        if heap:
            heapreplace(top, (heap[0][0] * a_pow[picked_from[a]], heap[0][1], a))
        else:
            heappop(top)
    return order


class TabPost(Rankable, Protocol):
    @property
    def liked_by_me(self) -> bool: ...
    @property
    def subscription_id(self) -> int | None: ...


T = TypeVar("T", bound=TabPost)


def tab_posts(posts: Sequence[T], tab: FeedTab, *, now: float, following: Collection[str] = (),
              weights: RankWeights = RankWeights()) -> list[T]:
    """The posts a tab shows, in its order.

    For you: everyone else's posts by `rank`. Following: posts of authors I follow, newest first.
    Most remixed: by remixes, then likes, then newest. Liked: posts I liked, newest first. Mine: my posts.
    """
    newest = sorted(posts, key=lambda p: (-p.published_at, p.post_id))
    if tab is FeedTab.FOR_YOU:
        return rank([p for p in posts if p.subscription_id is not None], now=now, following=following, weights=weights)
    if tab is FeedTab.FOLLOWING:
        return [p for p in newest if p.author_key in following]
    if tab is FeedTab.MOST_REMIXED:
        return sorted(posts, key=lambda p: (-p.remixes, -p.likes, -p.published_at, p.post_id))
    if tab is FeedTab.LIKED:
        return [p for p in newest if p.liked_by_me]
    return [p for p in newest if p.subscription_id is None]
