// Package corpus has no code of its own: its tests generate a dispatcher,
// local and remote, for every interface of real packages, those of the
// standard library (TestStdlibInterfaces) and of popular modules that
// testdata/realworld pins (TestModuleInterfaces), and build, vet and run
// what they generate. They are a package of their own so that go test runs
// them in a binary of their own, beside the root package's tests and with a
// timeout of their own.
package corpus
