"""The one table of the studio's actions: id, menu text, default keys, where the keys act, which menu.

The menus (window_menus.py), the timeline editor, the Preview's transport and Help > Keyboard
Shortcuts all read this table, so a key is declared once. A user remaps an action by writing
`shortcuts/<id>=Ctrl+K, F9` into the studio's settings; a remap that would bind a key twice is
refused with a message and the default kept (`effective_keys`).

Scopes: WINDOW keys act anywhere in the window, so they must be unique across the whole table;
TIMELINE and MONITOR keys act while that panel (or a child) has focus, so the same key may mean
"play" in both, but never two things in one panel or something a WINDOW key already means.
Keys are written in Qt's portable form ("Ctrl+Shift+Z"), never as platform StandardKeys, whose
expansion differs between desktops (on Linux the standard Redo *is* Ctrl+Shift+Z).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Scope(StrEnum):
    WINDOW = "window"
    TIMELINE = "timeline"
    MONITOR = "monitor"


@dataclass(frozen=True)
class ActionSpec:
    """One action: `id` is stable (settings and code use it); `menu` is the menu it appears in ("" none)."""

    id: str
    text: str
    keys: tuple[str, ...] = ()
    scope: Scope = Scope.WINDOW
    menu: str = ""
    icon: str | None = None
    tip: str = ""


def _a(id: str, text: str, keys: tuple[str, ...] | str = (), scope: Scope = Scope.WINDOW, menu: str = "",
       icon: str | None = None, tip: str = "") -> ActionSpec:
    return ActionSpec(id, text, (keys,) if isinstance(keys, str) else keys, scope, menu, icon, tip)


W, T, M = Scope.WINDOW, Scope.TIMELINE, Scope.MONITOR

# Menus in menu-bar order; within a menu, actions in the order they are listed below.
MENUS: tuple[str, ...] = ("&File", "&Edit", "&Generate", "&Library", "&Timeline", "&View", "&Playback", "&Settings",
                          "&Help")

ACTIONS: tuple[ActionSpec, ...] = (
    _a("file.new", "&New Project…", "Ctrl+N", menu="&File", icon="project", tip="Start an empty project"),
    _a("file.open", "&Open…", "Ctrl+O", menu="&File", icon="project",
       tip="Open a project file (.otio, .otioz, .edl); a file opened before opens its project"),
    _a("file.recent", "Open &Recent", menu="&File", tip="The projects of this library, last changed first"),
    _a("file.switch", "Switch &Project…", "Ctrl+Shift+P", menu="&File", tip="Open another project of this library"),
    _a("file.save", "&Save Project", "Ctrl+S", menu="&File"),
    _a("file.save_as", "Save Project &As…", "Ctrl+Shift+S", menu="&File",
       tip="Save a copy of the project under a new name and go on in the copy"),
    _a("file.rename", "Re&name Project…", menu="&File"),
    _a("file.delete", "&Delete Project…", menu="&File", tip="Delete the project (its takes stay in the library)"),
    _a("file.import", "&Import Media…", "Ctrl+I", menu="&File", icon="import",
       tip="Copy video, audio or image files into the library"),
    _a("file.export", "&Export Project…", "Ctrl+E", menu="&File", icon="export",
       tip="Render the timeline to an MP4 with Content Credentials"),
    _a("file.quit", "&Quit", "Ctrl+Q", menu="&File"),

    _a("edit.undo", "&Undo", "Ctrl+Z", menu="&Edit"),
    _a("edit.redo", "&Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), menu="&Edit"),
    _a("edit.find", "&Find in Library", "Ctrl+F", menu="&Edit", icon="search"),

    _a("generate.run", "&Generate", ("Ctrl+Return", "Ctrl+Enter"), menu="&Generate", icon="generate",
       tip="Generate a take from the prompt panel"),
    _a("generate.seed", "Roll a New &Seed", "Ctrl+R", menu="&Generate", icon="dice"),
    _a("generate.remix", "&Remix Selected Take", "Ctrl+Shift+R", menu="&Generate", icon="remix"),
    _a("generate.stop_remix", "Stop &Remixing", menu="&Generate"),
    _a("generate.models", "&Models…", "Ctrl+Shift+M", menu="&Generate", icon="import",
       tip="Download, check and delete generation models; see the memory each needs here"),
    _a("generate.serve_api", "Serve the OpenAI &Videos API", menu="&Generate",
       tip="Answer the openai SDK's client.videos on this machine (the studio's engine runs the jobs)"),
    _a("generate.cameo", "Your &Cameo…", menu="&Generate",
       tip="Record yourself once; others use your likeness only with your signed grant"),
    _a("generate.cameo_uses", "Cameo &Uses…", menu="&Generate",
       tip="Takes others made with your cameo: watch them or ask for removal"),

    _a("library.play", "&Play in Source Monitor", "Ctrl+P", menu="&Library", icon="play",
       tip="Show the selected take in the Source monitor and play it (the Program monitor keeps the edit)"),
    _a("library.favourite", "Toggle &Favourite", "Ctrl+D", menu="&Library", icon="star"),
    _a("library.reveal", "&Reveal File", "Ctrl+Shift+O", menu="&Library", icon="folder"),
    _a("library.export_take", "E&xport Take…", "Ctrl+Shift+E", menu="&Library", icon="export"),
    _a("library.share", "S&hare Take to Feed", menu="&Library",
       tip="Publish the selected take to your feed as a signed MP4"),
    _a("library.share_friends", "Share Take with &Friends Only", menu="&Library",
       tip="Publish it for subscribers holding an invite token"),
    _a("library.feed_invites", "Feed &Invite Links…", menu="&Library",
       tip="Make, copy and revoke the links that let friends see your friends-only posts"),
    _a("library.delete", "&Delete Take…", "Ctrl+Backspace", menu="&Library", icon="delete",
       tip="Delete the selected takes and their files (asks first)"),
    _a("library.reload", "Re&load", "F5", menu="&Library"),

    _a("timeline.split", "Split at playhead", "S", T, "&Timeline"),
    _a("timeline.delete", "Delete", "Del", T, "&Timeline"),
    _a("timeline.ripple_delete", "Ripple delete", "Shift+Del", T, "&Timeline"),
    _a("timeline.mark_in", "Mark in", "I", T, "&Timeline"),
    _a("timeline.mark_out", "Mark out", "O", T, "&Timeline"),
    _a("timeline.clear_marks", "Clear in and out", "Alt+X", T, "&Timeline"),
    _a("timeline.snapping", "Snapping", "N", T, "&Timeline"),
    _a("timeline.zoom_in", "Zoom in", ("+", "="), T, "&Timeline"),
    _a("timeline.zoom_out", "Zoom out", "-", T, "&Timeline"),
    _a("timeline.zoom_fit", "Zoom to fit", "\\", T, "&Timeline"),
    _a("timeline.waveform_db", "Waveforms in dB", "Shift+W", T, "&Timeline"),
    # The transport keys on the timeline drive the Program monitor (which always shows the edit).
    _a("timeline.play", "Play / Pause the edit", "Space", T, "&Timeline"),
    _a("timeline.home", "Go to start of the edit", "Home", T, "&Timeline"),
    _a("timeline.end", "Go to end of the edit", "End", T, "&Timeline"),
    _a("timeline.step_back", "Back one frame", "Left", T, "&Timeline"),
    _a("timeline.step_forward", "Forward one frame", "Right", T, "&Timeline"),
    _a("timeline.back_second", "Back one second", "Shift+Left", T, "&Timeline"),
    _a("timeline.forward_second", "Forward one second", "Shift+Right", T, "&Timeline"),
    _a("timeline.reverse", "Play the edit backwards / faster", "J", T, "&Timeline"),
    _a("timeline.stop", "Stop the edit", "K", T, "&Timeline"),
    _a("timeline.forward", "Play the edit forwards / faster", "L", T, "&Timeline"),
    _a("timeline.add_video", "Add video track", (), T, "&Timeline"),
    _a("timeline.add_audio", "Add audio track", (), T, "&Timeline"),

    _a("view.feed", "&Feed", "Ctrl+Shift+F", menu="&View", tip="Watch, like and remix your friends' clips"),
    _a("view.reset", "&Reset Layout", menu="&View"),
    _a("view.probe", "Show &Responsiveness Probe", "Ctrl+Shift+D", menu="&View"),
    _a("view.full_screen", "&Full Screen", "F11", menu="&View"),

    # Transport: the same keys in the Source and Program monitors (each where the focus is) and on the
    # timeline (which drives Program); the Playback menu runs them on the active monitor.
    _a("play.play", "Play / Pause", "Space", M, "&Playback", "play"),
    _a("play.home", "Go to Start", "Home", M, "&Playback"),
    _a("play.end", "Go to End", "End", M, "&Playback"),
    _a("play.step_back", "Back One Frame", "Left", M, "&Playback"),
    _a("play.step_forward", "Forward One Frame", "Right", M, "&Playback"),
    _a("play.back_second", "Back One Second", "Shift+Left", M, "&Playback"),
    _a("play.forward_second", "Forward One Second", "Shift+Right", M, "&Playback"),
    _a("play.reverse", "Play Backwards / Faster (J)", "J", M, "&Playback"),
    _a("play.stop", "Stop (K; hold K and tap J/L to step)", "K", M, "&Playback"),
    _a("play.forward", "Play Forwards / Faster (L)", "L", M, "&Playback"),
    _a("play.loop", "Loop", (), M, "&Playback"),
    _a("play.stats", "Stats", (), M, "&Playback"),
    # The take in the Source monitor onto the timeline (Shotcut's I/O and A/V/B); keys act while Source has
    # the focus. With In/Out marked, only that part of the take goes on.
    _a("source.mark_in", "Mark Source &In", "I", M, "&Playback"),
    _a("source.mark_out", "Mark Source &Out", "O", M, "&Playback"),
    _a("source.clear_marks", "&Clear Source In and Out", "Alt+X", M, "&Playback"),
    _a("source.append", "&Append Source Take to the Edit", "A", M, "&Playback",
       tip="Put the take shown in the Source monitor at the end of the edit"),
    _a("source.insert", "&Insert Source Take at the Playhead", "V", M, "&Playback",
       tip="Insert the take shown in the Source monitor at the timeline's playhead; later clips move right"),
    _a("source.overwrite", "&Overwrite at the Playhead with Source Take", "B", M, "&Playback",
       tip="Put the take shown in the Source monitor at the playhead, covering what is there"),
    _a("play.edit", "Play the &Edit", "Ctrl+Shift+Space", menu="&Playback", icon="project",
       tip="Play the timeline in the Program monitor from the playhead"),
    _a("play.source_monitor", "&Source Monitor", "Ctrl+Alt+1", menu="&Playback",
       tip="Show the Source monitor (the library take) and let the transport keys drive it"),
    _a("play.program_monitor", "P&rogram Monitor", "Ctrl+Alt+2", menu="&Playback",
       tip="Show the Program monitor (the edit) and let the transport keys drive it"),

    _a("settings.engine", "&Engine…", menu="&Settings", tip="Generate on this computer or on a Ray cluster"),

    _a("help.shortcuts", "&Keyboard Shortcuts", ("F1", "Ctrl+/"), menu="&Help", icon="keyboard"),
    _a("help.about", "&About Kinora Studio", menu="&Help", icon="app"),
)

# Docks toggled from View, in this order (their actions come from QDockWidget); the first nine with Alt+1..9.
DOCK_KEYS: tuple[str, ...] = ("prompt", "source", "program", "library", "queue", "inspector", "timeline",
                              "credentials", "lineage", "history")

_BY_ID = {spec.id: spec for spec in ACTIONS}


def spec(action_id: str) -> ActionSpec:
    """The table's entry for `action_id` (KeyError for an id the table does not declare)."""
    return _BY_ID[action_id]


