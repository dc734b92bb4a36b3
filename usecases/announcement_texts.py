"""What announcements say: the target's name, the progress message, the report with the
acknowledgements per structure — in the current language (the caller sets it)."""

from __future__ import annotations

from datetime import timedelta

from babel.dates import format_timedelta

from domain.announcements import Progress, Target, TargetKind, share
from domain.i18n import _, babel_locale, format_count
from domain.places import Place
from storage.announcements import PlaceFigures


def county_names(places: dict[int, Place]) -> dict[int, str]:
    return {place.county_id: place.county_name for place in places.values()}


def target_label(target: Target, places: dict[int, Place]) -> str:
    counties = county_names(places)
    match target.kind:
        case TargetKind.ALL:
            return _("all approved members")
        case TargetKind.CHAIRS:
            return _("all branch chairs")
        case TargetKind.COUNTY:
            return _("the members of {county} county").format(
                county=counties.get(target.place_id or 0, "?")
            )
        case TargetKind.COUNTY_CHAIRS:
            return _("the branch chairs of {county} county").format(
                county=counties.get(target.place_id or 0, "?")
            )
        case TargetKind.MUNICIPALITY:
            place = places.get(target.place_id or 0)
            return _("the members of {municipality}").format(
                municipality=place.name if place else "?"
            )
    return "?"


def duration(seconds: float) -> str:
    return format_timedelta(
        timedelta(seconds=max(seconds, 1)), threshold=1.1, locale=babel_locale()
    )


def progress_text(number: int, label: str, progress: Progress) -> str:
    lines = [
        _("📣 Announcement no. {number} to {target}").format(number=number, target=label),
        _("Sent: {sent} of {total} ({percent}%)").format(
            sent=format_count(progress.finished),
            total=format_count(progress.total),
            percent=progress.percent,
        ),
    ]
    if progress.rate > 0:
        lines.append(_("Speed: {rate} a second").format(rate=format_count(round(progress.rate))))
    left = progress.seconds_left
    if left is not None and not progress.done:
        lines.append(_("Time left: about {time}").format(time=duration(left)))
    return "\n".join(lines)


def report_text(
    number: int,
    label: str,
    progress: Progress,
    *,
    cancelled: bool,
    reasons: list[tuple[str, int]],
    acknowledged: int | None,
    left_out: int,
) -> str:
    title = (
        _("📣 Announcement no. {number} to {target} was stopped.")
        if cancelled
        else _("📣 Announcement no. {number} to {target} is delivered.")
    )
    lines = [
        title.format(number=number, target=label),
        _("Recipients: {n}").format(n=format_count(progress.total)),
        _("Delivered: {n}").format(n=format_count(progress.sent)),
        _("Unreachable (blocked the bot): {n}").format(
            n=format_count(progress.unreachable + left_out)
        ),
        _("Failed: {n}").format(n=format_count(progress.failed)),
    ]
    lines += [f"  · {reason}: {format_count(n)}" for reason, n in reasons]
    if progress.cancelled:
        lines.append(_("Not sent (stopped): {n}").format(n=format_count(progress.cancelled)))
    if acknowledged is not None:
        lines.append(
            _("Read («✅ I've read it»): {n} of {delivered} delivered ({percent}%)").format(
                n=format_count(acknowledged),
                delivered=format_count(progress.sent),
                percent=round(100 * share(acknowledged, progress.sent)),
            )
        )
    lines.append(_("Duration: {time}").format(time=duration(progress.elapsed_seconds)))
    return "\n".join(lines)


def acknowledgements_text(
    figures: list[PlaceFigures], places: dict[int, Place], *, limit: int = 70
) -> str:
    """Delivered and read per county, and per municipality under it (largest first)."""
    by_county: dict[str, list[PlaceFigures]] = {}
    for row in figures:
        place = places.get(row.municipality_id or 0)
        county = place.county_name if place else _("national staff")
        by_county.setdefault(county, []).append(row)
    lines = [_("Read by structure (read / delivered):")]
    shown = 0
    for county, rows in sorted(by_county.items()):
        delivered = sum(r.delivered for r in rows)
        acked = sum(r.acknowledged for r in rows)
        lines.append(
            _("{place}: {acked} / {delivered} ({percent}%)").format(
                place=county,
                acked=format_count(acked),
                delivered=format_count(delivered),
                percent=round(100 * share(acked, delivered)),
            )
        )
        if len(by_county) > 1 and len(figures) > limit:
            continue  # the whole country: counties only, so it fits in one message
        for row in sorted(rows, key=lambda r: -r.delivered):
            place = places.get(row.municipality_id or 0)
            if place is None:
                continue
            shown += 1
            lines.append(
                "  · "
                + _("{place}: {acked} / {delivered} ({percent}%)").format(
                    place=place.name,
                    acked=format_count(row.acknowledged),
                    delivered=format_count(row.delivered),
                    percent=round(100 * share(row.acknowledged, row.delivered)),
                )
            )
    return "\n".join(lines)
