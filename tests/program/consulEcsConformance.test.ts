// Every CONSUL_ECS_CONFIG_JSON the program generates (each colour of each service, the API gateway,
// the controller; dev and prod) validated with ajv against consul-ecs's own JSON Schema, read from
// ../shared/reference/consul-ecs-config.schema.json. Skips, saying so, only where that folder is absent.
import { expect } from "chai";
import { CONSUL_ECS_CONFIG_ENV } from "../../src/shared/meshNames";
import { controllerConfig, gatewayTaskConfig, serviceTaskConfig } from "../../src/ecs/render/consulEcsConfig";
import { containersOf, Plan } from "../support/harness";
import { inventory, orders, platform } from "../support/meshFixtures";
import { examplePlan as meshPlan } from "../support/harness";
import { requireSchema, schemaErrors } from "../support/consulEcsSchema";
import { T } from "../support/typeTokens";

interface FoundDocument {
    readonly where: string;
    readonly document: unknown;
}

function configDocuments(plan: Plan): FoundDocument[] {
    const found: FoundDocument[] = [];
    for (const td of plan.ofType(T.td)) {
        for (const container of containersOf(td)) {
            for (const variable of container.environment ?? []) {
                if (variable.name === CONSUL_ECS_CONFIG_ENV) {
                    found.push({ where: `${td.name}/${container.name}`, document: JSON.parse(variable.value as string) });
                }
            }
        }
    }
    return found;
}

describe("CONSUL_ECS_CONFIG_JSON conformance (consul-ecs 0.10 JSON Schema)", () => {
    for (const stack of ["dev", "prod"] as const) {
        it(`validates every document of the ${stack} stack: 2 per colour of each service, 2 for the gateway, 1 for the controller`, async function () {
            const validate = requireSchema(this);
            const documents = configDocuments(await meshPlan(stack));
            // Both example stacks run two services with both colours: 2 x 2 x 2 + 2 + 1.
            expect(documents).to.have.length(11);
            const invalid = documents.map((d) => ({ where: d.where, errors: schemaErrors(validate, d.document) })).filter((d) => d.errors.length > 0);
            expect(invalid).to.deep.equal([]);
            const kinds = documents.map((d) => Object.keys(d.document as object).find((k) => ["service", "gateway", "controller"].includes(k)));
            expect(kinds.filter((k) => k === "service")).to.have.length(8);
            expect(kinds.filter((k) => k === "gateway")).to.have.length(2);
            expect(kinds.filter((k) => k === "controller")).to.have.length(1);
        });
    }

    it("validates the builders' documents for a service with and without upstreams, the gateway and the controller", function () {
        const validate = requireSchema(this);
        const documents = [
            serviceTaskConfig(orders, "blue", platform.servers, ["orders"]),
            serviceTaskConfig(orders, "green", { ...platform.servers, hosts: "exec=discover -q addrs provider=aws region=eu-west-1 tag_key=k tag_value=v" }, ["orders"]),
            serviceTaskConfig(inventory, "blue", platform.servers, []),
            gatewayTaskConfig(platform.servers),
            controllerConfig(platform.servers),
        ];
        for (const document of documents) {
            expect(schemaErrors(validate, document)).to.deep.equal([]);
        }
    });

    it("rejects what consul-ecs rejects, so a pass means something", function () {
        const validate = requireSchema(this);
        const good = serviceTaskConfig(orders, "blue", platform.servers, ["orders"]);
        expect(schemaErrors(validate, { ...good, service: { name: "Orders", port: 9090 } })).to.not.be.empty;
        expect(schemaErrors(validate, { ...good, proxy: { upstreams: [{ destinationName: "inventory" }] } })).to.not.be.empty;
        expect(schemaErrors(validate, { ...good, transparentProxy: { enabled: false, mode: "off" } })).to.not.be.empty;
        expect(schemaErrors(validate, { ...good, bootstrapDir: undefined })).to.not.be.empty;
    });
});
