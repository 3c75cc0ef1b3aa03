// The config-entry bodies, field by field, built from the example stacks' own config. These are
// exactly what TrafficPolicy and MeshDefaults hand to the Consul provider.
import { expect } from "chai";
import { readStackFile } from "../../../src/offline/stackFile";
import { parseStackValues } from "../../../src/offline/stackFile";
import {
    allowedSources,
    apiGateway,
    colourFilter,
    httpRoute,
    proxyDefaults,
    serviceDefaults,
    serviceIntentions,
    serviceResolver,
    serviceRouter,
    serviceSplitter,
} from "../../../src/mesh/render/configEntries";
import { ACCESS_LOG_FORMAT } from "../../../src/mesh/render/accessLog";
import { ServiceConfig, StackConfig } from "../../../src/config";
import { ROOT } from "../../support/harness";

function stack(name: "dev" | "prod"): StackConfig {
    return parseStackValues(name, readStackFile(name, ROOT));
}

function service(config: StackConfig, name: string): ServiceConfig {
    const found = config.services.find((s) => s.name === name);
    if (!found) {
        throw new Error(`no service ${name}`);
    }
    return found;
}

/** A service like the example's, with the fields the builders read overridden. */
function variant(base: ServiceConfig, overrides: Partial<ServiceConfig>): ServiceConfig {
    return { ...base, ...overrides };
}

