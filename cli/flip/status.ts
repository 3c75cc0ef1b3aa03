// --status: the traffic table of a stack from its config and, when Consul answers, the passing
// instances of every colour.
import { COLOURS, ServiceConfig } from "../../src/config";
import { renderTable } from "../shared/trafficTable";
import { EXIT_OK } from "../shared/exitCodes";
import { StackContext } from "./context";
import { HealthSource } from "./gates";

export async function runStatus(context: StackContext, only: ServiceConfig | undefined, consul: HealthSource | undefined, write: (text: string) => void): Promise<number> {
    const services = only ? [only] : context.config.services;
    let consulProblem = consul ? undefined : "Consul's address is unknown (--consul-address, CONSUL_HTTP_ADDR or bluegreen:consul.apiAddress)";
    const rows: string[][] = [];
    for (const service of services) {
        for (const colour of COLOURS) {
            let passing = "-";
            if (consul && consulProblem === undefined) {
                try {
                    passing = String(await consul.passingInstances(service.name, colour));
                } catch (err) {
                    consulProblem = `Consul did not answer: ${(err as Error).message}`;
                }
            }
            rows.push([service.name, colour, service[colour].image ?? "-", String(service[colour].count), `${service.traffic[colour]}%`, passing]);
        }
    }
    if (consulProblem) {
        rows.forEach((row) => (row[5] = "-"));
    }
    write(`Traffic in stack ${context.stack} (from Pulumi.${context.stack}.yaml${consulProblem ? "" : "; passing instances from Consul"}):`);
    write(renderTable(["SERVICE", "COLOUR", "IMAGE", "COUNT", "WEIGHT", "PASSING"], rows));
    if (consulProblem) {
        write(`Passing instances not shown: ${consulProblem}.`);
    }
    return EXIT_OK;
}
