// Mocha's dot reporter plus one closing line in the plain form CI reads: "N passed, N failed, N skipped".
import * as Mocha from "mocha";

class SummaryReporter extends Mocha.reporters.Dot {
    constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
        super(runner, options);
        runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
            const stats = runner.stats;
            if (stats) {
                process.stdout.write(`tests: ${stats.passes} passed, ${stats.failures} failed, ${stats.pending} skipped\n`);
            }
        });
    }
}

export = SummaryReporter;
