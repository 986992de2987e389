"""Signed feeds: publish takes as signed posts, subscribe to friends' feeds, rank, verify (no Qt, no HTTP server)."""

from studio.feed.document import MIME_TYPE, FeedDocument, FeedItem
from studio.feed.rank import FeedTab, RankWeights, rank, tab_posts
from studio.feed.store import FeedPost, FeedStore, Subscription

__all__ = ["MIME_TYPE", "FeedDocument", "FeedItem", "FeedPost", "FeedStore", "FeedTab", "RankWeights",
           "Subscription", "rank", "tab_posts"]
