"""The privacy notice's version: consent records it, and members are asked again when the
notice changes (design §8). Bump it whenever the notice's promises change."""

from __future__ import annotations

#: 2026-12: rights made real (/te_dhenat, /fshij, withdrawal), coordinators named among
#: who sees the data, retention periods and the Commissioner stated.
NOTICE_VERSION = "2026-12"
