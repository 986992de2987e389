"""Projects in the window: New, Open Recent, Switch, Save As, Rename, Delete (mixed into MainWindow).

Every library call runs on a worker thread; the dialogs only ask (studio/ui/projects.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from studio.studio_model import Opened
from studio.ui.tasks import run_async


class WindowProjectsMixin:
    """Project methods of MainWindow (which provides studio, timeline, notify, _project_ready): they ask,
    then run the Studio's operation on a worker thread (studio/studio_model.py)."""

    # Injected in tests; the real ones ask with dialogs (studio/ui/projects.py, imported when one is asked for:
    # the launch shows none of them).
    @staticmethod
    def ask_name(parent: Any, title: str, label: str, default: str) -> str | None:
        from studio.ui.projects import ask_name

        return ask_name(parent, title, label, default)

    @staticmethod
    def confirm_delete_project(parent: Any, name: str) -> bool:
        from studio.ui.projects import confirm_delete_project

        return confirm_delete_project(parent, name)

    def choose_switch(self, projects: list[Any]) -> int | None:
        from studio.ui.projects import ProjectSwitcher

        dialog = ProjectSwitcher(projects, self.project_id, self)
        return dialog.chosen if dialog.exec() else None

    def _show_title(self) -> None:
        self.setWindowTitle(f"{self.project_name}[*] — Kinora Studio")
        self.setWindowModified(not self.timeline.undo_stack().isClean())

    def _load_project(self, work: Callable[[], Opened], done_text: str, *, save_first: bool = True) -> None:
        """Save the open project's edit, then run `work()` and open the project it returns (both on worker
        threads). A failed save is reported and nothing switches: the edit stays on screen."""
        def load() -> None:
            run_async(work,
                      lambda opened: (self._project_ready(opened),
                                      self.notify(done_text.format(name=opened.project.name))),
                      lambda exc: self.notify(f"Could not open the project: {exc}", True), receiver=self)

        if save_first:
            self.timeline.save(wait=False, then=load)
        else:
            load()

    def open_project(self, project_id: int) -> None:
        """Open a project of the library."""
        if project_id != self.project_id:
            studio = self.studio
            self._load_project(lambda: studio.load_project(project_id), "Opened project “{name}”.")

    def new_project(self) -> None:
        name = self.ask_name(self, "New Project", "Name of the new project:", self.studio.new_project_name())
        if name:
            studio = self.studio
            self._load_project(lambda: studio.create_project(name), "New project “{name}”.")

    def save_project_as(self) -> None:
        """A copy of the edit on screen as a new project, which stays open; the old one keeps its last save."""
        timeline = self.timeline.timeline()
        name = self.ask_name(self, "Save Project As", "Name of the copy:", f"{self.project_name} copy")
        if not name or timeline is None:
            return
        copy, studio = timeline.deepcopy(), self.studio  # copied here: the edit changes on this thread only
        self._load_project(lambda: studio.save_as(name, copy), "Saved as “{name}”.", save_first=False)

    def rename_project(self) -> None:
        if self.project_id is None:
            return
        name = self.ask_name(self, "Rename Project", "New name:", self.project_name)
        if not name:
            return
        studio, project_id = self.studio, self.project_id

        def renamed(projects: list[Any]) -> None:
            studio.set_recent(projects)  # the title follows (Change.NAME)
            self.notify(f"Renamed the project to “{name}”.")

        run_async(lambda: studio.rename_project(project_id, name), renamed,
                  lambda exc: self.notify(f"Could not rename: {exc}", True), receiver=self)

    def delete_project(self) -> None:
        """Delete the open project (after asking) and open the last changed other one, or a new one."""
        if self.project_id is None or not self.confirm_delete_project(self, self.project_name):
            return
        studio, project_id, name = self.studio, self.project_id, self.project_name
        self.timeline.forget_project()  # nothing more is written into the project being deleted
        self._load_project(lambda: studio.delete_project(project_id),
                           f"Deleted project “{name}”; opened “{{name}}”.")

    def switch_project(self) -> None:
        run_async(self.studio.list_projects, self._choose_project,
                  lambda exc: self.notify(f"Could not list the projects: {exc}", True), receiver=self)

    def _choose_project(self, projects: list[Any]) -> None:
        self.studio.set_recent(projects)
        chosen = self.choose_switch(projects)
        if chosen is not None:
            self.open_project(chosen)

    def fill_recent_menu(self, menu: Any) -> None:
        """File > Open Recent: the projects as last listed (read again with every project opened or renamed)."""
        menu.clear()
        for project in self.studio.recent[:10]:
            action = menu.addAction(project.name + ("  (open)" if project.id == self.project_id else ""))
            action.triggered.connect(lambda _checked=False, pid=project.id: self.open_project(pid))
        if not self.studio.recent:
            menu.addAction("No projects yet").setEnabled(False)
