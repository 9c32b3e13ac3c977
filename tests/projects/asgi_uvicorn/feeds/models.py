from django.db import models


class Story(models.Model):
    headline = models.CharField(max_length=200)
    published = models.DateTimeField(auto_now_add=True)