def dock_keys() -> dict[str, str]:
    """Dock key ("prompt") -> its View shortcut ("Alt+1"), for the docks that have one."""
    return {key: f"Alt+{number}" for number, key in enumerate(DOCK_KEYS[:9], start=1)}


def _normal(key: str) -> str:
    return key.replace(" ", "").lower()


def conflicts(bindings: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Every key bound twice where both would act at once, as readable lines (empty when none).

    `bindings` maps action id -> keys (an action may be missing: it has no keys). Window-wide keys
    (the table's WINDOW scope and the dock toggles "dock.<key>") clash with every other use.
    """
    owners: dict[str, list[tuple[str, Scope]]] = {}
    for action_id, keys in bindings.items():
        scope = _BY_ID[action_id].scope if action_id in _BY_ID else Scope.WINDOW
        for key in keys:
            owners.setdefault(_normal(key), []).append((action_id, scope))
    problems = []
    for key, users in owners.items():
        for i, (first, first_scope) in enumerate(users):
            for second, second_scope in users[i + 1:]:
                if first == second or Scope.WINDOW in (first_scope, second_scope) or first_scope == second_scope:
                    problems.append(f"{key} is bound to both {first} and {second}")
    return problems


def default_bindings() -> dict[str, tuple[str, ...]]:
    """Every action's default keys, the dock toggles included (as "dock.<key>")."""
    bindings = {s.id: s.keys for s in ACTIONS}
    bindings.update({f"dock.{key}": (keys,) for key, keys in dock_keys().items()})
    return bindings


def effective_keys(overrides: Mapping[str, str]) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """The bindings after the user's remaps, and a message for each remap refused.

    `overrides` maps action id -> "Key, Key" ("" removes the keys). An unknown id or a remap that
    would bind a key twice is refused (the default stays), so no settings file can break the keys.
    """
    bindings = default_bindings()
    refused = []
    for action_id, text in overrides.items():
        if action_id not in bindings:
            refused.append(f"Shortcut setting for unknown action '{action_id}' ignored.")
            continue
        keys = tuple(k.strip() for k in str(text).split(",") if k.strip())
        trial = {**bindings, action_id: keys}
        clashes = conflicts(trial)
        if clashes:
            refused.append(f"Shortcut {text!r} for {action_id} refused: {clashes[0]}.")
            continue
        bindings = trial
    return bindings, refused


def in_menu(menu: str, scopes: Iterable[Scope] = tuple(Scope)) -> list[ActionSpec]:
    """The table's actions shown in `menu`, in order."""
    wanted = set(scopes)
    return [s for s in ACTIONS if s.menu == menu and s.scope in wanted]
