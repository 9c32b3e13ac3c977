from django import forms

from shop.models import Category


class ProductFilterForm(forms.Form):
    q = forms.CharField(label='Search', max_length=100, required=False)
    category = forms.ChoiceField(choices=[(c.pk, c.name) for c in Category.objects.all()], required=False)
    in_stock_only = forms.BooleanField(required=False)
