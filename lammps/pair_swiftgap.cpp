/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * pair_style swiftgap: SwiftGAP models in LAMMPS (see pair_swiftgap.h for the licence note).
 *
 *   pair_style swiftgap [threads N]
 *   pair_coeff * * model.gapjson Si Ge      (one element per LAMMPS type)
 *
 * Each step hands libSwiftGAP the local atoms as centres and the ghost atoms within the model's
 * cutoff of them (found from LAMMPS's full neighbour list); the library returns the centres'
 * energies and the forces on every atom, ghosts included, which LAMMPS's reverse communication
 * (newton on) adds to their owners. The virial is Σ r·f over locals and ghosts (fdotr).
 */
#include "pair_swiftgap.h"

#include "swiftgap.h"

#include "atom.h"
#include "comm.h"
#include "error.h"
#include "force.h"
#include "memory.h"
#include "neigh_list.h"
#include "neighbor.h"

#include <cstring>

using namespace LAMMPS_NS;

namespace {
/* Element symbols by atomic number (index 0 unused). */
const char *const element_symbols[] = {
    "",   "H",  "He", "Li", "Be", "B",  "C",  "N",  "O",  "F",  "Ne", "Na", "Mg", "Al", "Si", "P",  "S",
    "Cl", "Ar", "K",  "Ca", "Sc", "Ti", "V",  "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As",
    "Se", "Br", "Kr", "Rb", "Sr", "Y",  "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In", "Sn",
    "Sb", "Te", "I",  "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho",
    "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W",  "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Po",
    "At", "Rn", "Fr", "Ra", "Ac", "Th", "Pa", "U",  "Np", "Pu", "Am", "Cm", "Bk", "Cf", "Es", "Fm", "Md",
    "No", "Lr", "Rf", "Db", "Sg", "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh", "Fl", "Mc", "Lv", "Ts", "Og"};
const int element_count = sizeof(element_symbols) / sizeof(element_symbols[0]);

int atomic_number(const char *symbol)
{
  for (int z = 1; z < element_count; z++)
    if (strcmp(symbol, element_symbols[z]) == 0) return z;
  return 0;
}
}    // namespace

PairSwiftGAP::PairSwiftGAP(LAMMPS *lmp) : Pair(lmp)
{
  single_enable = 0;
  restartinfo = 0;
  one_coeff = 1;
  manybody_flag = 1;
  centroidstressflag = CENTROID_NOTAVAIL;
}

PairSwiftGAP::~PairSwiftGAP()
{
  swiftgap_model_free(model);
  if (allocated) {
    memory->destroy(setflag);
    memory->destroy(cutsq);
  }
}

void PairSwiftGAP::allocate()
{
  allocated = 1;
  int n = atom->ntypes + 1;
  memory->create(setflag, n, n, "pair:setflag");
  memory->create(cutsq, n, n, "pair:cutsq");
  for (int i = 1; i < n; i++)
    for (int j = i; j < n; j++) setflag[i][j] = 0;
}

void PairSwiftGAP::settings(int narg, char **arg)
{
  int iarg = 0;
  while (iarg < narg) {
    if (strcmp(arg[iarg], "threads") == 0 && iarg + 1 < narg) {
      threads = utils::inumeric(FLERR, arg[iarg + 1], false, lmp);
      if (threads < 1) error->all(FLERR, "pair_style swiftgap: threads must be at least 1");
      iarg += 2;
    } else {
      error->all(FLERR, "pair_style swiftgap: unknown argument '{}' (usage: pair_style swiftgap [threads N])", arg[iarg]);
    }
  }
}

void PairSwiftGAP::coeff(int narg, char **arg)
{
  if (!allocated) allocate();
  int ntypes = atom->ntypes;
  if (narg != 3 + ntypes)
    error->all(FLERR, "pair_coeff swiftgap: expected '* * MODEL' and {} element symbols (one per atom type), got {} arguments",
               ntypes, narg);
  if (strcmp(arg[0], "*") != 0 || strcmp(arg[1], "*") != 0)
    error->all(FLERR, "pair_coeff swiftgap: the first two arguments must be * * (one model for all types)");

  swiftgap_model_free(model);
  model = nullptr;
  char message[2048];
  if (swiftgap_model_load(arg[2], &model, message, sizeof message) != SWIFTGAP_OK)
    error->all(FLERR, "pair_style swiftgap: cannot load the model: {}", message);
  model_path = arg[2];
  if (swiftgap_model_set_threads(model, threads) != SWIFTGAP_OK) fail_from_library("setting threads");
  cutoff = swiftgap_model_cutoff(model);

  std::vector<int32_t> species(swiftgap_model_species_count(model));
  swiftgap_model_species(model, species.data(), (int) species.size());
  std::string known;
  for (int32_t z : species) known += std::string(known.empty() ? "" : " ") + element_symbols[z];

  type_number.assign(ntypes + 1, 0);
  for (int t = 1; t <= ntypes; t++) {
    const char *symbol = arg[2 + t];
    int z = atomic_number(symbol);
    if (z == 0) error->all(FLERR, "pair_coeff swiftgap: '{}' (type {}) is not an element symbol", symbol, t);
    bool in_model = false;
    for (int32_t s : species) in_model = in_model || s == z;
    if (!in_model)
      error->all(FLERR, "pair_coeff swiftgap: element {} (type {}) is not in model {}, which was trained on: {}", symbol, t,
                 model_path, known);
    type_number[t] = z;
  }
  for (int i = 1; i <= ntypes; i++)
    for (int j = i; j <= ntypes; j++) setflag[i][j] = 1;
}

void PairSwiftGAP::init_style()
{
  if (model == nullptr) error->all(FLERR, "pair_style swiftgap: no model (pair_coeff * * MODEL ELEMENTS...)");
  if (force->newton_pair == 0) error->all(FLERR, "pair_style swiftgap requires newton pair on");
  if (atom->tag_enable == 0) error->all(FLERR, "pair_style swiftgap requires atom IDs");
  neighbor->add_request(this, NeighConst::REQ_FULL);
}

double PairSwiftGAP::init_one(int, int)
{
  return cutoff;
}

void PairSwiftGAP::fail_from_library(const char *what)
{
  error->one(FLERR, "pair_style swiftgap: {} failed: {}", what, swiftgap_model_last_error(model));
}

void PairSwiftGAP::compute(int eflag, int vflag)
{
  ev_init(eflag, vflag);
  if (vflag_atom) error->all(FLERR, "pair_style swiftgap does not compute per-atom virials");

  double **x = atom->x;
  double **f = atom->f;
  int *type = atom->type;
  const int nlocal = atom->nlocal;
  const int nall = nlocal + atom->nghost;

  // The centres (local atoms), then every ghost within the cutoff of one of them.
  library_index.assign(nall, -1);
  atom_index.clear();
  for (int i = 0; i < nlocal; i++) {
    library_index[i] = i;
    atom_index.push_back(i);
  }
  const double cutoff_squared = cutoff * cutoff;
  for (int ii = 0; ii < list->inum; ii++) {
    const int i = list->ilist[ii];
    const int *neighbours = list->firstneigh[i];
    for (int jj = 0; jj < list->numneigh[i]; jj++) {
      const int j = neighbours[jj] & NEIGHMASK;
      if (library_index[j] >= 0) continue;
      const double dx = x[j][0] - x[i][0], dy = x[j][1] - x[i][1], dz = x[j][2] - x[i][2];
      if (dx * dx + dy * dy + dz * dz < cutoff_squared) {
        library_index[j] = (int) atom_index.size();
        atom_index.push_back(j);
      }
    }
  }

  const int64_t count = (int64_t) atom_index.size();
  numbers.resize(count);
  positions.resize(3 * count);
  forces.assign(3 * count, 0.0);
  atom_energies.assign(nlocal, 0.0);
  for (int64_t k = 0; k < count; k++) {
    const int i = atom_index[k];
    numbers[k] = type_number[type[i]];
    for (int a = 0; a < 3; a++) positions[3 * k + a] = x[i][a];
  }

  double energy = 0.0;
  if (swiftgap_compute_local(model, nlocal, count, numbers.data(), positions.data(), &energy, forces.data(), nullptr,
                             eflag_atom ? atom_energies.data() : nullptr) != SWIFTGAP_OK)
    fail_from_library("evaluating the model");

  for (int64_t k = 0; k < count; k++) {
    const int i = atom_index[k];
    for (int a = 0; a < 3; a++) f[i][a] += forces[3 * k + a];
  }
  if (eflag_global) eng_vdwl += energy;
  if (eflag_atom)
    for (int i = 0; i < nlocal; i++) eatom[i] += atom_energies[i];
  if (vflag_fdotr) virial_fdotr_compute();
}
