"""Tagging raw text with a package: the Tagger and its backends, tagging files, scoring a package on annotated data, and the speed benchmark."""
