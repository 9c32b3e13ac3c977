from django.db import models


class Section(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=100)


class Dish(models.Model):
    name = models.CharField(max_length=100)
    section = models.ForeignKey(Section, on_delete=models.CASCADE)
