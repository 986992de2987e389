"""The edit: an OpenTimelineIO timeline, reversible operations on it, and project files."""
