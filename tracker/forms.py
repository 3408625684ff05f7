"""Forms of the tracker pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.widgets import IsoDateInput

from .models import Profile

NOTES_MAX_CHARS = 50_000


class ScheduleForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["start_date"]
        widgets = {"start_date": IsoDateInput()}
        labels = {"start_date": _("开始日期")}


class NotesForm(forms.Form):
    # CharField refuses NUL (ProhibitNullCharactersValidator; PostgreSQL cannot store it); the messages say
    # what to change and that the note on file was kept.
    notes = forms.CharField(
        label=_("笔记（Markdown）"), required=False, max_length=NOTES_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={
            "max_length": _("笔记最长 %(limit_value)d 个字符，这次有 %(show_value)d 个；未保存，原笔记保留。"),
            "null_characters_not_allowed": _("笔记里有 NUL 字符（\\0），数据库无法保存；未保存，原笔记保留。"),
        },
    )
