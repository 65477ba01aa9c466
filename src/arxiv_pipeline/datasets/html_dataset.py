"""An HTML page saved as text, and previewed as HTML by kedro-viz."""

from pathlib import PurePosixPath

from kedro_datasets._typing import HTMLPreview
from kedro_datasets.text import TextDataset


class HTMLDataset(TextDataset):
    """kedro-datasets' ``text.TextDataset`` with an HTML preview.

    ``TextDataset`` (kedro-datasets 9) has no ``preview``, so kedro-viz would show
    nothing of the page. kedro-viz 12 renders an ``HTMLPreview`` after sanitising it
    (DOMPurify): the page's head and scripts are dropped, its static markup is shown.
    """

    @property
    def filepath(self) -> PurePosixPath:
        """Where the page is written (absolute in a Kedro project: Kedro resolves it)."""
        return self._filepath

    def preview(self) -> HTMLPreview:
        """The page, for kedro-viz (``kedro viz`` / ``kedro viz build --include-previews``)."""
        return HTMLPreview(self.load())
