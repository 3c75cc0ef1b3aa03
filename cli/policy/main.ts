// `npm run policy -- <plan.json>`: runs the policy pack over a plan saved with
// `npm run plan -- --stack <s> --json` (`-` reads it from standard input), so that a reviewer can
// check a plan without the program. Same report and exit codes as `npm run plan -- --policy`:
// 0 when no mandatory rule is violated, 1 when one is, 2 on a usage error (unreadable file, not a plan).
import { runMain } from "../shared/run";
import { UsageError } from "../../src/offline/errors";
import { readSavedPlan, readStandardInput } from "../shared/savedPlan";
import { EXIT_CODES } from "../../src/shared/exitCodes";
import { runPolicyPack, formatPolicyReport, hasMandatoryViolation } from "./runPack";

const USAGE = "usage: npm run policy -- <plan.json | ->   (the output of npm run plan -- --stack <name> --json)";

export async function policy(argv: readonly string[], write: (text: string) => void, readStdin: () => Promise<string> = readStandardInput): Promise<number> {
    if (argv.includes("--help") || argv.includes("-h")) {
        write(USAGE);
        return 0;
    }
    if (argv.length !== 1) {
        throw new UsageError(`expected one plan file\n${USAGE}`);
    }
    const plan = await readSavedPlan(argv[0], readStdin);
    const report = await runPolicyPack(plan.stack, plan.resources);
    write(formatPolicyReport(report));
    return hasMandatoryViolation(report) ? EXIT_CODES.FAILED : EXIT_CODES.OK;
}

if (require.main === module) {
    runMain(() => policy(process.argv.slice(2), (text) => process.stdout.write(`${text}\n`)));
}
