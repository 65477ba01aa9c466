"""Text templates, fingerprints and model settings, without a Kedro run."""

import pyarrow as pa
import pytest

from arxiv_pipeline.embedding.encoders import (
    EmbeddingModelError,
    make_encoder,
)
from arxiv_pipeline.text.templates import (
    SplitTexts,
    fingerprint,
    render_texts,
)

PAPERS = pa.table(
    {"id": ["0704.0001", "0704.0002"], "title": ["On $x$", "Q?"], "abstract": ["A.", "B"]}
)
ENCODING = {"device": "cpu", "batch_size": 8, "fp16": False, "chunk_size": 4}
NO_TEXTS = SplitTexts(pa.array([], pa.string()), pa.array([], pa.string()), "")


def test_the_template_joins_title_and_abstract_as_written():
    assert render_texts(PAPERS, "{title}. {abstract}").to_pylist() == ["On $x$. A.", "Q?. B"]
    assert render_texts(PAPERS, "{{{abstract}}}").to_pylist() == ["{A.}", "{B}"]


@pytest.mark.parametrize("template", ["{authors}: {abstract}", "{title!r}", "{title:>9}", "text"])
def test_a_template_with_other_fields_or_none_is_refused(template):
    with pytest.raises(ValueError, match="embeddings.text_template"):
        render_texts(PAPERS, template)


def test_the_fingerprint_changes_with_ids_texts_order_and_template():
    ids, texts = pa.array(["a", "b"]), pa.array(["xy", "z"])
    reference = fingerprint(ids, texts, "{abstract}")
    assert fingerprint(pa.array(["a", "b"]), pa.array(["xy", "z"]), "{abstract}") == reference
    changed = [
        fingerprint(ids, pa.array(["x", "yz"]), "{abstract}"),  # same bytes, other boundary
        fingerprint(pa.array(["b", "a"]), pa.array(["z", "xy"]), "{abstract}"),
        fingerprint(pa.array(["a", "c"]), texts, "{abstract}"),
        fingerprint(ids, texts, "{title} {abstract}"),
    ]
    assert reference not in changed and len(set(changed)) == len(changed)


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ({"backend": "word2vec"}, "'word2vec'"),
        ({"backend": "sentence_transformers", "model": "x", "batchsize": 8}, "'batchsize'"),
        ({"backend": "sentence_transformers"}, "'model'"),
        ({"backend": "tfidf_svd", "components": 8}, "'components'"),
    ],
)
def test_unknown_backends_and_settings_are_refused_by_name(spec, named):
    with pytest.raises(EmbeddingModelError, match=rf"embeddings\.models\.mine.*{named}"):
        make_encoder("mine", spec, ENCODING, NO_TEXTS)


def test_tfidf_svd_refuses_more_components_than_training_terms():
    train = SplitTexts(PAPERS["id"], render_texts(PAPERS, "{title} {abstract}"), "f")
    encoder = make_encoder("lsa", {"backend": "tfidf_svd", "n_components": 50}, ENCODING, train)
    with pytest.raises(EmbeddingModelError, match="n_components=50"):
        encoder.encode(["text"])
