"""The Host header verify's requests carry: one the project's ALLOWED_HOSTS accepts, and a 400
that is the host being refused is never a page that answered."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fixer.verify import render_table, verify_project
from fixer.verify_run import choose_host
from tests.conftest import MINIMAL_MANAGE, write_tree


@pytest.mark.parametrize(
    ("allowed", "host"),
    [
        (None, ""),  # not read: the default, 127.0.0.1:port
        (["*"], ""),
        (["127.0.0.1", "localhost"], ""),  # what verify writes for a read from the environment
        (["localhost", "shop.example.org"], "localhost"),
        ([".localhost"], "localhost"),
        (["ip-address", "www.domain.example"], "ip-address"),
        ([".example.net"], "example.net"),
        (["Shop.Example.ORG"], "shop.example.org"),
        (["[::1]"], "[::1]"),
        (["", "bad host", ".shop.example.org"], "shop.example.org"),
        ([], None),  # DEBUG off and an empty list refuse every host
        (["bad host"], None),
    ],
)
def test_the_host_sent_is_one_allowed_hosts_accepts(allowed, host):
    assert choose_host(allowed) == host


SETTINGS = """\
SECRET_KEY = "a-literal-key-for-the-test-only-0123456789abcdefghijklmnopqrstuvwxyz"
DEBUG = False
ALLOWED_HOSTS = {hosts}
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "shop.urls"
WSGI_APPLICATION = "shop.wsgi.application"
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}}}
"""

URLS = """\
from django.http import HttpResponse
from django.urls import path


def ok(request):
    return HttpResponse("ok")


def checkout(request):
    # a bug of the project: iterates what is not a list
    return HttpResponse(str(list(request.user)))


urlpatterns = [
    path("", ok),
    path("health", ok),
    path("common/health", ok),
    path("checkout/", checkout),
]
"""


def _shop(root: Path, hosts: str) -> Path:
    return write_tree(
        root,
        {
            "manage.py": MINIMAL_MANAGE.replace("mysite.settings", "shop.settings"),
            "shop/__init__.py": "",
            "shop/settings.py": SETTINGS.format(hosts=hosts),
            "shop/urls.py": URLS,
            "shop/wsgi.py": (
                "import os\n\nfrom django.core.wsgi import get_wsgi_application\n\n"
                'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")\n'
                "application = get_wsgi_application()\n"
            ),
        },
    )


@pytest.mark.slow
def test_a_literal_host_list_without_loopback_serves_the_real_pages(tmp_path):
    # ['ip-address', 'www.domain.example']: requests to 127.0.0.1 would all answer 400 and
    # step 5 would pass on pages that never ran; with a Host the list accepts they run
    repo = _shop(tmp_path / "repo", '["ip-address", "www.domain.example"]')
    report = verify_project(repo, python=sys.executable, only={3, 5})
    table = render_table(report)
    assert report.step(3).status == "pass", table
    assert "requests carry Host: ip-address" in report.step(3).note, table
    assert report.step(5).status == "fail", table
    assert report.step(5).reason == "1 of 4 URLs: /checkout/ answered 500", table
    # the reviewer's commands send the same Host
    assert "curl -fsS -H 'Host: ip-address' http://127.0.0.1:8000/health" in report.commands


@pytest.mark.slow
def test_hosts_that_refuse_every_name_fail_the_served_steps(tmp_path):
    repo = _shop(tmp_path / "repo", "[]")
    report = verify_project(repo, python=sys.executable, only={3, 5})
    table = render_table(report)
    expected = (
        "the host was refused: {n} request(s) answered 400 with Host: 127.0.0.1 "
        "(DisallowedHost; ALLOWED_HOSTS = [])"
    )
    assert report.step(3).status == "fail", table
    assert report.step(3).reason == expected.format(n=2), table
    assert report.step(5).status == "fail", table
    assert report.step(5).reason == expected.format(n=4), table
