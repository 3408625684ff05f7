"""Forms of the knowledge pages: a user's own checklist item and the record upload."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tracker.models import Skill

from .models import Article, ChecklistItem


class ChecklistItemForm(forms.ModelForm):
    skills = forms.ModelMultipleChoiceField(queryset=Skill.objects.live(), required=False, label=_("技能"))
    article = forms.ModelChoiceField(queryset=Article.objects.live(), required=False, label=_("相关文章"))

    class Meta:
        model = ChecklistItem
        fields = ["prompt", "answer", "article", "skills"]
        labels = {"prompt": _("问题"), "answer": _("答案（Markdown）")}
        widgets = {"prompt": forms.Textarea(attrs={"rows": 2}), "answer": forms.Textarea(attrs={"rows": 4})}


class ImportForm(forms.Form):
    file = forms.FileField(label=_("导出的 JSON 文件"))
