from django.db import models


class Ticket(models.Model):
    # no max_length: PostgreSQL's unlimited varchar (Django 4.2+); SQLite's checks refuse it
    title = models.CharField()
    opened = models.DateTimeField(auto_now_add=True)
