"""Serving an exported package: the `arabic-ie` CLI (tag files, serve HTTP), the web viewer and Ray batch tagging."""
