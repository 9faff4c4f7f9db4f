"""Word attributions for a model's errors, aggregated over the error set.

Occlusion for any adapter through the prediction engine (:mod:`.occlusion`),
integrated gradients over the embedding layer of Hugging Face models
(:mod:`.gradients`) and the corpus-level word table (:mod:`.aggregate`): the
words whose removal most often fixes an error and the words that most raise
the wrong label.  See docs/attention.md.
"""

from __future__ import annotations

from .aggregate import WORD_COLUMNS, aggregate_words
from .gradients import BASELINES, integrated_gradients
from .occlusion import CASES, MODES, Attributions, occlusion

__all__ = ["Attributions", "occlusion", "integrated_gradients", "aggregate_words", "MODES",
           "CASES", "BASELINES", "WORD_COLUMNS", "explain"]

METHODS = ("occlusion", "integrated-gradients")


def explain(model, gold, pred=None, *, method: str = "occlusion", **options) -> Attributions:
    """Word attributions of *model*'s errors on *gold* with *method*
    (``"occlusion"``: :func:`occlusion`; ``"integrated-gradients"``:
    :func:`integrated_gradients`); *options* go to that function."""
    from ..adapters._util import check_choice

    check_choice("method", method, METHODS)
    fn = occlusion if method == "occlusion" else integrated_gradients
    return fn(model, gold, pred, **options)
