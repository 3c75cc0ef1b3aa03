// The dashboard body: valid against the documented body structure (tests/support/dashboardBodySchema.ts),
// one row per service with both colours on every graph, the right metrics and expressions, and
// nothing in it that moves with `traffic`.
import { expect } from "chai";
import { parseStackValues, readStackFile } from "../../../src/offline/stackFile";
import { ServiceConfig, StackConfig } from "../../../src/config";
import { dashboardBodies, dashboardBody, DashboardWidget, SERVICES_PER_DASHBOARD } from "../../../src/metrics/render/dashboard";
import { dashboardName, dashboardUrl } from "../../../src/metrics/names";
import { dashboardBodyErrors } from "../../support/dashboardBodySchema";
import { ROOT } from "../../support/harness";

const prod: StackConfig = parseStackValues("prod", readStackFile("prod", ROOT));
const CONTEXT = { stack: "prod", region: "eu-west-1" };

function metricsOf(widget: DashboardWidget): unknown[][] {
    return widget.properties.metrics as unknown[][];
}

function manyServices(count: number): ServiceConfig[] {
    return Array.from({ length: count }, (_, i) => ({ ...prod.services[0], name: `svc-${i}` }));
}

describe("dashboard body", () => {
    it("fits CloudWatch's documented dashboard body structure, for the example stacks and for a gRPC service", () => {
        const grpc = { ...prod.services[0], name: "ledger", protocol: "grpc" as const };
        for (const services of [prod.services, parseStackValues("dev", readStackFile("dev", ROOT)).services, [grpc]]) {
            expect(dashboardBodyErrors(dashboardBody(services, CONTEXT))).to.deep.equal([]);
        }
    });

    it("the schema catches what the doc forbids (so the check above can fail)", () => {
        const body = dashboardBody(prod.services, CONTEXT);
        const broken = structuredClone(body) as unknown as { widgets: Record<string, unknown>[] };
        broken.widgets[1].width = 25;
        (broken.widgets[2].properties as Record<string, unknown>).period = 90;
        delete (broken.widgets[3].properties as Record<string, unknown>).region;
        (broken.widgets[0].properties as Record<string, unknown>).colour = "blue";
        const errors = dashboardBodyErrors(broken);
        expect(errors.join("\n")).to.match(/\/widgets\/1\/width/).and.match(/\/widgets\/2\/properties\/period/).and.match(/region/).and.match(/additional properties/);
    });

    it("has one row per service: share, requests, error share and latency, side by side, each with both colours", () => {
        const body = dashboardBody(prod.services, CONTEXT);
        const graphs = body.widgets.filter((w) => w.type === "metric");
        expect(graphs).to.have.length(4 * prod.services.length);
        prod.services.forEach((service, row) => {
            const inRow = graphs.slice(4 * row, 4 * row + 4);
            expect(inRow.map((w) => [w.x, w.width])).to.deep.equal([
                [0, 6],
                [6, 6],
                [12, 6],
                [18, 6],
            ]);
            expect(new Set(inRow.map((w) => w.y)).size).to.equal(1);
            for (const widget of inRow) {
                expect(widget.properties.title).to.match(new RegExp(`^${service.name}: `));
                const text = JSON.stringify(widget.properties.metrics);
                expect(text).to.include('"Colour","blue"').and.include('"Colour","green"').and.include(`"Service","${service.name}"`).and.include('"Stack","prod"');
            }
        });
        expect(new Set(graphs.map((w) => `${w.x},${w.y}`)).size).to.equal(graphs.length);
    });

    it("measures what the analysis judges: requests per minute (Sum, 60 s), 5xx share by metric math, p50 and p99", () => {
        const [share, requests, errors, latency] = dashboardBody([prod.services[0]], CONTEXT).widgets.slice(1);
        expect(share.properties.period).to.equal(60);
        expect(metricsOf(share).slice(2).map((row) => (row[0] as { expression: string }).expression)).to.deep.equal([
            "100 * FILL(rb, 0) / (FILL(rb, 0) + FILL(rg, 0))",
            "100 * FILL(rg, 0) / (FILL(rb, 0) + FILL(rg, 0))",
        ]);
        expect(metricsOf(requests).map((row) => [row[1], (row[8] as { stat: string }).stat])).to.deep.equal([
            ["Requests", "Sum"],
            ["Requests", "Sum"],
        ]);
        expect(metricsOf(errors).slice(-2).map((row) => (row[0] as { expression: string }).expression)).to.deep.equal(["100 * (FILL(xb, 0)) / rb", "100 * (FILL(xg, 0)) / rg"]);
        expect(metricsOf(latency).map((row) => (row[8] as { label: string; stat: string }).stat)).to.deep.equal(["p50", "p99", "p50", "p99"]);
    });

    it("counts gRPC errors in a gRPC service's error share", () => {
        const grpc = { ...prod.services[0], name: "ledger", protocol: "grpc" as const };
        const errors = dashboardBody([grpc], CONTEXT).widgets[3];
        expect(metricsOf(errors).slice(-2).map((row) => (row[0] as { expression: string }).expression)).to.deep.equal([
            "100 * (FILL(xb, 0) + FILL(gb, 0)) / rb",
            "100 * (FILL(xg, 0) + FILL(gg, 0)) / rg",
        ]);
        expect(JSON.stringify(metricsOf(errors))).to.include('"GrpcErrors"');
    });

    it("does not change with traffic (a flip must touch the splitter and gate only)", () => {
        const flipped = prod.services.map((s) => ({ ...s, traffic: { blue: s.traffic.green, green: s.traffic.blue } }));
        expect(JSON.stringify(dashboardBody(flipped, CONTEXT))).to.equal(JSON.stringify(dashboardBody(prod.services, CONTEXT)));
        expect((dashboardBody(prod.services, CONTEXT).widgets[0].properties.markdown as string)).to.include("npm run flip -- status --stack prod");
    });

    it(`splits more than ${SERVICES_PER_DASHBOARD} services over several dashboards, each within the 500-widget limit`, () => {
        const bodies = dashboardBodies(manyServices(2 * SERVICES_PER_DASHBOARD + 1), CONTEXT);
        expect(bodies.map((b) => b.widgets.length)).to.deep.equal([401, 401, 5]);
        bodies.forEach((b) => expect(dashboardBodyErrors(b)).to.deep.equal([]));
        expect(dashboardBodies([], CONTEXT).map((b) => b.widgets.length)).to.deep.equal([1]);
    });

    it("names the dashboard after project and stack, and links to it in the console", () => {
        expect(dashboardName("bluegreen", "prod")).to.equal("bluegreen-prod-mesh");
        expect(dashboardName("my.project", "dev")).to.equal("my-project-dev-mesh");
        expect(dashboardUrl("eu-west-1", "bluegreen-prod-mesh")).to.equal("https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=bluegreen-prod-mesh");
    });
});
