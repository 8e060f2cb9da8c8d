#!/usr/bin/env bash
# Builds the libFuzzer harnesses in Fuzz/Sources and fuzzes the input readers for a bounded time.
#
#   Fuzz/run.sh [options] [target ...]        targets: xyz config model (default: all three)
#
# Options:
#   --time SECONDS   stop each target after this long (default 60)
#   --runs N         stop each target after N executions (default: no limit; whichever comes first)
#   --asan           also instrument with AddressSanitizer (slower; separate build directory;
#                    starts from the corpus grown by plain campaigns as well)
#   --check          no fuzzing: run every committed corpus file once (a regression check)
#   --build-only     build the harnesses and stop
#
# The library modules are built by SwiftPM with -sanitize=fuzzer (coverage instrumentation) into
# .build-fuzz (or .build-fuzz-asan), then each harness is linked against their object files with
# swiftc. Fuzzing starts from the committed seeds in Fuzz/corpus/<target> (with the dictionary
# Fuzz/dict/<target>.dict) and keeps what it learns in .build-fuzz*/corpus/<target> (not
# committed). A crash, a hang (an input taking over 5 s; 60 s for model files) or an allocation
# above 2 GB is written to .build-fuzz*/findings/<target>/ and makes the script exit non-zero.
set -euo pipefail

# The whole script is one function, read completely before it runs, so that editing this file
# during a long campaign cannot derail the running instance.
main() {
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    package="$(dirname "$here")"
    cd "$package"

    time_limit=60
    runs=-1
    asan=0
    mode=fuzz
    targets=()
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --time) time_limit="$2"; shift 2 ;;
            --runs) runs="$2"; shift 2 ;;
            --asan) asan=1; shift ;;
            --check) mode=check; shift ;;
            --build-only) mode=build; shift ;;
            -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
            xyz|config|model) targets+=("$1"); shift ;;
            *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
        esac
    done
    [[ ${#targets[@]} -eq 0 ]] && targets=(xyz config model)

    sanitizers=fuzzer
    scratch=.build-fuzz
    if [[ $asan -eq 1 ]]; then sanitizers=fuzzer,address; scratch=.build-fuzz-asan; fi
    build="$scratch/release"

    # Library modules each harness links, in dependency order.
    declare -A harness_source=([xyz]=FuzzXYZ.swift [config]=FuzzConfig.swift [model]=FuzzModel.swift)
    # Seconds one input may take before it counts as a hang. A model file may legitimately ask for the
    # largest SOAP basis (n_max 64, l_max 24) with a narrow atom_sigma, whose precomputation takes
    # about 13 s in this instrumented build on an idle core (over 30 s on a busy machine).
    declare -A timeout_seconds=([xyz]=5 [config]=5 [model]=60)
    declare -A harness_modules=(
        [xyz]="AtomicStructures JSON Support OrderedCollections InternalCollectionsUtilities NeighbourLists"
        [config]="Configuration JSON Descriptors Support NeighbourLists LinearAlgebra Parallelism AtomicStructures OrderedCollections InternalCollectionsUtilities"
        [model]="ModelFiles GAPXML JSON Prediction Kernels Descriptors Support NeighbourLists LinearAlgebra Parallelism AtomicStructures OrderedCollections InternalCollectionsUtilities"
    )

    echo "== building library modules with -sanitize=$sanitizers into $scratch"
    for library in ModelFiles Configuration; do
        swift build --scratch-path "$scratch" -c release --target "$library" \
            -Xswiftc -sanitize="$sanitizers" -Xswiftc -parse-as-library
    done

    for target in "${targets[@]}"; do
        objects=()
        for module in ${harness_modules[$target]}; do
            while IFS= read -r -d '' object; do objects+=("$object"); done \
                < <(find "$build/$module.build" -maxdepth 1 -name '*.o' -print0 | sort -z)
        done
        echo "== linking $build/fuzz-$target"
        swiftc -O -sanitize="$sanitizers" -parse-as-library -I "$build/Modules" -I Sources/CLapack \
            "Fuzz/Sources/${harness_source[$target]}" Fuzz/Sources/Contract.swift "${objects[@]}" -lopenblas -llapacke \
            -o "$build/fuzz-$target"
    done
    [[ $mode == build ]] && exit 0

    # Let libFuzzer handle traps (it saves the input); the Swift runtime's backtracer would exit first.
    export SWIFT_BACKTRACE=enable=no

    status=0
    for target in "${targets[@]}"; do
        seeds="Fuzz/corpus/$target"
        if [[ $mode == check ]]; then
            echo "== $target: every file of $seeds once"
            files=()
            while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$seeds" -type f -print0 | sort -z)
            if "$build/fuzz-$target" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout="${timeout_seconds[$target]}" \
                "${files[@]}" > "$scratch/check-$target.log" 2>&1; then
                echo "   $(grep -c '^Executed' "$scratch/check-$target.log") inputs replayed, no finding"
            else
                status=1
                tail -40 "$scratch/check-$target.log"
            fi
            continue
        fi
        corpus="$scratch/corpus/$target"
        artifacts="$scratch/findings/$target"  # not "artifacts": SwiftPM owns and clears that
        mkdir -p "$corpus" "$artifacts"
        limits="${time_limit}s"
        [[ $runs -ge 0 ]] && limits+=" or $runs runs"
        echo "== fuzzing $target for at most $limits (log: $scratch/fuzz-$target.log)"
        # An AddressSanitizer run also starts from what plain campaigns have learnt (read only).
        extra=()
        [[ $asan -eq 1 && -d .build-fuzz/corpus/$target ]] && extra+=(".build-fuzz/corpus/$target")
        "$build/fuzz-$target" "$corpus" "$seeds" "${extra[@]}" -dict="Fuzz/dict/$target.dict" \
            -max_total_time="$time_limit" -runs="$runs" -timeout="${timeout_seconds[$target]}" \
            -rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len=32768 \
            -artifact_prefix="$artifacts/" -print_final_stats=1 \
            > "$scratch/fuzz-$target.log" 2>&1 || status=1
        grep -E "^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb|Done)|ERROR|SUMMARY" \
            "$scratch/fuzz-$target.log" || true
    done
    [[ $status -ne 0 ]] && echo "== FINDINGS: see $scratch/findings and the logs above" >&2
    exit $status
}

main "$@"
