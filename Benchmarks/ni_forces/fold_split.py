#!/usr/bin/env python3
"""Writes one cross-validation fold of an extended XYZ file as a train and a test file.

Used to screen Ni configs on a single fold (a fifth of a 5-fold `gap-cv`'s cost) before the full
cross-validation: `gap-train` on the train file, `gap-predict --model M TEST` for the errors.
The fold assignment is read from a `gap-cv` report's predictions.xyz (`cv_frame`, 0-based frame
index, and `cv_fold`, 1-based), so the split is exactly that run's fold (any gap-cv run on the
same file with the same --folds and --seed assigns the same folds). Frames are copied verbatim
(text blocks), so labels and key names are unchanged.

Usage: fold_split.py DATA.xyz PREDICTIONS.xyz FOLD OUT_TRAIN.xyz OUT_TEST.xyz
"""
import re
import sys

from xyz_blocks import frame_blocks


def main():
    data, predictions, fold, out_train, out_test = sys.argv[1:6]
    fold = int(fold)
    fold_of_frame = {}
    for block in frame_blocks(predictions):
        header = block[1]
        frame = int(re.search(r"\bcv_frame=(\d+)", header).group(1))
        fold_of_frame[frame] = int(re.search(r"\bcv_fold=(\d+)", header).group(1))
    counts = [0, 0]
    with open(out_train, "w") as train, open(out_test, "w") as test:
        for index, block in enumerate(frame_blocks(data)):
            if index not in fold_of_frame:
                raise SystemExit(f"frame {index} has no cv_fold in {predictions}")
            held_out = fold_of_frame[index] == fold
            (test if held_out else train).writelines(block)
            counts[held_out] += 1
    print(f"fold {fold}: {counts[0]} training frames, {counts[1]} test frames")


if __name__ == "__main__":
    main()
