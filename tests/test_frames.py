"""The frames of the site's own pages in its templates and front-end sources (what keeps
X_FRAME_OPTIONS at SAMEORIGIN)."""

from __future__ import annotations

from fixer.discovery.frames import framed_pages


def srcs(text: str, rel: str = "app/templates/page.html") -> list[str]:
    return [f.src for f in framed_pages([(rel, text)])]


def test_frames_of_other_sites_are_not_the_sites_own():
    text = (
        '<iframe src="https://www.youtube.com/embed/{{ key }}"></iframe>\n'
        "<iframe src='//player.vimeo.com/video/1'></iframe>\n"
        '<iframe src="about:blank"></iframe><iframe srcdoc="<p>x</p>"></iframe>\n'
        "<iframe></iframe>\n"
    )
    assert srcs(text) == []


def test_template_urls_and_paths_are_the_sites_own():
    text = (
        '<iframe\n  class="preview"\n  src="{% url \'label\' pk %}"></iframe>\n'
        '<IFRAME SRC="/reports/1/pdf/"></IFRAME>\n'
        "<iframe src=\"{% static 'pdfjs/web/viewer.html' %}\"></iframe>\n"
    )
    found = framed_pages([("app/templates/page.html", text)])
    assert [(f.line, f.src) for f in found] == [
        (1, "src=\"{% url 'label' pk %}\""),
        (4, 'SRC="/reports/1/pdf/"'),
        (5, "src=\"{% static 'pdfjs/web/viewer.html' %}\""),
    ]


def test_an_address_the_code_computes_may_be_the_sites_own():
    vue = '<template>\n  <iframe width="100%" :src="pdfUrl" v-if="isPdf"></iframe>\n</template>\n'
    jsx = 'export const Preview = ({ url }) => <iframe title="p" src={url} />;\n'
    assert srcs(vue, "front/src/Viewer.vue") == [':src="pdfUrl"']
    assert srcs(jsx, "front/src/Preview.jsx") == ["src={url}"]


def test_vendored_test_and_linked_pages_are_not_read(make_project, tmp_path):
    from fixer.discovery import discover

    outside = tmp_path.parent / f"{tmp_path.name}-outside.html"  # not in the repository
    outside.write_text('<iframe src="/admin/"></iframe>\n')
    frame = '<iframe src="/reports/"></iframe>\n'
    project = make_project(
        {
            "mysite/settings.py": "INSTALLED_APPS = []\n",
            "app/static/vendor/viewer.html": frame,
            "app/tests/test_data/saved_page.html": frame,
            "app/templates/app/report.html": frame,
        }
    )
    (project.root / "app/templates/app/linked.html").symlink_to(outside)
    found = discover(project.root).framed_pages
    assert [(f.rel, f.line) for f in found] == [("app/templates/app/report.html", 1)]
