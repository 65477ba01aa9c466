"""Topic words: c-TF-IDF settings, then BERTopic's representation models, chosen on held-out papers."""

import json

import numpy as np
import pytest
import yaml
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

from arxiv_pipeline.embedding.specs import EmbeddingsParams
from arxiv_pipeline.topics.baselines import tuned_bertopic
from arxiv_pipeline.topics.coherence import CoherenceScorer
from arxiv_pipeline.topics.model import (
    TOPIC_DEFAULTS,
    analyzer,
    score_topics,
    topic_words,
)
from arxiv_pipeline.topics.refit import refit
from arxiv_pipeline.topics.topic_map import topic_name
from arxiv_pipeline.topics.words import (
    PLAIN,
    choose_words,
    chosen_words,
    give_words,
    representation_setting,
    word_embedder,
    word_model_spec,
)
from tests.conftest import REPO_ROOT

#: Small candidate pools keep the words embedded (MiniLM, on the CPU) to a few hundred.
REPRESENTATIONS = [
    representation_setting({"type": "mmr", "diversity": 0.5, "nr_candidate_words": 30}, "test"),
    representation_setting(
        {"type": "keybert", "nr_candidate_words": 30, "nr_repr_docs": 3, "nr_samples": 20}, "test"
    ),
]
WORD_SETTINGS = [{"vectorizer.ngram_range": "1-1", "vectorizer.min_df": 1, "vectorizer.max_df": 0.8}]
PARAMS = TOPIC_DEFAULTS | {
    "embedding_model": "svd", "reducer": "pca", "pca.n_components": 5, "cluster": "kmeans", "kmeans.n_clusters": 8
}
SEED = 42
CHUNK = 10_000


def embeddings_params() -> EmbeddingsParams:
    """``params:embeddings`` of conf/base, as the pipelines get it."""
    raw = yaml.safe_load((REPO_ROOT / "conf/base/parameters_embeddings.yml").read_text())
    return EmbeddingsParams(**raw["embeddings"])


@pytest.fixture(scope="module")
def fitted(arxiv_sample):
    """A k-means topic model (8 topics) on 1,500 real papers, the other 500 its held-out papers."""
    records = [json.loads(line) for line in arxiv_sample.read_text().splitlines()]
    texts = [" ".join(f"{r['title']}. {r['abstract']}".split()) for r in records]
    vectors = TruncatedSVD(48, random_state=0).fit_transform(
        TfidfVectorizer(stop_words="english", min_df=2).fit_transform(texts)
    )
    documents = {"train": texts[:1500], "validation": texts[1500:]}
    split_vectors = {"train": vectors[:1500], "validation": vectors[1500:]}
    tokenize = analyzer()
    scorer = CoherenceScorer([tokenize(text) for text in documents["validation"]])
    embedder = word_embedder("minilm", embeddings_params())
    # The final model's own procedure, as the evaluation's refits are.
    model = refit(documents, split_vectors, PARAMS, SEED, np.ones(1500, dtype=bool), CHUNK).model
    params, tried = choose_words(
        model, documents["train"], PARAMS, WORD_SETTINGS, REPRESENTATIONS, embedder, SEED, scorer, 10
    )
    return {
        "documents": documents,
        "vectors": split_vectors,
        "train": documents["train"],
        "scorer": scorer,
        "embedder": embedder,
        "model": model,
        "params": params,
        "tried": tried,
    }


def test_every_candidate_gives_words_and_the_rule_ships_the_model_words(fitted):
    tried, params = fitted["tried"], fitted["params"]
    assert [entry["representation"] for entry in tried] == [PLAIN, PLAIN, "mmr", "keybert"]
    assert all(-1.0 <= entry["c_npmi"] <= 1.0 and 0.0 < entry["diversity"] <= 1.0 for entry in tried)
    # MMR's own diversity is a setting, recorded apart from the topics' diversity.
    assert tried[2]["settings"] == {"diversity": 0.5, "nr_candidate_words": 30}
    chosen = [index for index, entry in enumerate(tried) if entry["chosen"]]
    assert chosen == [chosen_words(tried, 2)]
    # The shipped parameters give the model's words again, and score what was recorded.
    model = fitted["model"]
    shipped = topic_words(model)
    metrics = score_topics(model, fitted["scorer"], 10, 0.0)
    assert metrics.c_npmi == pytest.approx(tried[chosen[0]]["c_npmi"], abs=1e-12)
    assert metrics.diversity == pytest.approx(tried[chosen[0]]["diversity"], abs=1e-12)
    # Each candidate gives every topic 25 words (diversity's top 25).
    for index, entry in enumerate(tried):
        setting = None if entry["representation"] == PLAIN else {**REPRESENTATIONS[index - 2], "embedding_model": "minilm"}
        candidate = PARAMS | (entry["settings"] if setting is None else {}) | {"representation": setting}
        give_words(model, fitted["train"], candidate, fitted["embedder"], SEED)
        assert [len(words) for words in topic_words(model).values()] == [25] * 8
    give_words(model, fitted["train"], params, fitted["embedder"], SEED)
    assert topic_words(model) == shipped


