from django.db import models
from django.urls import reverse


class Genre(models.Model):
    name = models.CharField(max_length=50, unique=True)
    slug = models.SlugField(max_length=50, unique=True)

    class Meta:
        ordering = ['name']

    def __str__(self):
        return self.name


class Author(models.Model):
    name = models.CharField(max_length=150)
    born = models.PositiveSmallIntegerField(null=True, blank=True, help_text='Year of birth')
    bio = models.TextField(blank=True)

    class Meta:
        ordering = ['name']

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=250)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name='books')
    genre = models.ForeignKey(Genre, on_delete=models.SET_NULL, null=True, blank=True, related_name='books')
    isbn = models.CharField('ISBN', max_length=13, blank=True)
    published = models.PositiveSmallIntegerField(null=True, blank=True, help_text='Year of publication')
    summary = models.TextField(blank=True)
    cover = models.FileField(upload_to='covers/', blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ['title']

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse('books:detail', args=[self.pk])
