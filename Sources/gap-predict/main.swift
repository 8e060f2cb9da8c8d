import CommandLineSupport
#if canImport(Glibc)
import Glibc
#endif

// Placeholder until the training issue lands: exits 2 so that scripts cannot mistake it for success.
printError("gap-predict: not yet implemented")
exit(2)
