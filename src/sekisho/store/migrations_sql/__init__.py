"""SQL migrations shipped as package data (a package so wheels include the files)."""
