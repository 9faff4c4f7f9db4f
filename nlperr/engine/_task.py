"""Is this model's task the task of this data?  Checked before any prediction.

A spaCy NER pipeline run over a classification CSV, or a text classifier run over
a CoNLL file, is a mistake a new user makes in the first hour; the answer must
come up front, in the user's terms (what the model does, what the data holds,
what to pass instead), from the library, so that the Python API and the CLI say
the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import Errors, InputError

__all__ = ["check_task", "FORMAT_TASKS"]

#: The tasks whose predictions each corpus format can hold.
FORMAT_TASKS: dict[str, tuple[str, ...]] = {
    "conll": ("ner",),
    "hipe": ("ner",),
    "csv": ("classification",),
    "jsonl": ("ner", "classification"),
    "spacy": ("ner", "classification"),
}

_DOES = {
    "ner": "finds entity spans in text (task 'ner')",
    "classification": "assigns a class label to each text (task 'classification')",
}
_FORMAT_HOLDS = {
    "conll": "a CoNLL file, which holds tokens and entity tags",
    "hipe": "a HIPE file, which holds tokens and entity tags",
    "csv": "a CSV file, which holds one class label per text",
}
_INSTEAD = {
    # what to pass when the model's task is the key and the data is of the other task
    "ner": ("a text classifier instead (spacy: a pipeline with 'textcat'; hf: a "
            "sequence-classification model), or data for this model: CoNLL, HIPE, "
            "JSONL with \"spans\", or .spacy"),
    "classification": ("an NER model instead (spacy: a pipeline with an 'ner' component; "
                       "hf: a token-classification model), or data for this model: a CSV "
                       "file with a text and a label column, or JSONL with \"label\""),
}


def describe_model(model: Any) -> str:
    """*model* as the subject of a message: ``"The model SPEC_OR_PATH"`` when known."""
    if model is None:
        return "The model"
    if isinstance(model, str):
        return f"The model {model}"
    for attr in ("spec", "source", "path", "name"):
        value = getattr(model, attr, None)
        if isinstance(value, str) and value:
            return f"The model {value}"
    return f"The {getattr(model, 'kind', None) or type(model).__name__} model"


def check_task(task: str, examples: Iterable[Any] = (), *, format: str | None = None,
               model: Any = None, source: Any = None) -> None:
    """Raise :class:`~nlperr.errors.InputError` when *task* cannot be the task of the data.

    Parameters
    ----------
    task : {"ner", "classification"}
        The model's task (``adapter.task``).
    examples : iterable of Example, optional
        Gold examples.  They contradict *task* when they hold annotations of the
        other task only: class labels and no entity spans for an NER model, entity
        spans (tokens and tags) and no class label for a classifier.  Examples
        without any gold (plain texts) fit both.
    format : str, optional
        The corpus format the data is read from and the predictions are written
        to (``"conll"``, ``"hipe"``, ``"csv"``, ``"jsonl"``, ``"spacy"``); see
        :data:`FORMAT_TASKS`.
    model : str or Adapter, optional
        Named in the message (a spec such as ``"spacy:en_core_web_sm"``).  An
        adapter whose ``task_inferred`` is true (a callable that has not returned
        yet) is not checked.
    source : str or path, optional
        The data's file, named in the message.

    Examples
    --------
    >>> from nlperr import Example
    >>> check_task("classification", [Example("fine", label="pos")])
    >>> try:
    ...     check_task("ner", [Example("fine", label="pos")], model="spacy:en_core_web_sm")
    ... except Exception as e:
    ...     print(str(e)[:95])
    [E221] The model spacy:en_core_web_sm finds entity spans in text (task 'ner'), but the examples
    """
    if task not in _DOES or getattr(model, "task_inferred", False):
        # a task nlperr does not know (a registered adapter kind), or one not known
        # yet (a callable before its first result): nothing to check
        return
    where = f" ({source})" if source is not None else ""
    if format is not None and format in FORMAT_TASKS and task not in FORMAT_TASKS[format]:
        raise InputError(Errors.E221.format(
            model=describe_model(model), does=_DOES[task], data=f"the input{where} is {_FORMAT_HOLDS[format]}",
            instead=_INSTEAD[task]))
    with_label = with_spans = total = 0
    for ex in examples:
        total += 1
        with_label += getattr(ex, "label", None) is not None
        with_spans += getattr(ex, "spans", None) is not None
    if task == "ner" and with_label and not with_spans:
        holds = (f"hold class labels ({with_label} of {total} example(s) have a label, "
                 f"none has entity spans)")
    elif task == "classification" and with_spans and not with_label:
        holds = (f"hold entity annotations ({with_spans} of {total} example(s) have "
                 f"entity spans, none has a class label)")
    else:
        return
    raise InputError(Errors.E221.format(model=describe_model(model), does=_DOES[task],
                                        data=f"the examples{where} {holds}",
                                        instead=_INSTEAD[task]))
