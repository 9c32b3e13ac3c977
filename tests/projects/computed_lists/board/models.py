from django.db import models


class Issue(models.Model):
    title = models.CharField(max_length=200)
    closed = models.BooleanField(default=False)
