"""gap-train under a real `mpirun` (Open MPI) against the single-process fit.

Needs the MPI build (`swift build --traits MPI --build-path .build-mpi --product gap-train`) and
the default build (`swift build`: gap-train, gap-predict); .ci/run makes both. The data is the
first 40 frames of the shipped Zuo et al. silicon training split, so no ../shared is needed.
"""
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from ase.io import read

ROOT = Path(__file__).resolve().parents[2]
MPIRUN = shutil.which("mpirun.openmpi") or shutil.which("orterun")
MPI_BUILD = next((ROOT / ".build-mpi" / c / "gap-train" for c in ("debug", "release") if (ROOT / ".build-mpi" / c / "gap-train").exists()), None)
PLAIN = ROOT / ".build" / "debug"

pytestmark = pytest.mark.skipif(MPIRUN is None or MPI_BUILD is None, reason="needs Open MPI's mpirun and the MPI build (.build-mpi)")

CONFIG = {
    "train_files": ["si40.xyz"],
    "label_keys": {"energy": ["energy"], "forces": ["force"]},
    "e0": "average",
    "descriptors": [
        {"type": "soap", "cutoff": 5.0, "cutoff_transition_width": 1.0, "radial_basis": "optimal", "n_max": 4, "l_max": 3,
         "atom_sigma": 0.5, "delta": 1.0, "zeta": 4, "n_sparse": 60, "sparse_method": "cur"},
        {"type": "distance_2b", "cutoff": 5.0, "cutoff_transition_width": 1.0, "theta_uniform": 1.0,
         "delta": 0.5, "n_sparse": 10, "sparse_method": "uniform"},
    ],
    "default_sigma": {"energy": 0.001, "forces": 0.05, "virial": 0.1},
    "seed": 3,
    "output": "model.gapjson",
}


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    directory = tmp_path_factory.mktemp("mpi")
    lines = (ROOT / "datasets" / "si_zuo2020" / "Si_train.xyz").read_text().splitlines(keepends=True)
    out, i = [], 0
    for _ in range(40):
        n = int(lines[i])
        out += lines[i:i + n + 2]
        i += n + 2
    (directory / "si40.xyz").write_text("".join(out))
    (directory / "fit.json").write_text(json.dumps(CONFIG))
    (directory / "soap.json").write_text(json.dumps(dict(CONFIG, descriptors=CONFIG["descriptors"][:1])))
    # fit.json with one σ changed by one ulp: how far round-off alone moves that model.
    nudged = json.loads(json.dumps(CONFIG))
    nudged["default_sigma"]["energy"] = np.nextafter(CONFIG["default_sigma"]["energy"], 1.0)
    (directory / "nudged.json").write_text(json.dumps(nudged))
    return directory


def mpirun(ranks, *args, cwd, config="fit.json"):
    command = [MPIRUN, "--oversubscribe", "-np", str(ranks)]
    if os.geteuid() == 0:
        command.append("--allow-run-as-root")
    return command + [str(MPI_BUILD), config, "--threads", "1", *args]


def run(command, cwd):
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)


def predictions(model, directory):
    out = directory / (Path(model).stem + ".predicted.xyz")
    result = run([str(PLAIN / "gap-predict"), "--model", str(model), "si40.xyz", "--output", str(out), "--quiet", "--threads", "1"], directory)
    assert result.returncode == 0, result.stderr
    frames = read(out, index=":")
    return (np.array([f.get_potential_energy() / len(f) for f in frames]),
            np.concatenate([f.get_forces() for f in frames]))


def train_single(work, config, output):
    result = run([str(PLAIN / "gap-train"), config, "--threads", "1", "--quiet", "--output", output], work)
    assert result.returncode == 0, result.stderr
    return work / output


@pytest.fixture(scope="module")
def single(work):
    return train_single(work, "fit.json", "single.gapjson")


def test_mpi_build_without_launcher_is_the_single_process_fit(work, single):
    result = run([str(MPI_BUILD), "fit.json", "--threads", "1", "--quiet", "--output", "alone.gapjson"], work)
    assert result.returncode == 0, result.stderr
    assert (work / "alone.gapjson").read_bytes() == single.read_bytes()


def fit_over_ranks(work, ranks, config, output):
    result = run(mpirun(ranks, "--output", output, cwd=work, config=config), work)
    assert result.returncode == 0, result.stderr
    assert f"TSQR over {ranks} ranks" in result.stderr
    assert f"total over {ranks} ranks" in result.stderr  # the plan: per rank and in total
    assert all(f"rank {r}: CPU" in result.stderr for r in range(ranks))
    assert not list(work.glob(output + ".checkpoint*"))
    return work / output


def same_sparse_points(a, b):
    one, many = json.loads(a.read_text()), json.loads(b.read_text())
    return [json.dumps(t["sparse_points"]) for t in one["terms"]] == [json.dumps(t["sparse_points"]) for t in many["terms"]]


def largest_differences(a, b, work):
    (ea, fa), (eb, fb) = predictions(a, work), predictions(b, work)
    return np.max(np.abs(ea - eb)), np.max(np.abs(fa - fb))


