"""The Feed's ranking on made-up feeds: recency, likes, remixes, follows, diversity, determinism, tabs."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from studio.feed.rank import FeedTab, RankWeights, base_score, prompt_key, rank, tab_posts

NOW = 1_800_000_000.0
HOUR = 3600.0


@dataclass(frozen=True)
class P:
    post_id: str
    author_key: str = "a"
    prompt: str = "p"
    published_at: float = NOW
    likes: int = 0
    remixes: int = 0
    liked_by_me: bool = False
    subscription_id: int | None = 1


def ids(posts: list[P]) -> list[str]:
    return [p.post_id for p in posts]


def test_newer_post_ranks_first_when_all_else_is_equal() -> None:
    posts = [P("old", "a", "x", NOW - 48 * HOUR), P("new", "b", "y", NOW - HOUR)]
    assert ids(rank(posts, now=NOW)) == ["new", "old"]


def test_remixes_weigh_more_than_likes_and_both_beat_nothing() -> None:
    posts = [P("liked", "a", "x", likes=2), P("remixed", "b", "y", remixes=1), P("plain", "c", "z")]
    assert ids(rank(posts, now=NOW)) == ["remixed", "liked", "plain"]


def test_people_i_follow_are_boosted() -> None:
    posts = [P("stranger", "s", "x", likes=1), P("friend", "f", "y", likes=1)]
    assert ids(rank(posts, now=NOW)) == ["friend", "stranger"]  # equal: smaller id first
    assert ids(rank(posts, now=NOW, following={"s"})) == ["stranger", "friend"]


def test_one_author_cannot_fill_the_screen() -> None:
    posts = [P(f"a{i}", "prolific", f"prompt {i}", likes=5) for i in range(6)] + [P("b0", "other", "q", likes=1)]
    order = ids(rank(posts, now=NOW))
    assert order.index("b0") <= 2
    assert order[:2] == ["a0", "b0"]  # a1 would score 0.5x a0, below b0's own score


def test_one_prompt_cannot_fill_the_screen_across_authors() -> None:
    posts = [P(f"s{i}", f"author{i}", "A Cat  in the Rain", likes=4) for i in range(5)] + [P("d", "z", "a dog", likes=1)]
    assert ids(rank(posts, now=NOW))[:2] == ["s0", "d"]
    assert prompt_key("A Cat  in the Rain") == prompt_key("a cat in the rain")


def test_rank_is_deterministic_and_independent_of_input_order() -> None:
    rng = random.Random(5)
    posts = [P(f"p{i:04d}", f"au{rng.randrange(20)}", f"prompt {rng.randrange(50)}", NOW - rng.uniform(0, 200) * HOUR,
               rng.randrange(10), rng.randrange(4)) for i in range(500)]
    first = ids(rank(posts, now=NOW, following={"au3"}))
    shuffled = posts[:]
    rng.shuffle(shuffled)
    assert ids(rank(shuffled, now=NOW, following={"au3"})) == first
    assert sorted(first) == sorted(ids(posts))  # every post exactly once


@pytest.mark.parametrize("ties", [False, True])
def test_lazy_heap_matches_plain_greedy_selection(ties: bool) -> None:
    """The heaps are only a speed-up: they must pick what the quadratic greedy definition picks,
    ties (equal scores: same age and counts) included."""
    rng = random.Random(11)
    posts = [P(f"p{rng.randrange(10**6):06d}-{i}", f"au{rng.randrange(6)}", f"prompt {rng.randrange(8)}",
               NOW - (rng.randrange(3) if ties else rng.uniform(0, 100)) * HOUR,
               rng.randrange(2 if ties else 6), rng.randrange(2 if ties else 3)) for i in range(150)]
    w = RankWeights()
    following = {"au1"}
    left = list(posts)
    expected: list[str] = []
    authors: dict[str, int] = {}
    prompts: dict[str, int] = {}
    while left:
        def score(p: P) -> tuple[float, str]:
            s = (base_score(p, now=NOW, following=following, weights=w) * w.author_penalty ** authors.get(p.author_key, 0)
                 * w.prompt_penalty ** prompts.get(prompt_key(p.prompt), 0))
            return (-s, p.post_id)
        best = min(left, key=score)
        left.remove(best)
        expected.append(best.post_id)
        authors[best.author_key] = authors.get(best.author_key, 0) + 1
        prompts[prompt_key(best.prompt)] = prompts.get(prompt_key(best.prompt), 0) + 1
    assert ids(rank(posts, now=NOW, following=following, weights=w)) == expected


def test_tabs_select_and_order_their_posts() -> None:
    posts = [P("mine", "me", "m", NOW - HOUR, subscription_id=None, remixes=1),
             P("f1", "friend", "a", NOW - 2 * HOUR, likes=3, liked_by_me=True),
             P("f2", "friend", "b", NOW - 3 * HOUR, remixes=2),
             P("s1", "stranger", "c", NOW - 10 * HOUR)]
    assert "mine" not in ids(tab_posts(posts, FeedTab.FOR_YOU, now=NOW))
    assert ids(tab_posts(posts, FeedTab.FOLLOWING, now=NOW, following={"friend"})) == ["f1", "f2"]
    assert ids(tab_posts(posts, FeedTab.MOST_REMIXED, now=NOW)) == ["f2", "mine", "f1", "s1"]
    assert ids(tab_posts(posts, FeedTab.LIKED, now=NOW)) == ["f1"]
    assert ids(tab_posts(posts, FeedTab.MINE, now=NOW)) == ["mine"]
