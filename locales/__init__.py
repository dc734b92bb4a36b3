"""Gettext catalogs (sq default, en). A package only so that the catalogs ship with the wheel."""
