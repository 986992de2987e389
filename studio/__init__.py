"""Kinora Studio: a local-first desktop studio for AI video with synchronized sound."""

__version__ = "0.1.0"
