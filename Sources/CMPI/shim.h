// MPI for Swift: Open MPI's handles (MPI_COMM_WORLD, MPI_BYTE, MPI_SUM, MPI_STATUS_IGNORE) are
// macros over addresses of global objects, which Swift cannot import; these inline functions
// return them. Built only with the package trait MPI (swift build --traits MPI).
#ifndef SWIFTGAP_CMPI_SHIM_H
#define SWIFTGAP_CMPI_SHIM_H
#include <mpi.h>

static inline MPI_Comm swiftgap_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype swiftgap_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype swiftgap_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype swiftgap_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Op swiftgap_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op swiftgap_mpi_max(void) { return MPI_MAX; }
static inline MPI_Status *swiftgap_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline int swiftgap_mpi_success(void) { return MPI_SUCCESS; }
static inline int swiftgap_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
#endif
