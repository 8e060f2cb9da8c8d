import CommandLineSupport
#if canImport(Glibc)
import Glibc
#endif

printError("gap-bench: not yet implemented")
exit(2)
