/*
 * swiftgap_test: exercises libSwiftGAP through include/swiftgap.h only, as an MD engine would.
 *
 *   swiftgap_test MODEL STRUCTURE [UNCERTAINTY_MODEL]
 *
 * STRUCTURE is a text file: n_atoms, then the cell (9 numbers, rows), then pbc (3 integers),
 * then one "Z x y z" line per atom. The program checks what it can check by itself (errors,
 * NULL outputs, local evaluation against whole-structure evaluation, threads, two handles on
 * two threads) and prints the results of swiftgap_compute as "key value..." lines (%.17g) for
 * the calling test to compare with the Swift API. Exit status 0 if every check passed.
 */
#include "swiftgap.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(condition, ...)                                   \
    do {                                                        \
        if (!(condition)) {                                     \
            fprintf(stderr, "FAILED %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                       \
            fprintf(stderr, "\n");                              \
            failures++;                                         \
        }                                                       \
    } while (0)

typedef struct {
    int64_t n;
    int32_t *z;
    double *r;
    double cell[9];
    int32_t pbc[3];
} structure;

typedef struct {
    double energy;
    double *forces;
    double virial[9];
    double *atom_energies;
} result;

static structure read_structure(const char *path) {
    structure s;
    memset(&s, 0, sizeof s);
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); exit(2); }
    long n;
    if (fscanf(f, "%ld", &n) != 1 || n <= 0) { fprintf(stderr, "%s: bad atom count\n", path); exit(2); }
    s.n = n;
    for (int k = 0; k < 9; k++) if (fscanf(f, "%lf", &s.cell[k]) != 1) exit(2);
    for (int k = 0; k < 3; k++) if (fscanf(f, "%d", &s.pbc[k]) != 1) exit(2);
    s.z = malloc(sizeof(int32_t) * n);
    s.r = malloc(sizeof(double) * 3 * n);
    for (long i = 0; i < n; i++)
        if (fscanf(f, "%d %lf %lf %lf", &s.z[i], &s.r[3 * i], &s.r[3 * i + 1], &s.r[3 * i + 2]) != 4) exit(2);
    fclose(f);
    return s;
}

static result new_result(int64_t n) {
    result res;
    memset(&res, 0, sizeof res);
    res.forces = calloc(3 * n, sizeof(double));
    res.atom_energies = calloc(n, sizeof(double));
    return res;
}

static int compute(swiftgap_model *m, const structure *s, result *res) {
    return swiftgap_compute(m, s->n, s->z, s->r, s->cell, s->pbc, &res->energy, res->forces, res->virial, res->atom_energies);
}

static int same_bits(const result *a, const result *b, int64_t n) {
    return memcmp(&a->energy, &b->energy, sizeof(double)) == 0
        && memcmp(a->forces, b->forces, sizeof(double) * 3 * n) == 0
        && memcmp(a->virial, b->virial, sizeof a->virial) == 0
        && memcmp(a->atom_energies, b->atom_energies, sizeof(double) * n) == 0;
}

/* Errors: codes and messages, never a crash. */
static void check_errors(swiftgap_model *m, const structure *s) {
    swiftgap_model *none = (swiftgap_model *)1;
    char message[256];
    int status = swiftgap_model_load("/nonexistent/model.gapjson", &none, message, sizeof message);
    CHECK(status == SWIFTGAP_ERROR_FILE, "missing file gave status %d", status);
    CHECK(none == NULL, "a failed load left a handle");
    CHECK(strstr(message, "/nonexistent/model.gapjson") != NULL, "message does not name the file: %s", message);
    char tiny[8];
    status = swiftgap_model_load("/nonexistent/model.gapjson", &none, tiny, sizeof tiny);
    CHECK(status == SWIFTGAP_ERROR_FILE && strlen(tiny) == 7, "message not truncated to the buffer: '%s'", tiny);
    CHECK(swiftgap_model_load(NULL, &none, message, sizeof message) == SWIFTGAP_ERROR_ARGUMENT, "NULL path accepted");

    double energy;
    CHECK(swiftgap_compute(NULL, s->n, s->z, s->r, s->cell, s->pbc, &energy, NULL, NULL, NULL) == SWIFTGAP_ERROR_ARGUMENT, "NULL model accepted");
    CHECK(swiftgap_compute(m, -1, s->z, s->r, s->cell, s->pbc, &energy, NULL, NULL, NULL) == SWIFTGAP_ERROR_ARGUMENT, "n < 0 accepted");
    CHECK(swiftgap_compute(m, s->n, NULL, s->r, s->cell, s->pbc, &energy, NULL, NULL, NULL) == SWIFTGAP_ERROR_ARGUMENT, "NULL numbers accepted");
    CHECK(swiftgap_compute(m, s->n, s->z, s->r, s->cell, s->pbc, NULL, NULL, NULL, NULL) == SWIFTGAP_ERROR_ARGUMENT, "NULL energy accepted");
    const int32_t periodic[3] = {1, 1, 1};
    CHECK(swiftgap_compute(m, s->n, s->z, s->r, NULL, periodic, &energy, NULL, NULL, NULL) == SWIFTGAP_ERROR_ARGUMENT, "periodic without a cell accepted");
    CHECK(strstr(swiftgap_model_last_error(m), "cell") != NULL, "no message for the missing cell: %s", swiftgap_model_last_error(m));

    int32_t *z = malloc(sizeof(int32_t) * s->n);
    memcpy(z, s->z, sizeof(int32_t) * s->n);
    z[0] = 118; /* oganesson: no model knows it */
    status = swiftgap_compute(m, s->n, z, s->r, s->cell, s->pbc, &energy, NULL, NULL, NULL);
    CHECK(status == SWIFTGAP_ERROR_SPECIES, "unknown element gave status %d", status);
    CHECK(strstr(swiftgap_model_last_error(m), "Og") != NULL, "message does not name the element: %s", swiftgap_model_last_error(m));
    free(z);

    double *r = malloc(sizeof(double) * 3 * s->n);
    memcpy(r, s->r, sizeof(double) * 3 * s->n);
    r[4] = NAN;
    status = swiftgap_compute(m, s->n, s->z, r, s->cell, s->pbc, &energy, NULL, NULL, NULL);
    CHECK(status == SWIFTGAP_ERROR_STRUCTURE, "NaN position gave status %d", status);
    memcpy(r, s->r, sizeof(double) * 3 * s->n);
    r[3] = r[0]; r[4] = r[1]; r[5] = r[2]; /* atom 2 on atom 1 */
    status = swiftgap_compute(m, s->n, s->z, r, s->cell, s->pbc, &energy, NULL, NULL, NULL);
    CHECK(status == SWIFTGAP_ERROR_STRUCTURE, "coinciding atoms gave status %d (%s)", status, swiftgap_model_last_error(m));
    free(r);

    CHECK(swiftgap_model_set_threads(m, 0) == SWIFTGAP_ERROR_ARGUMENT, "0 threads accepted");
    CHECK(swiftgap_compute_local(m, s->n + 1, s->n, s->z, s->r, &energy, NULL, NULL, NULL) == SWIFTGAP_ERROR_ARGUMENT, "more centres than atoms accepted");
    /* After errors, the handle still works and the error is cleared by a good call. */
    CHECK(swiftgap_compute(m, s->n, s->z, s->r, s->cell, s->pbc, &energy, NULL, NULL, NULL) == SWIFTGAP_OK, "handle broken after errors");
    CHECK(strcmp(swiftgap_model_last_error(m), "") == 0, "error not cleared: %s", swiftgap_model_last_error(m));
}

/* The structure's atoms as centres inside every image within the cutoff, as an MD domain. */
static void check_local(swiftgap_model *m, const structure *s, const result *whole) {
    double cutoff = swiftgap_model_cutoff(m);
    int64_t capacity = s->n * 200, count = s->n;
    int32_t *z = malloc(sizeof(int32_t) * capacity);
    int64_t *owner = malloc(sizeof(int64_t) * capacity);
    double *r = malloc(sizeof(double) * 3 * capacity);
    for (int64_t i = 0; i < s->n; i++) {
        z[i] = s->z[i]; owner[i] = i;
        for (int a = 0; a < 3; a++) r[3 * i + a] = s->r[3 * i + a];
    }
    int reach = 3;
    for (int sx = -reach; sx <= reach; sx++)
    for (int sy = -reach; sy <= reach; sy++)
    for (int sz = -reach; sz <= reach; sz++) {
        if (sx == 0 && sy == 0 && sz == 0) continue;
        if ((!s->pbc[0] && sx) || (!s->pbc[1] && sy) || (!s->pbc[2] && sz)) continue;
        for (int64_t j = 0; j < s->n; j++) {
            double image[3];
            for (int a = 0; a < 3; a++)
                image[a] = s->r[3 * j + a] + sx * s->cell[a] + sy * s->cell[3 + a] + sz * s->cell[6 + a];
            int near = 0;
            for (int64_t i = 0; i < s->n && !near; i++) {
                double d2 = 0;
                for (int a = 0; a < 3; a++) d2 += (image[a] - s->r[3 * i + a]) * (image[a] - s->r[3 * i + a]);
                near = d2 < cutoff * cutoff;
            }
            if (!near) continue;
            if (count == capacity) { fprintf(stderr, "too many images\n"); exit(2); }
            z[count] = s->z[j]; owner[count] = j;
            for (int a = 0; a < 3; a++) r[3 * count + a] = image[a];
            count++;
        }
    }
    double energy, virial[9];
    double *forces = calloc(3 * count, sizeof(double));
    double *atom_energies = calloc(s->n, sizeof(double));
    int status = swiftgap_compute_local(m, s->n, count, z, r, &energy, forces, virial, atom_energies);
    CHECK(status == SWIFTGAP_OK, "compute_local: %s", swiftgap_model_last_error(m));
    CHECK(fabs(energy - whole->energy) < 1e-10 * s->n, "local energy %.17g, whole %.17g", energy, whole->energy);
    for (int64_t i = 0; i < s->n; i++)
        CHECK(fabs(atom_energies[i] - whole->atom_energies[i]) < 1e-10, "atom %ld energy %.17g vs %.17g", (long)i, atom_energies[i], whole->atom_energies[i]);
    double *folded = calloc(3 * s->n, sizeof(double));
    for (int64_t k = 0; k < count; k++)
        for (int a = 0; a < 3; a++) folded[3 * owner[k] + a] += forces[3 * k + a];
    for (int64_t k = 0; k < 3 * s->n; k++)
        CHECK(fabs(folded[k] - whole->forces[k]) < 1e-10, "folded force %ld: %.17g vs %.17g", (long)k, folded[k], whole->forces[k]);
    for (int k = 0; k < 9; k++)
        CHECK(fabs(virial[k] - whole->virial[k]) < 1e-9, "virial %d: %.17g vs %.17g", k, virial[k], whole->virial[k]);
    /* Energy only: the same energy. */
    double energy_only;
    CHECK(swiftgap_compute_local(m, s->n, count, z, r, &energy_only, NULL, NULL, NULL) == SWIFTGAP_OK, "energy-only local call failed");
    CHECK(fabs(energy_only - energy) < 1e-12 * s->n, "energy-only local %.17g vs %.17g", energy_only, energy);
    printf("local_atoms %ld\n", (long)count);
    free(z); free(owner); free(r); free(forces); free(atom_energies); free(folded);
}

typedef struct {
    const char *model_path;
    const structure *s;
    result res;
    int status;
} thread_job;

static void *run_job(void *argument) {
    thread_job *job = argument;
    swiftgap_model *m = NULL;
    char message[512];
    job->status = swiftgap_model_load(job->model_path, &m, message, sizeof message);
    if (job->status != SWIFTGAP_OK) return NULL;
    for (int repeat = 0; repeat < 3 && job->status == SWIFTGAP_OK; repeat++) job->status = compute(m, job->s, &job->res);
    swiftgap_model_free(m);
    return NULL;
}

static void print_result(const char *prefix, const result *res, int64_t n) {
    printf("%senergy %.17g\n", prefix, res->energy);
    printf("%svirial", prefix);
    for (int k = 0; k < 9; k++) printf(" %.17g", res->virial[k]);
    printf("\n%sforces", prefix);
    for (int64_t k = 0; k < 3 * n; k++) printf(" %.17g", res->forces[k]);
    printf("\n%satom_energies", prefix);
    for (int64_t k = 0; k < n; k++) printf(" %.17g", res->atom_energies[k]);
    printf("\n");
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s MODEL STRUCTURE [UNCERTAINTY_MODEL]\n", argv[0]); return 2; }
    CHECK(swiftgap_abi_version() == SWIFTGAP_ABI_VERSION, "ABI %d, header %d", swiftgap_abi_version(), SWIFTGAP_ABI_VERSION);
    CHECK(strlen(swiftgap_version()) > 0, "empty version");
    printf("version %s\n", swiftgap_version());

    structure s = read_structure(argv[2]);
    swiftgap_model *m = NULL;
    char message[1024];
    int status = swiftgap_model_load(argv[1], &m, message, sizeof message);
    if (status != SWIFTGAP_OK) { fprintf(stderr, "cannot load %s: %s\n", argv[1], message); return 1; }

    int32_t species[16];
    int count = swiftgap_model_species(m, species, 16);
    CHECK(count == swiftgap_model_species_count(m) && count >= 1, "species count %d", count);
    printf("species");
    for (int k = 0; k < count && k < 16; k++) printf(" %d", species[k]);
    printf("\ncutoff %.17g\n", swiftgap_model_cutoff(m));
    CHECK(swiftgap_model_cutoff(m) > 0, "no cutoff");

    result whole = new_result(s.n);
    status = compute(m, &s, &whole);
    CHECK(status == SWIFTGAP_OK, "compute: %s", swiftgap_model_last_error(m));
    print_result("", &whole, s.n);
    double sum = 0;
    for (int64_t i = 0; i < s.n; i++) sum += whole.atom_energies[i];
    CHECK(fabs(sum - whole.energy) < 1e-10 * s.n, "atom energies sum to %.17g, energy %.17g", sum, whole.energy);

    /* What is NULL is not computed; the energy is the same. */
    double energy_only;
    CHECK(swiftgap_compute(m, s.n, s.z, s.r, s.cell, s.pbc, &energy_only, NULL, NULL, NULL) == SWIFTGAP_OK, "energy only failed");
    CHECK(energy_only == whole.energy, "energy only %.17g vs %.17g", energy_only, whole.energy);

    /* Threads inside one evaluation: the same bits. */
    CHECK(swiftgap_model_set_threads(m, 2) == SWIFTGAP_OK, "set_threads(2)");
    result two = new_result(s.n);
    CHECK(compute(m, &s, &two) == SWIFTGAP_OK, "compute with 2 threads");
    CHECK(same_bits(&whole, &two, s.n), "2 threads changed the results");
    CHECK(swiftgap_model_set_threads(m, 1) == SWIFTGAP_OK, "set_threads(1)");

    /* Two handles on two threads at once: each gives the single-threaded bits. */
    thread_job jobs[2];
    pthread_t threads[2];
    for (int t = 0; t < 2; t++) {
        jobs[t].model_path = argv[1]; jobs[t].s = &s; jobs[t].res = new_result(s.n); jobs[t].status = -1;
        pthread_create(&threads[t], NULL, run_job, &jobs[t]);
    }
    for (int t = 0; t < 2; t++) {
        pthread_join(threads[t], NULL);
        CHECK(jobs[t].status == SWIFTGAP_OK, "thread %d status %d", t, jobs[t].status);
        CHECK(same_bits(&whole, &jobs[t].res, s.n), "thread %d gave other results", t);
    }

    check_local(m, &s, &whole);
    check_errors(m, &s);

    double energy_std;
    if (argc > 3) {
        swiftgap_model *u = NULL;
        CHECK(swiftgap_model_load(argv[3], &u, message, sizeof message) == SWIFTGAP_OK, "load %s: %s", argv[3], message);
        if (u) {
            CHECK(swiftgap_model_has_uncertainty(u) == 1, "uncertainty model without posterior factor");
            double *forces_std = calloc(3 * s.n, sizeof(double));
            status = swiftgap_compute_uncertainty(u, s.n, s.z, s.r, s.cell, s.pbc, &energy_std, forces_std);
            CHECK(status == SWIFTGAP_OK, "uncertainty: %s", swiftgap_model_last_error(u));
            printf("energy_std %.17g\nforces_std", energy_std);
            for (int64_t k = 0; k < 3 * s.n; k++) printf(" %.17g", forces_std[k]);
            printf("\n");
            free(forces_std);
            swiftgap_model_free(u);
        }
    }
    CHECK(swiftgap_model_has_uncertainty(m) == 0 || argc > 3, "unexpected posterior factor");
    if (!swiftgap_model_has_uncertainty(m)) {
        status = swiftgap_compute_uncertainty(m, s.n, s.z, s.r, s.cell, s.pbc, &energy_std, NULL);
        CHECK(status == SWIFTGAP_ERROR_UNSUPPORTED, "uncertainty without posterior factor gave %d", status);
    }

    swiftgap_model_free(m);
    swiftgap_model_free(NULL);
    printf("failures %d\n", failures);
    return failures == 0 ? 0 : 1;
}
