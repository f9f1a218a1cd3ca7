"""``pytorch_model.bin`` read into numpy without torch, through a restricted unpickler.

Checkpoints published before safetensors (izumi-lab's ELECTRAs among them) ship only
``pytorch_model.bin``: a zip (torch ≥ 1.6) holding a pickle of the state dict and one file per
storage. Unpickling it with ``pickle`` would run whatever the file asks for, so the unpickler
here resolves only what a state dict needs — ``collections.OrderedDict``, torch's tensor and
parameter rebuild functions and the typed storage classes — into numpy, and refuses any other
global by name. Nothing from torch is imported.
"""

from __future__ import annotations

import pickle
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

# torch's typed storages → the numpy dtype of their bytes (bfloat16: its raw 16 bits)
STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "BFloat16Storage": np.uint16, "LongStorage": np.int64, "IntStorage": np.int32,
    "ShortStorage": np.int16, "CharStorage": np.int8, "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}  # fmt: skip


class UnsafeCheckpointError(pickle.UnpicklingError):
    """The pickle asked for something a state dict does not need: refused, not run."""


class _Storage:
    """A typed storage class named in the pickle: the dtype its bytes are read as, and whether
    they are bfloat16 bits to widen to float32."""

    def __init__(self, name: str) -> None:
        self.dtype = STORAGE_DTYPES[name]
        self.bfloat16 = name == "BFloat16Storage"


def _rebuild_tensor(storage, offset, size, stride, requires_grad=False, hooks=None, *rest):
    """torch._utils._rebuild_tensor_v2's arguments → a numpy array (a copy, C order)."""
    array, bfloat16 = storage
    itemsize = array.dtype.itemsize
    if not size:
        view = array[offset : offset + 1].reshape(())
    else:
        view = np.lib.stride_tricks.as_strided(
            array[offset:], shape=tuple(size), strides=tuple(s * itemsize for s in stride)
        )
    view = np.array(view)
    if bfloat16:  # the upper half of a float32
        view = (view.astype(np.uint32) << 16).view(np.float32)
    return view


def _rebuild_parameter(data, requires_grad=False, hooks=None, *rest):
    return data


ALLOWED = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}


def read_pytorch_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """The state dict in ``path`` (zip-format ``torch.save``) as numpy arrays, float32 for
    bfloat16; a pickle that asks for anything else raises ``UnsafeCheckpointError``."""
    path = Path(path)
    if not zipfile.is_zipfile(path):
        raise UnsafeCheckpointError(
            f"{path} is not a zip-format torch checkpoint (torch < 1.6 wrote another format): "
            "convert it where torch is installed, e.g. with safetensors.torch.save_file"
        )
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        (pickle_name,) = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
        prefix = pickle_name[: -len("data.pkl")]
        if f"{prefix}byteorder" in names and archive.read(f"{prefix}byteorder") != b"little":
            raise UnsafeCheckpointError(f"{path}: only little-endian checkpoints are read")

        class Restricted(pickle.Unpickler):
            def find_class(self, module: str, name: str) -> Any:
                if (module, name) in ALLOWED:
                    return ALLOWED[module, name]
                if module == "torch" and name in STORAGE_DTYPES:
                    return _Storage(name)
                raise UnsafeCheckpointError(
                    f"{path}: refusing {module}.{name}: a state dict needs only tensors"
                )

            def persistent_load(self, pid: Any) -> Any:
                if not (isinstance(pid, tuple) and pid[0] == "storage"):
                    raise UnsafeCheckpointError(f"{path}: unexpected persistent id {pid!r}")
                storage_type, key = pid[1], pid[2]
                if not isinstance(storage_type, _Storage):
                    raise UnsafeCheckpointError(f"{path}: unexpected storage {storage_type!r}")
                raw = archive.read(f"{prefix}data/{key}")
                array = np.frombuffer(raw, dtype=storage_type.dtype)
                return array, storage_type.bfloat16

        with archive.open(pickle_name) as handle:
            state = Restricted(handle).load()
    if not isinstance(state, dict) or not all(isinstance(v, np.ndarray) for v in state.values()):
        raise UnsafeCheckpointError(f"{path} does not hold a state dict of tensors")
    return dict(state)
