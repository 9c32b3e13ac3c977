"""Pages of the site that frame pages of the same site: `<iframe>` tags in the templates and
the front-end sources whose address is the site's own (a path, `{% url %}`, `{% static %}`) or
one the code computes (`:src="pdfUrl"`, `src={url}`), which may be. `X_FRAME_OPTIONS = "DENY"`
stops the browser showing those frames, where "SAMEORIGIN" lets them through."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from fixer.discovery.walk import Walk
from fixer.project import FramedPage, ProjectModel

#: folders whose files are not the site's own pages: third-party bundles copied in, collected
#: static files, test data (saved pages of other sites), documentation
_NOT_PAGES = {
    "static",
    "staticfiles",
    "vendor",
    "vendors",
    "tests",
    "test",
    "test_data",
    "testdata",
    "fixtures",
    "docs",
    "doc",
    "coverage",
}
_MAX_FILES = 3000
_MAX_BYTES = 512_000  # a file larger than this is a bundle, not a page written by hand
_MAX_TOTAL = 16_000_000  # what one discovery reads of pages at most
_MAX_FOUND = 20

_IFRAME = re.compile(r"<iframe\b([^>]*)>", re.IGNORECASE)
_SRC = re.compile(
    r"""(?<![\w-])(:src|v-bind:src|\[src\]|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|\{([^}]*)\})""",
    re.IGNORECASE,
)


def _own_address(binding: str, quoted: str | None, braced: str | None) -> bool:
    """Whether the frame's address is (or may be) the site's own."""
    if braced is not None or binding.lower() != "src":
        return True  # computed by the code: it may be the site's own page
    value = (quoted or "").strip()
    if not value or value.lower().startswith(("about:", "data:", "javascript:", "blob:")):
        return False
    # another site's address; a template variable inside it only fills in the page there
    return not value.lower().startswith(("http://", "https://", "//"))


def framed_pages(texts: list[tuple[str, str]]) -> list[FramedPage]:
    """The frames of `texts` ((rel, text) pairs) that may show the site's own pages."""
    found: list[FramedPage] = []
    for rel, text in texts:
        if "<iframe" not in text.lower():
            continue
        for tag in _IFRAME.finditer(text):
            src = _SRC.search(tag.group(1))
            if src is None:
                continue
            binding, double, single, braced = src.groups()
            quoted = double if double is not None else single
            if not _own_address(binding, quoted, braced):
                continue
            written = src.group(0).replace("\n", " ")
            line = text.count("\n", 0, tag.start()) + 1
            found.append(FramedPage(rel, line, written[:120]))
            if len(found) >= _MAX_FOUND:
                return found
    return found


def read_frames(model: ProjectModel, walk: Walk) -> None:
    """Note the frames of the site's own templates and front-end sources on the model."""
    texts: list[tuple[str, str]] = []
    total = 0
    for path in walk.pages[:_MAX_FILES]:
        rel = model.rel(path)
        if any(part.lower() in _NOT_PAGES for part in PurePosixPath(rel).parts[:-1]):
            continue
        try:
            # a link may lead out of the repository: only the files it holds are its pages
            if path.is_symlink():
                continue
            size = path.stat().st_size
        except OSError:
            continue
        if size > _MAX_BYTES:
            continue
        total += size
        if total > _MAX_TOTAL:
            break
        f = model.cache.text(path)
        if f.text is not None:
            texts.append((f.rel, f.text))
    model.framed_pages = framed_pages(texts)


def frames_found(pages: list[FramedPage]) -> str:
    """What the check says of the frames: "the site frames its own pages (where)", or ""."""
    if not pages:
        return ""
    more = f" and {len(pages) - 1} more" if len(pages) > 1 else ""
    return f"the site frames its own pages ({pages[0].label()}{more})"


#: why X_FRAME_OPTIONS is not made "DENY" for a site that frames its own pages
KEEP_FRAMES = (
    "DENY would blank the site's own frames: mark the framed views "
    "@xframe_options_sameorigin, then set DENY by hand"
)
