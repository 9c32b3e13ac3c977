from django import forms

from orders.models import Carrier


class CarrierFilterForm(forms.Form):
    choice = forms.ChoiceField(choices=[(x.pk, x.name) for x in Carrier.objects.all()])
