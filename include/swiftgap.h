/*
 * swiftgap.h — C interface of libSwiftGAP, the SwiftGAP model evaluator for MD engines.
 *
 * Units: Å, eV, eV/Å. Arrays are flat, atom-major (x, y, z per atom). The cell is 3x3 row-major,
 * rows are the lattice vectors (ASE's convention). The virial is W = -dE/dε, eV, 3x3 row-major
 * (ASE's stress is -W/V). Per-atom energies include the model's reference energies e0(Z); for
 * pair terms each ordered pair's share goes to its centre atom, so per-atom energies sum to the
 * total energy.
 *
 * Errors: every call that can fail returns a swiftgap_status; SWIFTGAP_OK is 0. The text of the
 * last error on a handle is swiftgap_model_last_error(model); loading (which has no handle yet)
 * writes its message into the caller's buffer. No call traps, exits or prints.
 *
 * Threads: a handle holds no state shared with other handles (no globals), so separate handles
 * may be used from separate threads at once; one handle is used by one thread at a time.
 * swiftgap_model_set_threads sets the threads used inside one evaluation (results are bit for
 * bit the same for any count).
 */
#ifndef SWIFTGAP_H
#define SWIFTGAP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SWIFTGAP_ABI_VERSION 1

typedef enum swiftgap_status {
    SWIFTGAP_OK = 0,
    SWIFTGAP_ERROR_ARGUMENT = 1,   /* a null pointer, a negative count, threads < 1, ... */
    SWIFTGAP_ERROR_FILE = 2,       /* the model file is missing, unreadable or too large */
    SWIFTGAP_ERROR_MODEL = 3,      /* the model file is not a valid SwiftGAP or gap_fit XML model */
    SWIFTGAP_ERROR_SPECIES = 4,    /* an atomic number the model was not trained on */
    SWIFTGAP_ERROR_STRUCTURE = 5,  /* unusable geometry: overlapping atoms, a singular cell, NaN */
    SWIFTGAP_ERROR_MEMORY = 6,     /* the evaluation would need more memory than is available */
    SWIFTGAP_ERROR_UNSUPPORTED = 7,/* e.g. uncertainty asked of a model without a posterior factor */
    SWIFTGAP_ERROR_INTERNAL = 8
} swiftgap_status;

/* An opaque loaded model. */
typedef struct swiftgap_model swiftgap_model;

/* The library's version string, e.g. "0.9.0" (static storage). */
const char *swiftgap_version(void);
/* SWIFTGAP_ABI_VERSION of the library (check against the header's). */
int swiftgap_abi_version(void);

/* Loads a model file (a SwiftGAP .gapjson model, or a gap_fit XML model). On success *model is
 * a new handle; on failure *model is NULL and a NUL-terminated message naming the file and the
 * problem is written into message (truncated to message_capacity bytes; message may be NULL). */
swiftgap_status swiftgap_model_load(const char *path, swiftgap_model **model, char *message, size_t message_capacity);
/* Frees a handle (NULL is allowed). */
void swiftgap_model_free(swiftgap_model *model);

/* The message of the last failed call on this handle ("" if none); valid until the next call. */
const char *swiftgap_model_last_error(const swiftgap_model *model);

/* The number of species (elements) the model knows. */
int swiftgap_model_species_count(const swiftgap_model *model);
/* Writes up to capacity atomic numbers, ascending; returns how many the model has. */
int swiftgap_model_species(const swiftgap_model *model, int32_t *atomic_numbers, int capacity);
/* The cutoff radius of the model, Å (the largest of its terms'). */
double swiftgap_model_cutoff(const swiftgap_model *model);
/* 1 if the model stores the posterior factor (energy_std/forces_std available), else 0. */
int swiftgap_model_has_uncertainty(const swiftgap_model *model);
/* Threads used inside one evaluation (default 1). */
swiftgap_status swiftgap_model_set_threads(swiftgap_model *model, int threads);

/* Evaluates a whole structure, periodic or open.
 *   n_atoms, atomic_numbers[n_atoms], positions[3*n_atoms];
 *   cell[9]: lattice vectors as rows (may be NULL when no direction is periodic);
 *   pbc[3]: nonzero for periodic directions (NULL means open in all directions).
 * Outputs (any of forces, virial, atom_energies may be NULL; what is NULL is not computed):
 *   *energy, forces[3*n_atoms], virial[9], atom_energies[n_atoms]. */
swiftgap_status swiftgap_compute(
    swiftgap_model *model, int64_t n_atoms, const int32_t *atomic_numbers, const double *positions,
    const double *cell, const int32_t *pbc,
    double *energy, double *forces, double *virial, double *atom_energies);

/* Evaluates centre atoms inside a larger open set of atoms: the form an MD engine's domain
 * decomposition gives. Atoms 0..<n_centres are the centres (local atoms); atoms n_centres..<n_atoms
 * are the others (ghosts, periodic images), which must include every atom within the model's
 * cutoff of every centre. No cell: neighbours are found from positions.
 * Outputs:
 *   *energy: the sum of the centres' energies;
 *   atom_energies[n_centres]: each centre's energy (may be NULL);
 *   forces[3*n_atoms]: -dE/dr on every atom, ghosts included (may be NULL), where E is the sum
 *     of the centres' energies; summing the ghosts' forces onto their owners (LAMMPS's
 *     reverse communication) gives the forces of the whole system;
 *   virial[9]: W_ab = Σ_i r_ia f_ib over all n_atoms atoms (may be NULL); summed over all
 *     domains of a periodic system this is the virial -dE/dε (LAMMPS's virial_fdotr_compute). */
swiftgap_status swiftgap_compute_local(
    swiftgap_model *model, int64_t n_centres, int64_t n_atoms, const int32_t *atomic_numbers,
    const double *positions,
    double *energy, double *forces, double *virial, double *atom_energies);

/* Predictive standard deviations of a whole structure (arguments as swiftgap_compute):
 * energy_std (eV) and forces_std[3*n_atoms] (eV/Å, may be NULL). SWIFTGAP_ERROR_UNSUPPORTED if
 * the model has no posterior factor. */
swiftgap_status swiftgap_compute_uncertainty(
    swiftgap_model *model, int64_t n_atoms, const int32_t *atomic_numbers, const double *positions,
    const double *cell, const int32_t *pbc,
    double *energy_std, double *forces_std);

#ifdef __cplusplus
}
#endif
#endif /* SWIFTGAP_H */
