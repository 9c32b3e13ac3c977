from django import forms

from catalog.models import Category


class CategoryFilterForm(forms.Form):
    choice = forms.ChoiceField(choices=[(x.pk, x.name) for x in Category.objects.all()])
