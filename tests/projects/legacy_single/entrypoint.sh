#!/bin/sh
set -e

python manage.py migrate && python manage.py loaddata initial_categories && exec python manage.py runserver 0.0.0.0:8000
