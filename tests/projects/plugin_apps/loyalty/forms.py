from django import forms

from loyalty.models import Tier


class TierFilterForm(forms.Form):
    choice = forms.ChoiceField(choices=[(x.pk, x.name) for x in Tier.objects.all()])
