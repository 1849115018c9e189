"""A person's data export: everything they wrote and arranged, as one ZIP.

The archive holds `kith-export.json` (see EXPORT_VERSION) and the person's
photos, avatar and header under `media/`.  It contains what is the person's
own: their private profile, their aspects and contacts, their posts with the
audience they chose, comments they wrote, likes they gave, tags they follow,
and the conversations they take part in.  Of other people it holds handles
only, never their profiles; their messages appear only where the person was a
participant and so has read them already.  Keys are left out: a private key in a
downloadable file is a key lost.

Size: `write_export` streams into any writable file (photos are copied in
chunks, not loaded whole), so a caller with a big account can write to a
temporary file.  `export_person` returns bytes and so holds the archive in
memory: fine for the accounts of a small pod (a few hundred photos, tens of
MB).  Photos are stored without recompression: JPEG and PNG are compressed already.
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import IO, Any, cast

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from kith.people.models import Person

# Raise when the layout of kith-export.json changes in a way a reader must know about.
EXPORT_VERSION = 1
JSON_NAME = "kith-export.json"


def export_person(person: Person) -> bytes:
    """The whole archive in memory (see the module docstring for the size assumption)."""
    buffer = io.BytesIO()
    write_export(person, buffer)
    return buffer.getvalue()


def write_export(person: Person, target: IO[bytes]) -> None:
    files: dict[str, FieldFile] = {}  # archive path -> stored file
    document = _document(person, files)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(JSON_NAME, json.dumps(document, ensure_ascii=False, indent=2))
        for path, stored in files.items():
            try:
                source = stored.storage.open(cast(str, stored.name), "rb")  # _add_file keeps named files only
            except FileNotFoundError:
                continue  # a file lost from storage must not cost the person the rest of their export
            with source, archive.open(zipfile.ZipInfo(path, _zip_time()), "w") as entry:
                shutil.copyfileobj(source, entry)


def _zip_time() -> tuple[int, int, int, int, int, int]:
    return timezone.now().timetuple()[:6]


# ---- the JSON document ------------------------------------------------------------------


def export_id(value: int | None) -> str | None:
    # Ids as strings: they are 64-bit, beyond what a JavaScript reader keeps exactly.
    return None if value is None else str(value)


def export_time(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def handles(persons: Iterable[Person]) -> list[str]:
    return sorted(p.handle for p in persons)


def add_file(files: dict[str, FieldFile], stored: FieldFile, name: str) -> str | None:
    if not stored.name:  # what `not stored` tests, in a form the type checker narrows
        return None
    path = f"media/{name}{PurePosixPath(stored.name).suffix.lower()}"
    files[path] = stored
    return path


# Which package writes which part of the document.  People sits below the packages whose
# rows the archive holds (graph, social, messaging), so it may not read their tables:
# each of them registers the sections it owns (their kith/<package>/export.py, imported
# by their AppConfig.ready), and this module only assembles them in SECTIONS' order,
# which is the archive's documented layout.  (The alternative, an export module above
# all of them, would have had to live in an adapter: the top domain layer's packages
# may not read each other.)
SECTIONS = (
    "aspects", "following", "followers", "blocked", "muted",  # kith.graph
    "posts", "comments", "likes", "followed_tags",  # kith.social
    "conversations",  # kith.messaging
    "media",  # kith.social: photos not in a post
)
ExportFiles = dict[str, FieldFile]  # archive path -> stored file
SectionWriter = Callable[[Person, ExportFiles], Any]
_writers: dict[str, SectionWriter] = {}


def section(name: str) -> Callable[[SectionWriter], SectionWriter]:
    """Decorator: the function writes section `name` of a person's document."""
    if name not in SECTIONS:
        raise ValueError(f"{name!r} is not a section of the export (see SECTIONS)")

    def register(writer: SectionWriter) -> SectionWriter:
        _writers[name] = writer
        return writer

    return register


def _document(person: Person, files: ExportFiles) -> dict[str, Any]:
    document = {
        "version": EXPORT_VERSION,
        "exported_at": export_time(timezone.now()),
        "pod": settings.KITH_URL,
        "profile": _profile(person, files),
    }
    for name in SECTIONS:
        document[name] = _writers[name](person, files)  # KeyError: a package did not register its section
    return document


def _profile(person: Person, files: dict[str, FieldFile]) -> dict[str, Any]:
    return {
        "id": export_id(person.id),
        "handle": person.handle,
        "username": person.username,
        "display_name": person.display_name,
        "bio": person.bio_source,
        "bio_html": person.bio_html,
        "location": person.location,
        "birthday": export_time(person.birthday),
        "gender": person.gender,
        "tags": [tag.name for tag in person.profile_tags.all()],
        "searchable": person.searchable,
        "locked": person.locked,
        "created_at": export_time(person.created_at),
        "avatar": add_file(files, person.avatar, "avatar"),
        "header": add_file(files, person.header, "header"),
    }
