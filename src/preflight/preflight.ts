// The preflight: walks the platform's start-up over a plan's records, in the order it happens,
// and reports every link, passed or broken. Pure: plan records in, a report out (no I/O).
import { createContext } from "./context";
import { PlanIndex, PlanRecords } from "./planIndex";
import { PreflightReport, StepResult } from "./report";
import { apiClients } from "./steps/apiClients";
import { apiReachability } from "./steps/apiReachability";
import { controller } from "./steps/controller";
import { iamActions } from "./steps/iamActions";
import { meshTasks } from "./steps/meshTasks";
import { meshTraffic } from "./steps/meshTraffic";
import { publicEdge } from "./steps/publicEdge";
import { serversQuorum } from "./steps/serversQuorum";

const STEPS = [serversQuorum, apiReachability, apiClients, controller, meshTasks, meshTraffic, publicEdge, iamActions];

export async function runPreflight(plan: PlanRecords): Promise<PreflightReport> {
    const ctx = createContext(new PlanIndex(plan));
    const steps: StepResult[] = [];
    for (const step of STEPS) {
        steps.push(...(await step(ctx)));
    }
    return { stack: plan.stack, steps };
}
