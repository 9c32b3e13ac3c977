#!/bin/sh
# nginx forks into the background, then the script goes on to the app server
nginx -g 'pid /tmp/nginx.pid;'

python manage.py migrate
python manage.py collectstatic --noinput

WORKERS="${WORKERS:-2}"
exec gunicorn --bind unix:/tmp/pantry.sock --workers $WORKERS pantry.wsgi
