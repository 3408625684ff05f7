"""The site's side of each lab, found by name: labs/kinds/<module>.py defines KIND, a Lab — its titles, the skills
it evidences, its form labels and how a result becomes what the learner reads (tables, charts, a heatmap, the
headline figures tracked across runs, one evidence line), plus an optional template for what only it shows.

The contract's side is labcontract/labs/<module>.py and the runner's gpu_runner/labs/<module>; labs/registry.py
finds the three and tests/test_lab_registry.py keeps them naming the same labs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Labels of parameters several labs share; a lab's own `labels` add to / override these.
COMMON_LABELS: Mapping[str, Promise] = {
    "model": _("模型（fixture、smollm2-135m 或 runner 上的本地模型目录）"),
    "prompts": _("提示词"),
    "prompt_len": _("提示长度（token）"),
    "gen_len": _("生成长度（token）"),
    "repeats": _("计时重复次数"),
    "warmup": _("预热次数（不计时）"),
    "seed": _("随机种子"),
    "dtype": _("数据类型"),
    "engines": _("引擎"),
}


@dataclass(frozen=True)
class Lab:
    slug: str
    title: Promise
    subtitle: Promise
    skills: tuple[str, ...]  # tracker Skill slugs this lab evidences when a job succeeds
    summarise: Callable[[dict], dict]  # result -> {"headers", "rows", "charts", "tables", "lines", "heatmaps",
    #                                             "statements", "samples", "notes"}: what _lab_result.html renders
    headline: Callable[[dict], dict]  # result -> {series label: (value, unit)}, the figures tracked across runs
    evidence: Callable[[dict], str]  # result -> one line of measured figures
    labels: Mapping[str, Promise] = field(default_factory=dict)
    upload: bool = False  # the form takes source files instead of schema fields (the C++ tokenizer)
    template: str = ""  # the lab's own block on its job page, after the shared result (labs/kinds/<module>.html)
    intro: Callable[[], list] | None = None  # problems shown above the form (the kernel lab's statements)
    # result -> {headline label: [the figure in each timed repeat]}: its spread, the noise rule and the compare
    # page's interval on a ratio (labs/noise.py); None where the lab has no repeats.
    repeats: Callable[[dict], dict[str, list[float]]] | None = None
    # result -> the figure that ranks this lab's jobs for the default evidence (higher is better; labs/evidence.py);
    # None: the largest headline figure in the first figure's unit.
    score: Callable[[dict], float | None] | None = None
    queues: tuple[str, ...] = ()  # from the contract (labcontract.LAB_QUEUES): the first is the form's default
    # result -> rules that explain it (labs/explain.py: {"code", "text", "article", "anchor", "try": {param: value}})
    explain: Callable[[dict], list[dict]] | None = None
    headline_names: bool = False  # the headline's labels are configuration names (identifiers), shown as code

    def label(self, param: str) -> str:
        return str(self.labels.get(param) or COMMON_LABELS.get(param) or param)


def rule(code: str, text: str, article: str, anchor: str, change: dict | None = None, *,
         form_section: str = "") -> dict:
    """One explanation (a Lab's `explain`): `code` names the rule, `text` what to notice and why in one sentence,
    `article`/`anchor` the section of content/kb/<article>.md that explains it (the id its heading gets from
    core.markdown), `try` the suggested change to the job's parameters (labs/explain.py makes it a link);
    `form_section` an id on the lab's form page the link opens at (the C++ tokenizer's `contract`), for a lab
    whose form cannot be prefilled (uploads)."""
    return {"code": code, "text": str(text), "article": article, "anchor": anchor, "try": change or {},
            "form_section": form_section}
