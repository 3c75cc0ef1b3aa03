// Loaded by mocha before any test file (.mocharc.json): every test starts with Node's default stack
// depth, 10 frames. Mocha's own process raises Error.stackTraceLimit to Infinity for its failure
// reports, which is where the tests run when mocha runs serially (`--no-parallel`); the Pulumi SDK
// formats a stack trace for every promise and resource it creates, so a CLI's main or a plan run
// there formatted traces of any depth. The parallel workers start at 10 already; before each test
// the limit is also put back in case a plan that timed out left the harness's lower one behind.
// Ten frames is what the commands get in their own process, and still shows where a test threw.
Error.stackTraceLimit = 10;

export const mochaHooks = {
    beforeEach(): void {
        Error.stackTraceLimit = 10;
    },
};
