"""`CameoService`: what the studio's Cameo dialog, review list and Prompt panel ask of studio.consent, as
plain blocking calls (the UI runs them through studio.ui.tasks.run_async). It shares the Feed's identity."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from studio.consent.cameos import CameoStore, create_cameo
from studio.consent.records import Access, Cameo
from studio.consent.usage import (
    Cleared,
    Notification,
    apply_removals,
    issue_receipts,
    new_uses,
    notifications,
    request_removal,
    submit_with_consent,
)
from studio.consent.verify import Script, Verification

if TYPE_CHECKING:
    from studio.feed.service import FeedService
    from studio.recipe import Recipe


class CameoService:
    def __init__(self, feed: FeedService) -> None:
        self.feed = feed
        self.lib = feed.lib

    def create(self, recording: Path, handle: str, access: Access | str, restrictions: tuple[str, ...],
               script: Script) -> tuple[Cameo, Verification]:
        return create_cameo(self.lib, self.feed.identity, recording, handle, access=access, restrictions=restrictions,
                            script=script)

    def cameos(self) -> list[Cameo]:
        return CameoStore(self.lib).all()

    def still_paths(self, cameo: Cameo) -> list[Path]:
        return CameoStore(self.lib).still_paths(cameo)

    def submit(self, submit: Callable[[Recipe], int], recipe: Recipe) -> tuple[int, Cleared]:
        """Check consent and rules, then queue (ConsentError before anything is queued)."""
        from studio.consent.usage import mentions
        from studio.engine.registry import get_model

        me = self.feed.me if mentions(recipe.prompt) else ""
        return submit_with_consent(self.lib, submit, recipe, me, get_model(recipe.model_id))

    def take_done(self, take_id: int) -> list[str]:
        """Sign the usage receipts of a finished take made with friends' cameos (none: nothing to do)."""
        if not self.lib.database.query("SELECT 1 FROM cameo_uses WHERE take_id = ? AND grant_id IS NOT NULL",
                                       (take_id,)):
            return []
        return issue_receipts(self.lib, self.feed.identity, take_id)

    def uses(self) -> list[Notification]:
        return notifications(self.lib, self.feed.me)

    def clip_path(self, use: Notification) -> Path | None:
        if use.take_id is None:
            return None
        take = self.lib.take(use.take_id)
        return self.lib.media_path(self.lib.media(take.media_id)) if take.media_id is not None else None

    def request_removal(self, receipt_id: str) -> str:
        return request_removal(self.lib, self.feed.identity, receipt_id)

    def after_sync(self) -> list[str]:
        """After every feed sync: honour removal requests that arrived, and announce new uses of my cameos."""
        said = apply_removals(self.lib, self.feed.identity)
        return said + [f"{u.maker_name} made a take with @{u.handle}: “{u.prompt[:60]}” "
                       "(Generate ▸ Cameo Uses to watch it or ask for removal)" for u in new_uses(self.lib, self.feed.me)]
