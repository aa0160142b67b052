"""Small random-weight keras-hub language models, the same on every backend.

Imported by ``test_generate.py`` (on keras-ov) and run as a script on the JAX
backend (``KERAS_BACKEND=jax python generate_models.py OUTDIR [names...]``),
which builds each model with a fixed seed, saves its weights to
``OUTDIR/<name>.weights.h5`` and its greedy tokens to ``OUTDIR/<name>.npz``.
This module must not import keras_ov: it is the reference side too.
"""

import os
import sys

import numpy as np

VOCAB = 97
PROMPT = 4  # real tokens at the start of each row; the rest is padding
LENGTH = 12


def _causal(backbone_cls, task_cls, **kwargs):
    def build():
        backbone = backbone_cls(vocabulary_size=VOCAB, **kwargs)
        return task_cls(backbone=backbone, preprocessor=None)

    return build


def models():
    """name -> (builder, input kind)."""
    import keras_hub.models as m

    gqa = {
        "num_layers": 2,
        "num_query_heads": 4,
        "num_key_value_heads": 2,
        "hidden_dim": 32,
        "intermediate_dim": 64,
    }
    return {
        "gpt2": (
            _causal(
                m.GPT2Backbone,
                m.GPT2CausalLM,
                num_layers=2,
                num_heads=2,
                hidden_dim=32,
                intermediate_dim=64,
                max_sequence_length=32,
            ),
            "causal",
        ),
        "gemma": (
            _causal(
                m.GemmaBackbone,
                m.GemmaCausalLM,
                head_dim=8,
                sliding_window_size=3,
                use_sliding_window_attention=True,
                attention_logit_soft_cap=50,
                final_logit_soft_cap=30,
                query_head_dim_normalize=False,
                use_post_ffw_norm=True,
                use_post_attention_norm=True,
                **gqa,
            ),
            "causal",
        ),
        "gemma3": (
            _causal(
                m.Gemma3Backbone,
                m.Gemma3CausalLM,
                image_size=16,
                head_dim=8,
                query_head_dim_normalize=True,
                use_query_key_norm=True,
                use_post_ffw_norm=True,
                use_post_attention_norm=True,
                use_sliding_window_attention=True,
                sliding_window_size=4,
                vision_encoder=None,
                **gqa,
            ),
            "text+images",
        ),
        "llama": (_causal(m.LlamaBackbone, m.LlamaCausalLM, **gqa), "causal"),
        "mistral": (
            _causal(m.MistralBackbone, m.MistralCausalLM, sliding_window=4, **gqa),
            "causal",
        ),
        "qwen": (_causal(m.QwenBackbone, m.QwenCausalLM, **gqa), "causal"),
        "t5": (
            _causal(
                m.T5Backbone,
                m.T5Seq2SeqLM,
                num_layers=2,
                num_heads=2,
                hidden_dim=32,
                intermediate_dim=64,
                dropout=0.0,
            ),
            "seq2seq",
        ),
    }


def inputs(kind, batch=2):
    """A batch of prompts: PROMPT real tokens per row (different per row),
    padded to LENGTH."""
    rng = np.random.default_rng(7)
    ids = np.zeros((batch, LENGTH), "int32")
    ids[:, :PROMPT] = rng.integers(3, VOCAB, size=(batch, PROMPT))
    mask = np.zeros((batch, LENGTH), bool)
    mask[:, :PROMPT] = True
    if kind == "causal":
        return {"token_ids": ids, "padding_mask": mask}
    if kind == "text+images":  # Gemma3 returns its `images` input: none here
        return {
            "token_ids": ids,
            "padding_mask": mask,
            "images": np.zeros((batch, 0, 16, 16, 3), "float32"),
        }
    dec = np.zeros((batch, LENGTH), "int32")
    dec_mask = np.zeros((batch, LENGTH), bool)
    dec_mask[:, 0] = True  # the decoder starts from token 0 (T5's start token)
    return {
        "encoder_token_ids": ids,
        "encoder_padding_mask": mask,
        "decoder_token_ids": dec,
        "decoder_padding_mask": dec_mask,
    }


def build(name, seed=0):
    import keras

    keras.utils.set_random_seed(seed)
    builder, kind = models()[name]
    lm = builder()
    lm.compile(sampler="greedy")
    return lm, kind


def perturb(lm, scale=0.1, seed=0):
    """Add noise to every float weight: freshly initialised small models
    repeat one token forever, which would make token equality a weak test."""
    rng = np.random.default_rng(seed)
    for w in lm.weights:
        value = np.asarray(w.numpy())
        if value.dtype.kind == "f":
            w.assign(value + rng.normal(0.0, scale, value.shape).astype(value.dtype))


def generated(out):
    """The generated token ids of a ``generate`` output."""
    if "decoder_token_ids" in out:
        return np.asarray(out["decoder_token_ids"])
    return np.asarray(out["token_ids"])


# The deterministic samplers besides greedy, compared token for token on GPT-2.
SAMPLERS = {
    "beam": lambda: __import__("keras_hub").samplers.BeamSampler(num_beams=3),
    "contrastive": lambda: __import__("keras_hub").samplers.ContrastiveSampler(k=3, alpha=0.5),
}


def main(outdir, names):
    for name in names or list(models()):
        lm, kind = build(name)
        perturb(lm)
        out = lm.generate(inputs(kind), stop_token_ids=None)
        lm.save_weights(os.path.join(outdir, f"{name}.weights.h5"))
        arrays = {"tokens": generated(out)}
        if name == "gpt2":
            # Stop on the second generated token of row 0: the output padding
            # mask ends there for row 0 (and wherever it recurs in row 1).
            stop = int(arrays["tokens"][0, PROMPT + 1])
            out = lm.generate(inputs(kind), stop_token_ids=[stop])
            arrays["stop_token"] = np.array(stop)
            arrays["stop_tokens"] = np.asarray(out["token_ids"])
            arrays["stop_mask"] = np.asarray(out["padding_mask"])
            for sampler, make in SAMPLERS.items():
                lm.compile(sampler=make())
                arrays[sampler] = generated(lm.generate(inputs(kind), stop_token_ids=None))
        np.savez(os.path.join(outdir, f"{name}.npz"), **arrays)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
