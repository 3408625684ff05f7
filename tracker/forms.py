"""Forms of the tracker pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Profile


class ScheduleForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["start_date"]
        widgets = {"start_date": forms.DateInput(attrs={"type": "date"})}
        labels = {"start_date": _("开始日期")}


class NotesForm(forms.Form):
    notes = forms.CharField(label=_("笔记（Markdown）"), required=False, max_length=50_000,
                            widget=forms.Textarea(attrs={"rows": 8}))
