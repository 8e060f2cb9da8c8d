import CommandLineSupport
#if canImport(Glibc)
import Glibc
#endif

printError("gap-features: not yet implemented")
exit(2)
