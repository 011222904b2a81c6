"""Bundled plugins, one package each (`sekisho.plugins.<snake_name>`), Kong's names and priorities."""
