"""Op types keras-ov emits for float graphs that have no gradient rule yet.

Data, not code paths: ``tests/autodiff/test_completeness.py`` checks that
every op type the translators emit is in ``RULES``, in ``NONDIFF``, or here
with its reason.  Differentiating through one of these raises
``NotImplementedError`` naming the type.
"""

KNOWN_GAPS = {
    "AdaptiveMaxPool": "adaptive_max_pool: ragged windows need the max mask per bin; not used "
    "by Keras layers' training paths yet",
    "DFT": "fft/fft2 on complex pairs: the transposed transform is not written yet",
    "IDFT": "ifft/ifft2 on complex pairs: the transposed transform is not written yet",
    "RDFT": "rfft/stft: the adjoint of a real-input DFT (Hermitian halving) is not written yet",
    "IRDFT": "irfft/istft: the adjoint of a Hermitian-output inverse DFT is not written yet",
}