@pytest.mark.parametrize("representation", [None, 1], ids=["plain", "keybert"])
def test_the_evaluations_refit_under_the_same_seed_gets_the_same_words(fitted, representation):
    setting = None if representation is None else {**REPRESENTATIONS[representation], "embedding_model": "minilm"}
    params = fitted["params"] | {"representation": setting}
    give_words(fitted["model"], fitted["train"], params, fitted["embedder"], SEED)
    fine, _ = tuned_bertopic(fitted["documents"], fitted["vectors"], params, SEED, 3, CHUNK, fitted["embedder"])
    assert fine.words == topic_words(fitted["model"])


def test_representations_change_the_words_but_not_the_topics(fitted):
    model = fitted["model"]
    topics = list(model.topics_)
    give_words(model, fitted["train"], PARAMS | {"representation": None}, None, SEED)
    plain = topic_words(model)
    give_words(model, fitted["train"], PARAMS | {"representation": {**REPRESENTATIONS[0], "embedding_model": "minilm"}}, fitted["embedder"], SEED)
    mmr = topic_words(model)
    # MMR keeps 25 of the 30 c-TF-IDF candidates, in c-TF-IDF order.
    assert mmr != plain and list(model.topics_) == topics
    assert model.embedding_model is None and model.representation_model is None


def test_the_rule_prefers_coherence_among_candidates_at_least_as_diverse_as_c_tf_idf():
    def entry(c_npmi, diversity):
        return {"c_npmi": c_npmi, "diversity": diversity}

    plain = [entry(0.05, 0.7), {"error": "no terms"}, entry(0.08, 0.6)]
    # The best c-TF-IDF setting (0.08, diversity 0.6) is the yardstick.
    assert chosen_words(plain, 3) == 2
    assert chosen_words([*plain, entry(0.09, 0.6), entry(0.10, 0.5)], 3) == 3  # 0.10 repeats words
    assert chosen_words([*plain, entry(0.07, 0.9)], 3) == 2  # more diverse, less coherent
    assert chosen_words([*plain, entry(0.09, 0.7), entry(0.09, 0.8)], 3) == 3  # ties: the first
    assert chosen_words([{"error": "x"}, entry(0.2, 0.9)], 1) == 0


def test_representation_settings_are_checked_and_filled():
    assert representation_setting({"type": "keybert"}, "w") == {
        "type": "keybert", "nr_candidate_words": 50, "nr_repr_docs": 5, "nr_samples": 100
    }
    for raw, message in (
        ({"type": "llm"}, "type must be one of"),
        ({"type": "mmr", "nr_repr_docs": 5}, "not settings of mmr"),
        ({"type": "mmr", "diversity": 1.5}, r"w.diversity must be in \[0, 1\]"),
        ({"type": "keybert", "nr_samples": 0}, "w.nr_samples must be a whole number"),
    ):
        with pytest.raises(ValueError, match=message):
            representation_setting(raw, "w")
    with pytest.raises(ValueError, match=r"'tfidf_svd' is not a sentence_transformers model .* \['minilm'\]"):
        word_model_spec("tfidf_svd", embeddings_params())


def test_a_topic_name_is_its_first_words_that_add_a_word():
    assert topic_name(["neural network", "networks", "neural", "graph", "learning"]) == "neural network, graph, learning"
    assert topic_name(["x_i", "", "stars", "star", "galaxies"]) == "x i, stars, galaxies"
    assert topic_name(["quantum"]) == "quantum"
