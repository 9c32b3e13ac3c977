"""A reverse proxy's static location forwarded to the `static` service (item 4, with the compose
rewrite)."""

from __future__ import annotations

import textwrap

import pytest

from fixer.fixes.item04_nginx_proxy import proxy_static

UPSTREAM = "http://static:80"
SERVED = ["/home/ledger/site/staticfiles"]


def forward(text: str, served: list[str] = SERVED, url: str = "/static/") -> str | None:
    return proxy_static(textwrap.dedent(text), served, url, UPSTREAM)


# -- no-op cases first --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "conf",
    [
        # nothing serves the volume
        "server { location / { proxy_pass http://web:8000; } }",
        # a regex location: the URL it matches is not the static prefix alone
        "server { location ~ ^/static/ { alias /home/ledger/site/staticfiles/; } }",
        # another URL than STATIC_URL: forwarding it would ask the static image for paths it
        # does not have
        "server { location /assets/ { alias /home/ledger/site/staticfiles/; } }",
        # a folder inside the volume: the URLs under the location would not line up
        "server { location /static/ { alias /home/ledger/site/staticfiles/css/; } }",
        # try_files decides how the location answers
        "server { location /static/ { alias /home/ledger/site/staticfiles/; try_files $uri =404; }"
        " }",
        # the whole server serves the volume, not only the static URL
        "server { root /home/ledger/site/staticfiles; }",
        # not a configuration djfix can read
        "server { location /static/ { alias /home/ledger/site/staticfiles/; }",
        "server { location /static/ { alias '/home/ledger/site/staticfiles/; } }",
    ],
)
def test_location_djfix_does_not_change(conf):
    assert forward(conf) is None


# -- rewrites -----------------------------------------------------------------------------------


def test_alias_becomes_a_proxy_pass_keeping_the_rest():
    assert forward(
        """\
        server {
            listen 80;

            # collected by the web container; { braces } in a comment
            location /static/ {
                alias /home/ledger/site/staticfiles/;  # the volume
                expires 7d;
                add_header Cache-Control "public";
            }

            location /media/ {
                alias /home/ledger/site/mediafiles/;
            }
        }
        """
    ) == textwrap.dedent(
        """\
        server {
            listen 80;

            # collected by the web container; { braces } in a comment
            location /static/ {
                proxy_pass http://static:80;  # the volume
                expires 7d;
                add_header Cache-Control "public";
            }

            location /media/ {
                alias /home/ledger/site/mediafiles/;
            }
        }
        """
    )


def test_root_that_serves_the_volume_under_the_location():
    conf = "server {\n  location ^~ /static {\n    root /srv/www;\n  }\n}\n"
    assert proxy_static(conf, ["/srv/www/static"], "/static/", UPSTREAM) is None  # `^~`
    conf = "server {\n  location /static {\n    root /srv/www;\n  }\n}\n"
    assert proxy_static(conf, ["/srv/www/static"], "/static/", UPSTREAM) == (
        "server {\n  location /static {\n    proxy_pass http://static:80;\n  }\n}\n"
    )


def test_every_server_that_serves_the_volume_forwards():
    conf = (
        "server { listen 80; location /static/ { alias /v/; } }\n"
        "server { listen 443 ssl; location /static/ { alias /v; } }\n"
    )
    assert proxy_static(conf, ["/v"], "/static/", UPSTREAM) == (
        "server { listen 80; location /static/ { proxy_pass http://static:80; } }\n"
        "server { listen 443 ssl; location /static/ { proxy_pass http://static:80; } }\n"
    )


def test_forwarded_configuration_is_left_alone_the_second_time():
    once = forward("server { location /static/ { alias /home/ledger/site/staticfiles/; } }")
    assert once == "server { location /static/ { proxy_pass http://static:80; } }"
    assert forward(once) is None
