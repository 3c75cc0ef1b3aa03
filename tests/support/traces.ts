// Loaded by mocha before any test file (.mocharc.json). Mocha raises Error.stackTraceLimit to
// Infinity for its own failure reports; the Pulumi SDK formats a stack trace for every promise and
// resource it creates, so every program the tests run in this process (a CLI's main, a plan)
// formatted traces of any depth. Node's default of 10 frames is what those programs get in their own
// process, and still shows where a failing test threw.
Error.stackTraceLimit = 10;
