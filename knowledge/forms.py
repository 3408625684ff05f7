"""Forms of the knowledge pages: a user's own checklist item and the record upload."""

from __future__ import annotations

from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _

from tracker.models import Skill

from .models import Article, ChecklistItem

# CharFields refuse NUL already (ProhibitNullCharactersValidator; PostgreSQL cannot store it in text);
# these say so in the learner's words. The view puts the field's label in front of each.
NUL_MESSAGE = _("含有 NUL 字符（\\0），数据库无法保存，请删除它。")


class SaysNul:
    """Model choice fields check NUL outside error_messages (validate_no_null_characters): say it our way."""

    def validate_no_null_characters(self, value) -> None:
        ProhibitNullCharactersValidator(message=NUL_MESSAGE)(value)


class ArticleChoiceField(SaysNul, forms.ModelChoiceField):
    pass


class SkillsChoiceField(SaysNul, forms.ModelMultipleChoiceField):
    pass


class ChecklistItemForm(forms.ModelForm):
    skills = SkillsChoiceField(
        queryset=Skill.objects.live(), required=False, label=_("技能"),
        error_messages={"invalid_choice": _("没有编号为 %(value)s 的技能。"),
                        "invalid_pk_value": _("“%(pk)s”不是技能编号。")},
    )
    article = ArticleChoiceField(
        queryset=Article.objects.live(), required=False, label=_("相关文章"),
        error_messages={"invalid_choice": _("没有编号为 %(value)s 的文章（或已归档）。")},
    )

    class Meta:
        model = ChecklistItem
        fields = ["prompt", "answer", "article", "skills"]
        labels = {"prompt": _("问题"), "answer": _("答案（Markdown）")}
        widgets = {"prompt": forms.Textarea(attrs={"rows": 2}), "answer": forms.Textarea(attrs={"rows": 4})}
        error_messages = {
            "prompt": {"required": _("不能为空。"), "null_characters_not_allowed": NUL_MESSAGE},
            "answer": {"null_characters_not_allowed": NUL_MESSAGE},
        }
