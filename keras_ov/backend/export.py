"""Keras backend contract: export (not implemented yet)."""


class OpenvinoExportArchive:
    def track(self, resource):
        raise NotImplementedError("keras-ov: export archives are not implemented yet")
