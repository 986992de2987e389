"""Projects in the window: New, Open Recent, Switch, Save As, Rename, Delete (mixed into MainWindow).

Every library call runs on a worker thread; the dialogs only ask (studio/ui/projects.py).
"""

from __future__ import annotations

from typing import Any

from studio.ui.projects import ProjectSwitcher, ask_name, confirm_delete_project
from studio.ui.tasks import run_async

UNTITLED_PROJECT = "Untitled"


class WindowProjectsMixin:
    """Project methods of MainWindow (which provides lib, timeline, project_id/name, notify, _project_ready)."""

    # Injected in tests; the real ones ask with dialogs.
    ask_name = staticmethod(ask_name)
    confirm_delete_project = staticmethod(confirm_delete_project)

    def choose_switch(self, projects: list[Any]) -> int | None:
        dialog = ProjectSwitcher(projects, self.project_id, self)
        return dialog.chosen if dialog.exec() else None

    def _show_title(self) -> None:
        self.setWindowTitle(f"{self.project_name}[*] — Kinora Studio")
        self.setWindowModified(not self.timeline.undo_stack().isClean())

    def _load_project(self, make: Any, done_text: str) -> None:
        """Run `make() -> ProjectRecord` on a worker thread, then open that project (the open one is saved first)."""
        run_async(lambda: self._with_timeline(make()),
                  lambda opened: (self._project_ready(opened), self.notify(done_text.format(name=opened[0].name))),
                  lambda exc: self.notify(f"Could not open the project: {exc}", True), receiver=self)

    def open_project(self, project_id: int) -> None:
        """Open a project of the library."""
        if project_id != self.project_id:
            lib = self.lib
            self._load_project(lambda: lib.project(project_id), "Opened project “{name}”.")

    def new_project(self) -> None:
        names = {p.name for p in self._recent}
        default = next(f"Untitled {n}" if n > 1 else UNTITLED_PROJECT for n in range(1, 10_000)
                       if (f"Untitled {n}" if n > 1 else UNTITLED_PROJECT) not in names)
        name = self.ask_name(self, "New Project", "Name of the new project:", default)
        if name:
            lib = self.lib
            self._load_project(lambda: lib.create_project(name), "New project “{name}”.")

    def save_project_as(self) -> None:
        """A copy of the edit on screen as a new project, which stays open; the old one keeps its last save."""
        timeline = self.timeline.timeline()
        name = self.ask_name(self, "Save Project As", "Name of the copy:", f"{self.project_name} copy")
        if not name or timeline is None:
            return
        copy, lib = timeline.deepcopy(), self.lib
        copy.name = name
        self._save_previous = False
        self._load_project(lambda: lib.create_project(name, copy), "Saved as “{name}”.")

    def rename_project(self) -> None:
        if self.project_id is None:
            return
        name = self.ask_name(self, "Rename Project", "New name:", self.project_name)
        if not name:
            return
        lib, project_id = self.lib, self.project_id

        def renamed(_result: object) -> None:
            if self.project_id == project_id:
                self.project_name = name
                self._show_title()
            self._refresh_recent()
            self.notify(f"Renamed the project to “{name}”.")

        run_async(lambda: lib.rename_project(project_id, name), renamed,
                  lambda exc: self.notify(f"Could not rename: {exc}", True), receiver=self)

    def delete_project(self) -> None:
        """Delete the open project (after asking) and open the last changed other one, or a new one."""
        if self.project_id is None or not self.confirm_delete_project(self, self.project_name):
            return
        lib, project_id, name = self.lib, self.project_id, self.project_name
        self.timeline.forget_project()  # nothing more is written into the project being deleted

        def work() -> Any:
            lib.delete_project(project_id)
            others = lib.list_projects()
            return others[0] if others else lib.create_project(UNTITLED_PROJECT)

        self._load_project(work, f"Deleted project “{name}”; opened “{{name}}”.")

    def switch_project(self) -> None:
        run_async(self.lib.list_projects, self._choose_project,
                  lambda exc: self.notify(f"Could not list the projects: {exc}", True), receiver=self)

    def _choose_project(self, projects: list[Any]) -> None:
        self._recent = projects
        chosen = self.choose_switch(projects)
        if chosen is not None:
            self.open_project(chosen)

    def fill_recent_menu(self, menu: Any) -> None:
        """File > Open Recent: the projects as last listed (refreshed after every project change)."""
        menu.clear()
        for project in self._recent[:10]:
            action = menu.addAction(project.name + ("  (open)" if project.id == self.project_id else ""))
            action.triggered.connect(lambda _checked=False, pid=project.id: self.open_project(pid))
        if not self._recent:
            menu.addAction("No projects yet").setEnabled(False)

    def _refresh_recent(self) -> None:
        run_async(self.lib.list_projects, lambda projects: setattr(self, "_recent", projects), lambda exc: None,
                  receiver=self)
