import CommandLineSupport
#if canImport(Glibc)
import Glibc
#endif

printError("gap-data: not yet implemented")
exit(2)
