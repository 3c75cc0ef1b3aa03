// The dev server's container, from plain data: its secrets injected by ECS, written to files by its
// command (run in a real shell), and its agent config.
import { expect } from "chai";
import { execFileSync } from "child_process";
import { renderServerAgentConfig } from "../../../src/consul/render/agentConfig";
import { DEV_AGENT_CONFIG_ENV, DEV_SECRET_ENV, DEV_SERVER_PATHS, devServerCommand, devServerContainer } from "../../../src/consul/render/devServerContainer";
import { PROD_SERVER_SECRET_ARNS as arns } from "../../support/fakeArns";

describe("dev server container", () => {
    const agentConfig = renderServerAgentConfig({ mode: "dev", datacenter: "dc1", dataDir: DEV_SERVER_PATHS.dataDir, tls: DEV_SERVER_PATHS.tls });
    const container = devServerContainer({
        image: "hashicorp/consul:2.0.1",
        agentConfig,
        secretArns: arns,
        region: "eu-west-1",
        logGroupName: "/bluegreen/dev",
        serverCertificateNotAfter: "2026-01-01T00:00:00Z",
    }) as {
        name: string;
        image: string;
        entryPoint: string[];
        command: string[];
        environment: { name: string; value: string }[];
        secrets: { name: string; valueFrom: string }[];
        portMappings: { containerPort: number }[];
    };

    it("gets every secret as an ECS secret (an ARN), never as a plain value", () => {
        expect(container.secrets).to.deep.equal([
            { name: DEV_SECRET_ENV.caCert, valueFrom: arns.caCert },
            { name: DEV_SECRET_ENV.serverCert, valueFrom: arns.serverCert },
            { name: DEV_SECRET_ENV.serverKey, valueFrom: arns.serverKey },
            { name: DEV_SECRET_ENV.gossipKey, valueFrom: arns.gossipKey },
            { name: DEV_SECRET_ENV.managementToken, valueFrom: arns.managementToken },
            { name: DEV_SECRET_ENV.agentToken, valueFrom: arns.agentToken },
        ]);
        expect(container.environment.map((e) => e.name)).to.deep.equal([DEV_AGENT_CONFIG_ENV, "BLUEGREEN_SERVER_CERT_NOT_AFTER"]);
        expect(JSON.parse(container.environment[0].value)).to.deep.equal(JSON.parse(agentConfig));
    });

    it("writes the secrets to files, drops them from its environment and execs one agent", () => {
        expect(container.image).to.equal("hashicorp/consul:2.0.1");
        expect(container.entryPoint).to.deep.equal(["/bin/sh", "-ec"]);
        const command = container.command[0];
        expect(command).to.equal(devServerCommand());
        execFileSync("sh", ["-n", "-c", command], { stdio: "pipe" });
        expect(command).to.include(`printf '%s\\n' "$${DEV_SECRET_ENV.serverKey}" > ${DEV_SERVER_PATHS.tls.keyFile}`);
        expect(command).to.include(`> ${DEV_SERVER_PATHS.secretConfig}`);
        expect(command).to.include(`unset ${Object.values(DEV_SECRET_ENV).join(" ")}`);
        expect(command.trim().split("\n").pop()).to.equal('exec consul agent -config-dir=/consul/config -advertise="$ECS_IPV4"');
        expect(container.portMappings.map((p) => p.containerPort)).to.deep.equal([8501, 8503]);
    });
});