@pytest.mark.parametrize("ranks", [2, 3])
def test_ranks_give_the_single_process_model(work, ranks):
    """SOAP alone (well conditioned): within 1e-9 eV/atom and 1e-8 eV/Å of one process."""
    one = train_single(work, "soap.json", "soap_single.gapjson")
    many = fit_over_ranks(work, ranks, "soap.json", f"soap_ranks{ranks}.gapjson")
    assert same_sparse_points(one, many)  # rank 0 chose them from the gathered descriptors
    energy, forces = largest_differences(one, many, work)
    assert energy < 1e-9, energy  # eV/atom
    assert forces < 1e-8, forces  # eV/Å


def test_ranks_within_the_round_off_of_an_ill_conditioned_fit(work, single):
    """SOAP + 2-body: the 2-body K_MM (10 points 0.5 Å apart, θ 1 Å) makes the problem so ill
    conditioned that a one-ulp change of one σ moves the single-process model by ~1e-9 eV/atom
    and ~3e-8 eV/Å; three ranks stay within a few times that floor, measured here."""
    nudged = train_single(work, "nudged.json", "nudged.gapjson")
    floor_energy, floor_forces = largest_differences(single, nudged, work)
    many = fit_over_ranks(work, 3, "fit.json", "ranks3.gapjson")
    assert same_sparse_points(single, many)
    energy, forces = largest_differences(single, many, work)
    assert energy < max(1e-9, 4 * floor_energy), (energy, floor_energy)
    assert forces < max(1e-8, 4 * floor_forces), (forces, floor_forces)


@pytest.mark.parametrize("ranks", [2, 3])
def test_distributed_factor_gives_the_single_process_model(work, ranks):
    """--distributed-factor: R block-cyclic over the ranks (ScaLAPACK pdgeqrf rounds, pdtrtrs)."""
    one = train_single(work, "soap.json", "soap_single.gapjson")
    output = f"spread{ranks}.gapjson"
    result = run(mpirun(ranks, "--distributed-factor", "--output", output, cwd=work, config="soap.json"), work)
    assert result.returncode == 0, result.stderr
    assert "this rank's part of the distributed factor" in result.stderr
    assert "distributed QR" in result.stderr
    assert not list(work.glob(output + ".checkpoint*")), "checkpoints removed once the model is written"
    assert same_sparse_points(one, work / output)
    energy, forces = largest_differences(one, work / output, work)
    assert energy < 1e-9, energy
    assert forces < 1e-8, forces
    again = run(mpirun(ranks, "--distributed-factor", "--quiet", "--output", f"spread{ranks}_again.gapjson", cwd=work, config="soap.json"), work)
    assert again.returncode == 0, again.stderr
    assert (work / f"spread{ranks}_again.gapjson").read_bytes() == (work / output).read_bytes()


def rounds_done(path):
    text = path.read_bytes()[:400].decode("latin-1")
    key = '"rounds_done":'
    return int(text[text.index(key) + len(key):].split(",")[0]) if key in text else None


