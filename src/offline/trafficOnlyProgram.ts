// A program that registers only the Consul traffic side (createMeshTraffic and createRelease,
// exactly as index.ts calls them) on top of STAND-INS for what the server cluster provides: a real consul.Provider object
// pointed at a made-up address, a placeholder resource standing in for the readiness wait, and
// secret placeholders for the CA and the token. For the tests and the benchmark, which measure the
// traffic side on its own; run under the mock runtime only, it never reaches a network.
import * as consul from "@pulumi/consul";
import * as pulumi from "@pulumi/pulumi";
import { MOCK_SECRET_MARKER } from "./mocks";
import { Program } from "./runtime";
import { ConsulConnection, createMeshTraffic } from "../mesh/wireTraffic";
import { loadStackConfig } from "../config/load";
import { createRelease } from "../rollout/wireRelease";

/** Stands in for the server cluster's readiness wait: a custom resource everything must wait for. */
class ReadyStandIn extends pulumi.CustomResource {
    constructor(name: string) {
        super("bluegreen-test:index:ConsulReadyStandIn", name, {});
    }
}

const STAND_IN_API_ADDRESS = "consul-api.internal.example:8501";

/** `providerName` lets a program that already has a provider named "consul" add this one beside it. */
function standInConnection(providerName = "consul"): ConsulConnection {
    const token = pulumi.secret(`${MOCK_SECRET_MARKER}-management-token`);
    const caCertPem = pulumi.secret(`-----BEGIN CERTIFICATE-----\n${MOCK_SECRET_MARKER}-ca\n-----END CERTIFICATE-----\n`);
    const provider = new consul.Provider(providerName, { address: STAND_IN_API_ADDRESS, scheme: "https", caPem: caCertPem, token, datacenter: "dc1" });
    return {
        provider,
        ready: new ReadyStandIn(providerName === "consul" ? "consul-ready" : `${providerName}-ready`),
        api: { address: STAND_IN_API_ADDRESS, caCertPem, token, tlsServerName: "server.dc1.consul" },
    };
}

/** Stands in for the rollout engine's state machine. */
const STAND_IN_STATE_MACHINE_ARN = "arn:aws:states:eu-west-1:123456789012:stateMachine:stand-in-rollout";

/** The traffic side of a stack (the splitters and the Release that carries their desired weights), over stand-ins. */
export const trafficProgram: Program = () => {
    const config = loadStackConfig();
    const connection = standInConnection();
    const { policies } = createMeshTraffic(config.services, connection);
    createRelease(config.services, connection.api, { stateMachineArn: STAND_IN_STATE_MACHINE_ARN, region: config.region }, Object.values(policies));
    return { splitters: Object.fromEntries(Object.entries(policies).map(([name, p]) => [name, p.splitter.id])) };
};
