/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * pair_style swiftgap: SwiftGAP models in LAMMPS, as a plugin (LAMMPS's PLUGIN package).
 * This file and the others in lammps/ include LAMMPS's headers, which are GPL-2.0; they are
 * therefore distributed under the GNU General Public License, version 2 or (at your option)
 * any later version. libSwiftGAP, which they call through include/swiftgap.h, keeps the
 * project's licence.
 */
#ifndef LMP_PAIR_SWIFTGAP_H
#define LMP_PAIR_SWIFTGAP_H

#include "pair.h"

#include <cstdint>
#include <string>
#include <vector>

struct swiftgap_model;

namespace LAMMPS_NS {

class PairSwiftGAP : public Pair {
 public:
  PairSwiftGAP(class LAMMPS *);
  ~PairSwiftGAP() override;

  void compute(int, int) override;
  void settings(int, char **) override;
  void coeff(int, char **) override;
  void init_style() override;
  double init_one(int, int) override;

 private:
  swiftgap_model *model = nullptr;
  std::string model_path;
  int threads = 1;
  double cutoff = 0.0;
  /* Atomic number of each LAMMPS type (index 1..ntypes). */
  std::vector<int32_t> type_number;
  /* Per step: the atoms handed to the library (locals, then the ghosts within the cutoff of a
     local), their numbers and positions, and the results. */
  std::vector<int> atom_index;
  std::vector<int> library_index;
  std::vector<int32_t> numbers;
  std::vector<double> positions, forces, atom_energies;

  void allocate();
  void fail_from_library(const char *what);
};

}    // namespace LAMMPS_NS

#endif