def test_distributed_factor_resumes_after_a_kill(work):
    reference = run(mpirun(2, "--distributed-factor", "--quiet", "--no-checkpoint", "--output", "spread_reference.gapjson", cwd=work, config="soap.json"), work)
    assert reference.returncode == 0, reference.stderr
    checkpoints = [work / f"spread_resumed.gapjson.checkpoint.rank{r}of2" for r in range(2)]
    arguments = ["--distributed-factor", "--quiet", "--output", "spread_resumed.gapjson", "--checkpoint-interval", "0"]
    process = subprocess.Popen(mpirun(2, *arguments, cwd=work, config="soap.json"), cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while process.poll() is None and time.time() < deadline:
        done = [rounds_done(p) if p.exists() else None for p in checkpoints]
        if None not in done and min(done) >= 5:
            break
        time.sleep(0.01)
    assert process.poll() is None, "the fit ended before it could be stopped"
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    assert process.returncode != 0
    assert not (work / "spread_resumed.gapjson").exists()
    # Each rank keeps its latest save and the one before (the latest may be missing if the kill
    # fell between moving it aside and writing the next).
    assert all(p.exists() or p.with_name(p.name + ".previous").exists() for p in checkpoints)
    # A kill can also fall between two ranks' writes of the same round: rank 1 without its latest
    # save stands for that; both ranks go back to the round both have.
    previous = checkpoints[1].with_name(checkpoints[1].name + ".previous")
    assert previous.exists()
    checkpoints[1].unlink(missing_ok=True)
    resumed = run(mpirun(2, "--distributed-factor", "--resume", "--output", "spread_resumed.gapjson", cwd=work, config="soap.json"), work)
    assert resumed.returncode == 0, resumed.stderr
    assert "rounds of the distributed QR already done" in resumed.stderr
    assert (work / "spread_resumed.gapjson").read_bytes() == (work / "spread_reference.gapjson").read_bytes()
    assert not any(p.exists() for p in checkpoints) and not previous.exists()


def peak_per_rank(text):
    import re
    number, unit = re.search(r"([\d.]+) (kB|MB|GB)\s+peak per rank", text).groups()
    return float(number) * {"kB": 1e3, "MB": 1e6, "GB": 1e9}[unit]


def test_distributed_factor_is_chosen_when_the_factor_does_not_fit(work):
    """M = 2,500 on 6 ranks (planned only: --dry-run): a budget below the least the replicated
    factor needs per rank (with the smallest blocks) but above the distributed plan makes
    gap-train spread the factor by itself; below both, the fit is refused before any work."""
    big = dict(CONFIG, descriptors=[dict(CONFIG["descriptors"][0], n_sparse=2500)])
    (work / "big.json").write_text(json.dumps(big))
    replicated = run(mpirun(6, "--dry-run", "--block-rows", "256", cwd=work, config="big.json"), work)
    spread = run(mpirun(6, "--dry-run", "--distributed-factor", cwd=work, config="big.json"), work)
    assert replicated.returncode == 0 and spread.returncode == 0, replicated.stderr + spread.stderr
    high, low = peak_per_rank(replicated.stdout), peak_per_rank(spread.stdout)
    assert low < 0.8 * high, (low, high)  # six ranks share the factor: less per rank
    budget = f"{int((low + high) / 2e6)}M"
    chosen = run(mpirun(6, "--dry-run", "--max-memory", budget, cwd=work, config="big.json"), work)
    assert chosen.returncode == 0, chosen.stderr
    assert "spread over the 6 ranks" in chosen.stderr, chosen.stderr
    assert "this rank's part of the distributed factor" in chosen.stdout
    refused = run(mpirun(6, "--dry-run", "--max-memory", f"{int(low / 2e6)}M", cwd=work, config="big.json"), work)
    assert refused.returncode != 0 and "more than the budget" in refused.stderr, refused.stderr


def test_same_ranks_same_bytes(work):
    for name in ("a", "b"):
        result = run(mpirun(2, "--quiet", "--output", f"repeat_{name}.gapjson", cwd=work), work)
        assert result.returncode == 0, result.stderr
    assert (work / "repeat_a.gapjson").read_bytes() == (work / "repeat_b.gapjson").read_bytes()


def frames_done(path):
    text = path.read_bytes()[:600].decode("latin-1")
    key = '"frames_done":'
    return int(text[text.index(key) + len(key):].split(",")[0].split("}")[0]) if key in text else None


def test_killed_run_resumes_with_the_same_ranks_and_one_failing_rank_stops_all(work):
    reference = run(mpirun(2, "--quiet", "--no-checkpoint", "--output", "uninterrupted.gapjson", cwd=work), work)
    assert reference.returncode == 0, reference.stderr
    checkpoints = [work / "resumed.gapjson.checkpoint.rank0of2", work / "resumed.gapjson.checkpoint.rank1of2"]
    # Blocks of one frame and a checkpoint after each, so the run can be stopped part-way.
    arguments = ["--quiet", "--output", "resumed.gapjson", "--block-rows", "100", "--checkpoint-interval", "0"]
    process = subprocess.Popen(mpirun(2, *arguments, cwd=work), cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while process.poll() is None and time.time() < deadline:
        done = [frames_done(p) if p.exists() else None for p in checkpoints]
        if done[0] is not None and done[1] is not None and done[0] >= 3 and done[1] >= 23:
            break
        time.sleep(0.01)
    assert process.poll() is None, "the fit ended before it could be stopped"
    process.send_signal(signal.SIGTERM)  # mpirun passes it on to every rank
    process.wait(timeout=60)
    assert process.returncode != 0
    assert not (work / "resumed.gapjson").exists(), "no model from a stopped run"
    assert all(p.exists() for p in checkpoints)

    # One rank's checkpoint gone: that rank fails, and its error stops both ranks.
    saved = checkpoints[1].read_bytes()
    checkpoints[1].unlink()
    failed = run(mpirun(2, "--resume", "--output", "resumed.gapjson", cwd=work), work)
    assert failed.returncode != 0
    assert "gap-train: error on rank 1 of 2:" in failed.stderr, failed.stderr
    assert "resumed.gapjson.checkpoint.rank1of2" in failed.stderr
    assert not (work / "resumed.gapjson").exists()
    checkpoints[1].write_bytes(saved)

    # Another rank count cannot resume these checkpoints.
    other = run(mpirun(3, "--resume", "--quiet", "--output", "resumed.gapjson", cwd=work), work)
    assert other.returncode != 0
    assert "error on rank" in other.stderr

    resumed = run(mpirun(2, "--resume", "--output", "resumed.gapjson", "--checkpoint-interval", "0", cwd=work), work)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from" in resumed.stderr
    assert (work / "resumed.gapjson").read_bytes() == (work / "uninterrupted.gapjson").read_bytes()
    assert not any(p.exists() for p in checkpoints), "checkpoints removed once the model is written"


def test_plain_build_under_mpirun_is_refused(work):
    command = mpirun(2, "--quiet", "--output", "plain.gapjson", cwd=work)
    command[command.index(str(MPI_BUILD))] = str(PLAIN / "gap-train")
    result = run(command, work)
    assert result.returncode != 0
    assert "built without MPI" in result.stderr
    assert not (work / "plain.gapjson").exists()
