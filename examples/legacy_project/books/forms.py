from django import forms

from .models import Author, Genre


class BookSearchForm(forms.Form):
    q = forms.CharField(label='Title', max_length=100, required=False)
    genre = forms.ChoiceField(
        choices=[('', 'Any genre')] + [(g.slug, g.name) for g in Genre.objects.all()],
        required=False,
    )
    author = forms.ChoiceField(
        choices=[('', 'Any author')] + list(Author.objects.values_list('pk', 'name')),
        required=False,
    )
