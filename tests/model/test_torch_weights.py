"""The restricted unpickler: a pickle that asks for anything but a state dict's parts is refused
before anything runs (files written here without torch; torch-written ones in
test_pretrained_start_point.py)."""

from __future__ import annotations

import io
import os
import pickle
import zipfile

import pytest

from rasa_electra.model.torch_weights import UnsafeCheckpointError, read_pytorch_state_dict


class RunsACommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def torch_like_zip(path, payload: bytes) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", payload)
        archive.writestr("archive/byteorder", "little")
        archive.writestr("archive/version", "3\n")


def test_a_pickle_that_runs_a_command_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "pytorch_model.bin"
    torch_like_zip(path, pickle.dumps({"weight": RunsACommand(marker)}, protocol=2))
    with pytest.raises(UnsafeCheckpointError, match=r"refusing (posix|os)\.system"):
        read_pytorch_state_dict(path)
    assert not marker.exists()
    assert pickle.loads(pickle.dumps(RunsACommand(marker))) == 0 and marker.exists()  # it would


def test_builtins_and_other_modules_are_refused_by_name(tmp_path):
    path = tmp_path / "pytorch_model.bin"
    buffer = io.BytesIO()
    pickle.dump({"weight": eval}, buffer, protocol=2)  # a reference to builtins.eval
    torch_like_zip(path, buffer.getvalue())
    with pytest.raises(UnsafeCheckpointError, match=r"refusing (__builtin__|builtins)\.eval"):
        read_pytorch_state_dict(path)


def test_a_pickle_of_something_else_than_tensors_is_refused(tmp_path):
    path = tmp_path / "pytorch_model.bin"
    torch_like_zip(path, pickle.dumps({"weight": [1, 2, 3]}, protocol=2))
    with pytest.raises(UnsafeCheckpointError, match="does not hold a state dict of tensors"):
        read_pytorch_state_dict(path)