describe("config-entry bodies", () => {
    const dev = stack("dev");
    const orders = service(dev, "orders");
    const inventory = service(dev, "inventory");

    it("service-defaults: a generic entry with the service's protocol and nothing else when no upstream asks for ejection or limits", () => {
        expect(serviceDefaults(orders, dev.services)).to.deep.equal({ kind: "service-defaults", name: "orders", configJson: JSON.stringify({ Protocol: "http" }) });
        expect(JSON.parse(serviceDefaults(variant(orders, { protocol: "grpc" }), dev.services).configJson)).to.deep.equal({ Protocol: "grpc" });
    });

    it("service-resolver: static blue and green subsets on Service.Meta.version, only passing, both timeouts canonical, no default subset", () => {
        const resolver = serviceResolver(orders);
        expect(resolver).to.deep.equal({
            name: "orders",
            connectTimeout: "5s",
            requestTimeout: "15s",
            subsets: [
                { name: "blue", filter: 'Service.Meta.version == "blue"', onlyPassing: true },
                { name: "green", filter: 'Service.Meta.version == "green"', onlyPassing: true },
            ],
        });
        expect(resolver).to.not.have.property("defaultSubset");
        // The resolver never depends on the weights: a flip must not touch it.
        expect(serviceResolver(variant(orders, { traffic: { blue: 0, green: 100 } }))).to.deep.equal(resolver);
        expect(colourFilter("green")).to.equal('Service.Meta.version == "green"');
    });

    it("service-splitter: one split per colour, in a fixed order, carrying the weights, weight 0 included", () => {
        expect(serviceSplitter(orders)).to.deep.equal({
            name: "orders",
            splits: [
                { service: "orders", serviceSubset: "blue", weight: 100 },
                { service: "orders", serviceSubset: "green", weight: 0 },
            ],
        });
        expect(serviceSplitter(variant(orders, { traffic: { blue: 87.5, green: 12.5 } })).splits.map((s) => s.weight)).to.deep.equal([87.5, 12.5]);
    });

    it("service-router: x-bluegreen-color: blue|green reaches that colour's subset, both timeouts set, nothing else routed", () => {
        expect(serviceRouter(inventory)).to.deep.equal({
            name: "inventory",
            routes: [
                {
                    match: { http: { headers: [{ name: "x-bluegreen-color", exact: "blue" }] } },
                    destination: { service: "inventory", serviceSubset: "blue", requestTimeout: "0s", idleTimeout: "0s" },
                },
                {
                    match: { http: { headers: [{ name: "x-bluegreen-color", exact: "green" }] } },
                    destination: { service: "inventory", serviceSubset: "green", requestTimeout: "0s", idleTimeout: "0s" },
                },
            ],
        });
        expect(serviceRouter(variant(inventory, { traffic: { blue: 0, green: 100 } }))).to.deep.equal(serviceRouter(inventory));
    });

    it("service-intentions for the example: inventory allows orders only, orders allows the API gateway only", () => {
        expect(serviceIntentions(inventory, dev.services)).to.deep.equal({
            name: "inventory",
            sources: [{ name: "orders", type: "consul", action: "allow", precedence: 9 }],
        });
        expect(serviceIntentions(orders, dev.services)).to.deep.equal({
            name: "orders",
            sources: [{ name: "api-gateway", type: "consul", action: "allow", precedence: 9 }],
        });
        const prod = stack("prod");
        expect(serviceIntentions(service(prod, "inventory"), prod.services)).to.deep.equal(serviceIntentions(inventory, dev.services));
    });

    it("service-intentions: every caller and the gateway, sorted, each once; none when nothing may call the service", () => {
        const web = variant(orders, { name: "web", upstreams: [{ service: "inventory", localPort: 9002 }, { service: "orders", localPort: 9003 }] });
        const batch = variant(inventory, { name: "batch", upstreams: [{ service: "inventory", localPort: 9004 }] });
        const services = [web, orders, inventory, batch];
        expect(allowedSources(inventory, services)).to.deep.equal(["batch", "orders", "web"]);
        expect(allowedSources(orders, services)).to.deep.equal(["api-gateway", "web"]);
        // web has a route (copied from orders) and no caller; batch has neither.
        expect(allowedSources(web, services)).to.deep.equal(["api-gateway"]);
        expect(serviceIntentions(batch, services)).to.equal(undefined);
        // The order of services in the stack file does not change the entry.
        expect(serviceIntentions(inventory, [...services].reverse())).to.deep.equal(serviceIntentions(inventory, services));
        // A service that calls itself is one of its callers.
        const loop = variant(inventory, { name: "loop", upstreams: [{ service: "loop", localPort: 9005 }] });
        expect(allowedSources(loop, [loop])).to.deep.equal(["loop"]);
    });

    it("proxy-defaults: name global, protocol http, Envoy access logs on stdout in the mesh metrics' JSON format", () => {
        const entry = proxyDefaults();
        expect(entry.kind).to.equal("proxy-defaults");
        expect(entry.name).to.equal("global");
        const body = JSON.parse(entry.configJson);
        expect(body.Config).to.deep.equal({ protocol: "http" });
        // Consul's AccessLogs fields: Enabled, Type (stdout is Envoy's stdout, the container's log
        // stream) and JSONFormat, a JSON object as a string (not both JSONFormat and TextFormat).
        expect(Object.keys(body.AccessLogs).sort()).to.deep.equal(["Enabled", "JSONFormat", "Type"]);
        expect(body.AccessLogs).to.include({ Enabled: true, Type: "stdout" });
        expect(JSON.parse(body.AccessLogs.JSONFormat)).to.deep.equal(ACCESS_LOG_FORMAT);
    });

    it("api-gateway: the shared gateway name and its one http listener on 8443", () => {
        const entry = apiGateway();
        expect(entry.kind).to.equal("api-gateway");
        expect(entry.name).to.equal("api-gateway");
        expect(JSON.parse(entry.configJson)).to.deep.equal({ Listeners: [{ Name: "http", Port: 8443, Protocol: "http" }] });
    });

    it("http-route: the service's path prefix on the gateway's listener, to the service (through its splitter)", () => {
        const entry = httpRoute(orders);
        expect(entry.kind).to.equal("http-route");
        expect(entry.name).to.equal("orders");
        expect(JSON.parse(entry.configJson)).to.deep.equal({
            Parents: [{ Kind: "api-gateway", Name: "api-gateway", SectionName: "http" }],
            Rules: [{ Matches: [{ Path: { Match: "prefix", Value: "/api/v1/orders" } }], Services: [{ Name: "orders", Weight: 1 }] }],
        });
        expect(() => httpRoute(inventory)).to.throw("service inventory has no route");
    });
});
