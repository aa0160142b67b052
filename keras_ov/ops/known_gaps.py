"""Backend functions Keras may call that keras-ov does not provide yet.

Data, not code paths: ``tests/test_completeness.py`` checks that every public
function of Keras's reference backend is either registered or listed here with
its reason, and that nothing listed here is also registered.
"""

KNOWN_GAPS = {}
