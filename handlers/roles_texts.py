"""How roles are named to people."""

from __future__ import annotations

from domain.i18n import N_, _
from domain.permissions import RoleKind
from domain.places import Place
from storage.models import Role

ROLE_NAMES = {
    RoleKind.CHAIR: N_("Branch chair"),
    RoleKind.COORDINATOR: N_("County coordinator"),
    RoleKind.ADMIN: N_("National staff (admin)"),
}


def describe_role(role: Role, places: dict[int, Place]) -> str:
    """A role as people read it.

    For example «Arben Hoxha — chair of Korçë»; the name only where Telegram gave one.
    """
    who = role.holder_name or str(role.telegram_id)
    if role.kind == RoleKind.CHAIR.value and role.municipality_id in places:
        what = _("branch chair in {municipality}").format(
            municipality=places[role.municipality_id].name
        )
    elif role.kind == RoleKind.COORDINATOR.value:
        county = next(
            (p.county_name for p in places.values() if p.county_id == role.county_id), "?"
        )
        what = _("coordinator of {county} county").format(county=county)
    else:
        what = _("national staff (admin)")
    return f"{who} — {what}"


def granted_message(role: Role, places: dict[int, Place]) -> str:
    if role.kind == RoleKind.CHAIR.value and role.municipality_id in places:
        return _(
            "Welcome! You are now a branch chair in {municipality}.\n\n"
            "New applications from {municipality} will come to you here with two buttons: "
            "Approve (one tap) and Reject (with a reason). /pending lists the ones waiting. "
            "You only see applications from your own municipality."
        ).format(municipality=places[role.municipality_id].name)
    if role.kind == RoleKind.COORDINATOR.value:
        county = next(
            (p.county_name for p in places.values() if p.county_id == role.county_id), "?"
        )
        return _(
            "Welcome! You are now the coordinator of {county} county.\n\n"
            "Applications that no branch chair in the county has decided in time, and those "
            "of municipalities without a branch chair, will come to you here; you can decide "
            "them. "
            "/pending lists the ones waiting in the county."
        ).format(county=county)
    return _(
        "Welcome! You are now national staff.\n\n"
        "/invite invites branch chairs and coordinators, /pending lists every application waiting, "
        "and applications nobody decided in time are escalated to you."
    )
