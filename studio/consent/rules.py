"""Content rules checked before anything is queued: a local rules file, the owners' restrictions, named
real people who have no cameo here, and an optional classifier hook. A refusal names the rule.

The rules file is `<library>/content_rules.json`:
    {"blocked_terms": ["..."], "real_people": ["Full Name", ...],
     "topics": {"political": ["election", ...]}}   (topics extend the built-in lexicon below)

Owners write restrictions in their own words ("no political content"); a restriction of the form
"no <topic> [content|stuff|scenes]" refuses prompts with the topic's words (built-in lexicon, extended by
the rules file); any other restriction refuses prompts containing its own words. That is keyword
matching, not understanding: the classifier hook is where a real model plugs in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from studio.errors import ConsentError

RULES_FILE = "content_rules.json"
# A classifier sees the prompt and the restrictions in force; it returns a refusal reason or None.
Classifier = Callable[[str, tuple[str, ...]], str | None]

TOPICS: dict[str, tuple[str, ...]] = {
    "political": ("politic", "election", "campaign", "president", "senator", "parliament", "vote", "protest",
                  "rally", "minister", "party leader"),
    "violent": ("kill", "murder", "gun", "shoot", "blood", "fight", "stab", "war"),
    "sexual": ("nude", "naked", "sex", "erotic", "lingerie"),
    "alcohol": ("beer", "wine", "vodka", "whisky", "drunk", "cocktail"),
}
TOPIC_ALIASES = {"politics": "political", "violence": "violent", "nsfw": "sexual", "sex": "sexual",
                 "drinking": "alcohol"}
_NO_TOPIC = re.compile(r"^\s*no\s+(?P<topic>[\w -]+?)(\s+(content|stuff|scenes|videos|themes))?\s*$", re.I)


@dataclass(frozen=True)
class ContentRules:
    blocked_terms: tuple[str, ...] = ()
    real_people: tuple[str, ...] = ()
    topics: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def load(cls, library_root: Path) -> ContentRules:
        path = library_root / RULES_FILE
        if not path.is_file():
            return cls()
        try:
            raw = json.loads(path.read_text("utf-8"))
            return cls(blocked_terms=tuple(str(t) for t in raw.get("blocked_terms", [])),
                       real_people=tuple(str(p) for p in raw.get("real_people", [])),
                       topics={str(k): tuple(str(w) for w in v) for k, v in raw.get("topics", {}).items()})
        except (ValueError, AttributeError, TypeError) as exc:
            raise ConsentError(f"{path} is not a valid rules file ({exc}); fix it or remove it.") from exc

    def check(self, prompt: str, *, restrictions: Iterable[tuple[str, str]] = (), cameo_names: Iterable[str] = (),
              classifier: Classifier | None = None) -> None:
        """Raise ConsentError naming the first rule the prompt breaks. `restrictions`: (whose, words) pairs;
        `cameo_names`: names of people who do have a cameo in this prompt (so naming them is fine)."""
        text = _plain(prompt)
        for term in self.blocked_terms:
            if _has(text, term):
                raise ConsentError(f"Refused by the rules file's blocked terms: the prompt contains '{term}'.")
        allowed = {_plain(n) for n in cameo_names}
        for person in self.real_people:
            if _has(text, person) and _plain(person) not in allowed:
                raise ConsentError(f"Refused by the real-people rule: the prompt names {person}, who has no cameo "
                                   "here. Use a cameo they granted you (@handle), or leave them out.")
        pairs = list(restrictions)
        for whose, words in pairs:
            for term in self._terms(words):
                if _has(text, term):
                    raise ConsentError(f"Refused by {whose}'s restriction \u201c{words}\u201d: the prompt mentions "
                                       f"'{term}'.")
        if classifier is not None:
            reason = classifier(prompt, tuple(w for _, w in pairs))
            if reason:
                raise ConsentError(f"Refused by the content classifier: {reason}")

    def _terms(self, restriction: str) -> tuple[str, ...]:
        match = _NO_TOPIC.match(restriction)
        topic = match.group("topic").strip().lower() if match else restriction.strip().lower()
        topic = TOPIC_ALIASES.get(topic, topic)
        known = {**TOPICS, **self.topics}
        return known.get(topic, (topic,))


def _plain(text: str) -> str:
    return " ".join(re.findall(r"[\w']+", text.lower()))


def _has(text: str, term: str) -> bool:
    # Word-prefix match: "politic" finds "politics" and "political", "gun" does not find "begun".
    return re.search(r"\b" + re.escape(_plain(term)), text) is not None
