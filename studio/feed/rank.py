"""The Feed's order: one deterministic ranking function, and the tabs built on it.

`rank` favours creation over time spent. A post's base score is

    (1 + like * ln(1 + likes) + remix * ln(1 + remixes))      what people made of it (remixes weigh most)
    * 0.5 ** (age_hours / half_life_hours)                     recency decay
    * follow_boost, if its author is someone I follow

and the order is then built greedily: each next card is the post with the highest base score times
`author_penalty ** (cards already chosen from its author)` times `prompt_penalty ** (cards already
chosen with its prompt)`, so one author or one prompt cannot fill the screen. Ties go to the smaller
post id. Nothing random, no clock read inside: the same posts, `now` and weights give the same order.

The greedy pick uses a lazy heap: penalties only ever lower a score, so a post popped from the heap
whose re-penalised score still beats the next stored (upper-bound) score is the true maximum.
That keeps 10,000 posts well under the 50 ms budget (bench/feed.py).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar


class Rankable(Protocol):
    post_id: str
    author_key: str
    prompt: str
    published_at: float
    likes: int
    remixes: int


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
    age_hours = max(0.0, now - post.published_at) / 3600.0
    made = 1.0 + weights.like * math.log1p(max(0, post.likes)) + weights.remix * math.log1p(max(0, post.remixes))
    boost = weights.follow_boost if post.author_key in following else 1.0
    return made * 0.5 ** (age_hours / weights.half_life_hours) * boost


def rank(posts: Sequence[R], *, now: float, following: Collection[str] = (),
         weights: RankWeights = RankWeights()) -> list[R]:
    """The For you order of `posts` (see the module notes)."""
    following = set(following)
    base = [base_score(p, now=now, following=following, weights=weights) for p in posts]
    prompts = [prompt_key(p.prompt) for p in posts]
    heap = [(-score, p.post_id, i) for i, (score, p) in enumerate(zip(base, posts))]
    heapq.heapify(heap)
    by_author: dict[str, int] = {}
    by_prompt: dict[str, int] = {}
    order: list[R] = []
    while heap:
        _stored, post_id, i = heapq.heappop(heap)
        post = posts[i]
        current = (base[i] * weights.author_penalty ** by_author.get(post.author_key, 0)
                   * weights.prompt_penalty ** by_prompt.get(prompts[i], 0))
        entry = (-current, post_id, i)
        if heap and entry > heap[0]:  # another post may now score higher: re-queue with the lower score
            heapq.heappush(heap, entry)
            continue
        order.append(post)
        by_author[post.author_key] = by_author.get(post.author_key, 0) + 1
        by_prompt[prompts[i]] = by_prompt.get(prompts[i], 0) + 1
    return order


class TabPost(Rankable, Protocol):
    liked_by_me: bool
    subscription_id: int | None


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
